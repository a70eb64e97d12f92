/**
 * Starting the HTTP(S) listener for `main.ts serve`.
 *
 * @module
 */

import { type App, appOptionsFrom, createApp } from "./app.ts";
import { type Config, ConfigError } from "./config.ts";
import { openStore } from "./store/open_store.ts";

/** A listening server. */
export interface RunningServer {
  /** The app behind it. */
  app: App;
  /** The Deno HTTP server. */
  server: Deno.HttpServer<Deno.NetAddr>;
  /**
   * Stops accepting connections, lets requests in flight finish, stops background work,
   * writes the batched download counts and closes the store. Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Shutdowns started in this process (a `Deno.exit` must wait for them). */
const shutdowns = new Set<Promise<void>>();

/**
 * Settles when every shutdown started so far has finished (counts written, store closed):
 * `main.ts` awaits it before exiting.
 */
export async function shutdownsSettled(): Promise<void> {
  await Promise.all(shutdowns);
}

/** Opens the store and starts listening as configured. */
export async function startServer(config: Config): Promise<RunningServer> {
  const tls = config.tlsCert
    ? { cert: await readPem(config.tlsCert), key: await readPem(config.tlsKey) }
    : {};
  const kv = await openStore(config.kv || undefined);
  const app = createApp(kv, appOptionsFrom(config));
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: config.port,
      hostname: config.hostname,
      ...tls,
      onListen({ hostname, port }) {
        const scheme = config.tlsCert ? "https" : "http";
        console.log(
          `modyard listening on ${scheme}://${hostname}:${port}/ (store: ${
            config.kv || "default"
          })`,
        );
      },
    }, app.fetch);
  } catch (err) {
    await app.close();
    kv.close();
    throw new ConfigError(
      `Cannot listen on ${config.hostname}:${config.port}: ${(err as Error).message}`,
    );
  }
  let stopping: Promise<void> | undefined;
  const running: RunningServer = {
    app,
    server,
    shutdown() {
      stopping ??= (async () => {
        removeSignalListeners();
        await server.shutdown();
        try {
          await app.close();
        } finally {
          kv.close();
        }
      })();
      shutdowns.add(stopping.catch(() => {}));
      return stopping;
    },
  };
  const removeSignalListeners = shutdownOnSignals(running);
  return running;
}

/**
 * SIGINT and SIGTERM shut the server down gracefully; a second signal while that runs gets
 * the default behaviour (the process ends at once). Returns a function removing the
 * listeners.
 */
function shutdownOnSignals(running: RunningServer): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    console.log("modyard: shutting down (requests in flight finish; counts are written)");
    running.shutdown().catch((err) => {
      console.error("modyard: shutdown failed:", err);
      Deno.exit(1);
    });
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return () => {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  };
}

async function readPem(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const hint = err instanceof Deno.errors.NotCapable ? " (grant it with --allow-read=PATH)" : "";
    throw new ConfigError(`Cannot read ${JSON.stringify(path)}: ${(err as Error).message}${hint}`);
  }
}
