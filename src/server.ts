/**
 * Starting the HTTP(S) listener for `main.ts serve`, and stopping it gracefully.
 *
 * Shutdown (SIGINT/SIGTERM, or {@link RunningServer.shutdown}) has two phases within one
 * grace period (`--shutdown-grace`):
 *
 * 1. While handlers are still running (an upload reading its body, a publish committing),
 *    the listener stays open but every new request is answered `503` with `Connection:
 *    close`. On Deno 2.9, `Deno.HttpServer.shutdown()` makes the body of every request in
 *    flight unreadable at once ("Cannot read request body as underlying resource
 *    unavailable", denoland/deno#36809), so it cannot be called while an upload streams.
 * 2. Then `shutdown()` closes the listener (new connections are refused) and waits for the
 *    responses still streaming, such as zip downloads.
 *
 * Then the download counts are written and the store is closed. When the grace runs out
 * first, what is left is cut: `shutdown()` would wait for the last connection forever, and
 * the `signal` option of `Deno.serve` cannot cut connections once that shutdown has begun
 * (the server's resource is taken: "Bad resource ID"), so `main.ts` exits as soon as
 * {@link serverStopped} settles, which closes them.
 *
 * @module
 */

import { type App, appOptionsFrom, createApp } from "./app.ts";
import { type Config, ConfigError } from "./config.ts";
import { errorResponse, HttpError } from "./http/http_error.ts";
import { Logger, setProcessLogger } from "./ops/log.ts";
import { openStore } from "./store/open_store.ts";

/** A listening server. */
export interface RunningServer {
  /** The app behind it. */
  app: App;
  /** The Deno HTTP server. */
  server: Deno.HttpServer<Deno.NetAddr>;
  /**
   * Stops accepting connections, lets requests in flight finish for at most the grace
   * period, stops background work, writes the batched download counts and closes the store.
   * Resolves whether every request finished in time (`false`: the rest end with the
   * process). Idempotent.
   */
  shutdown(): Promise<boolean>;
}

/** Shutdowns started in this process (a `Deno.exit` must wait for them). */
const shutdowns = new Set<Promise<unknown>>();

let markStopped: () => void = () => {};
const stopped = new Promise<void>((resolve) => markStopped = resolve);

/**
 * Settles when every shutdown started so far has finished (counts written, store closed):
 * `main.ts` awaits it before exiting.
 */
export async function shutdownsSettled(): Promise<void> {
  await Promise.all(shutdowns);
}

/**
 * Resolves once a server of this process has finished its shutdown (store closed), also
 * when its grace period ran out with connections still open; never for a process that
 * serves nothing. `main.ts` exits then, which cuts those connections.
 *
 * @example
 * ```ts
 * const code = await Promise.race([runCli(Deno.args), serverStopped().then(() => 0)]);
 * ```
 */
export function serverStopped(): Promise<void> {
  return stopped;
}

/** Opens the store and starts listening as configured. */
export async function startServer(config: Config): Promise<RunningServer> {
  const tls = config.tlsCert
    ? { cert: await readPem(config.tlsCert), key: await readPem(config.tlsKey) }
    : {};
  const kv = await openStore(config.kv || undefined);
  const logger = new Logger({ format: config.logFormat, level: config.logLevel });
  setProcessLogger(logger);
  const app = createApp(kv, { ...appOptionsFrom(config), logger });
  const gate = new RequestGate(app.fetch);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: config.port,
      hostname: config.hostname,
      ...tls,
      onListen({ hostname, port }) {
        const scheme = config.tlsCert ? "https" : "http";
        logger.event("info", `modyard listening on ${scheme}://${hostname}:${port}/`, {
          store: config.kv || "default",
        });
      },
    }, gate.fetch);
  } catch (err) {
    await app.close();
    kv.close();
    throw new ConfigError(
      `Cannot listen on ${config.hostname}:${config.port}: ${(err as Error).message}`,
    );
  }
  const graceMs = config.shutdownGraceSeconds * 1000;
  let stopping: Promise<boolean> | undefined;
  const running: RunningServer = {
    app,
    server,
    shutdown() {
      stopping ??= (async () => {
        try {
          const drained = await settlesWithin(
            gate.close().then(() => server.shutdown()),
            graceMs,
          );
          if (!drained) {
            logger.event(
              "warn",
              `modyard: shutdown grace of ${config.shutdownGraceSeconds} s over; ` +
                "requests still in flight are cut",
            );
          }
          try {
            await app.close();
          } finally {
            kv.close();
          }
          return drained;
        } finally {
          removeSignalListeners();
          await flushBriefly(logger); // main.ts exits once this shutdown is over
          markStopped();
        }
      })();
      shutdowns.add(stopping.catch(() => {}));
      return stopping;
    },
  };
  const removeSignalListeners = shutdownOnSignals(running, logger);
  return running;
}

/**
 * Counts the handlers running; once closed, answers new requests `503` and tells when the
 * last running handler has returned (its response may still be streaming).
 *
 * @example
 * ```ts
 * const gate = new RequestGate(app.fetch);
 * Deno.serve(gate.fetch);
 * await gate.close(); // no handler runs any more; new requests get 503
 * ```
 */
export class RequestGate {
  #running = 0;
  #closed = false;
  #idle: (() => void) | undefined;

  /** Wraps `handler`. */
  constructor(
    private readonly handler: (
      request: Request,
      info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    ) => Response | Promise<Response>,
  ) {}

  /** The wrapped handler, for `Deno.serve`. */
  readonly fetch = (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> => {
    if (this.#closed) return shuttingDown();
    this.#running++;
    let answer: Response | Promise<Response>;
    try {
      answer = this.handler(request, info);
    } catch (err) {
      this.#done();
      throw err;
    }
    if (!(answer instanceof Promise)) {
      this.#done();
      return answer;
    }
    return answer.finally(() => this.#done());
  };

  /** Handlers running now. */
  get running(): number {
    return this.#running;
  }

  /** Refuses new requests from now on; resolves when no handler runs. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  #done(): void {
    this.#running--;
    if (this.#running === 0 && this.#closed) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle?.();
    }
  }
}

function shuttingDown(): Response {
  return errorResponse(
    new HttpError(503, "modyard is shutting down", { connection: "close", "retry-after": "1" }),
  );
}

/** What a shutdown signal does, given when the first one came. */
export type SignalAction = "shutdown" | "ignore" | "exit";

/**
 * Repeats of a signal within this many milliseconds of the first are ignored: `deno task`
 * forwards to its child a signal that a process-group kill has already delivered to it.
 */
export const SIGNAL_REPEAT_MS = 1000;

/**
 * The first SIGINT/SIGTERM starts the graceful shutdown; another within
 * {@link SIGNAL_REPEAT_MS} of it is the same signal delivered twice and is ignored; a later
 * one is an operator who does not want to wait: the process exits at once.
 *
 * @example
 * ```ts
 * signalAction(undefined, 5000); // "shutdown"
 * signalAction(5000, 5400); // "ignore"
 * signalAction(5000, 6500); // "exit"
 * ```
 */
export function signalAction(firstAt: number | undefined, now: number): SignalAction {
  if (firstAt === undefined) return "shutdown";
  return now - firstAt <= SIGNAL_REPEAT_MS ? "ignore" : "exit";
}

/** The exit status of a process ended by `signal`, as a shell reports it (128 + number). */
function signalExitCode(signal: Deno.Signal): number {
  return 128 + (signal === "SIGINT" ? 2 : 15);
}

/**
 * SIGINT and SIGTERM shut the server down gracefully (see {@link signalAction} for a second
 * signal). Returns a function removing the listeners.
 */
function shutdownOnSignals(running: RunningServer, logger: Logger): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let firstAt: number | undefined;
  const listeners = signals.map((signal) => {
    const onSignal = () => {
      const action = signalAction(firstAt, Date.now());
      if (action === "ignore") return;
      if (action === "exit") {
        logger.event("warn", `modyard: second ${signal}; exiting now, requests in flight are cut`);
        flushBriefly(logger).then(() => Deno.exit(signalExitCode(signal)));
        return;
      }
      firstAt = Date.now();
      logger.event(
        "info",
        `modyard: ${signal}: shutting down (requests in flight may finish; ` +
          `a second signal after ${SIGNAL_REPEAT_MS / 1000} s exits at once)`,
      );
      running.shutdown().catch(async (err) => {
        logger.event("error", "modyard: shutdown failed", { error: String(err) });
        await flushBriefly(logger);
        Deno.exit(1);
      });
    };
    Deno.addSignalListener(signal, onSignal);
    return [signal, onSignal] as const;
  });
  return () => {
    for (const [signal, onSignal] of listeners) Deno.removeSignalListener(signal, onSignal);
  };
}

/** Writes the queued log lines before an exit, waiting 200 ms at most. */
function flushBriefly(logger: Logger): Promise<unknown> {
  return settlesWithin(logger.flush(), 200);
}

/** Whether `promise` settled within `ms` (a rejection counts as settled). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readPem(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const hint = err instanceof Deno.errors.NotCapable ? " (grant it with --allow-read=PATH)" : "";
    throw new ConfigError(`Cannot read ${JSON.stringify(path)}: ${(err as Error).message}${hint}`);
  }
}
