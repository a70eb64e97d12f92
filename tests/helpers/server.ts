/**
 * Test servers: an in-process app on a random port over an in-memory (or file) store,
 * and a `main.ts serve` subprocess for tests that kill or share the store with the CLI.
 *
 * @module
 */

import { type App, type AppOptions, createApp } from "../../src/app.ts";
import { createToken, createUser } from "../../src/registry/accounts.ts";
import { openStore } from "../../src/store/open_store.ts";

/** An in-process server for one test. */
export interface TestServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** The store. */
  kv: Deno.Kv;
  /** The app. */
  app: App;
  /** GOPROXY URL of an owner. */
  proxy(owner: string): string;
  /** Creates a user with a token of the given scope; returns the Basic auth header value. */
  user(
    name: string,
    options?: { scope?: "read" | "write"; admin?: boolean; private?: boolean },
  ): Promise<string>;
  /** Uploads a zip to an owner with an Authorization header value. */
  upload(owner: string, zip: Uint8Array, auth?: string): Promise<Response>;
  /** Stops the server and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts an in-process server over `kv` (default `:memory:`), or over an open `store` shared
 * with another server (then not closed by `close`): app options as the test chooses, over
 * test defaults (no sweeping, 500 MiB zips, a 120 s stall timeout).
 */
export async function startTestServer(
  options: Partial<AppOptions> & { kv?: string; store?: Deno.Kv; stallSeconds?: number } = {},
): Promise<TestServer> {
  const { kv: location, store, stallSeconds, ...appOptions } = options;
  const kv = store ?? await openStore(location ?? ":memory:");
  const app = createApp(kv, {
    maxZipSize: 500 * 1024 * 1024,
    uploadStallSeconds: stallSeconds ?? 120,
    sweepIntervalMs: 0,
    ...appOptions,
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    kv,
    app,
    proxy: (owner) => `${url}/api/packages/${owner}/go`,
    async user(name, opts = {}) {
      await createUser(kv, name, {
        admin: opts.admin,
        visibility: opts.private ? "private" : "public",
      });
      const { token } = await createToken(kv, name, { scope: opts.scope ?? "write" });
      return basic(name, token);
    },
    upload(owner, zip, auth) {
      const headers: Record<string, string> = {};
      if (auth) headers.authorization = auth;
      return fetch(`${url}/api/packages/${owner}/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers,
      });
    },
    async close() {
      await server.shutdown();
      await app.close();
      if (!store) kv.close();
    },
  };
}

/** The `Authorization` value curl `--user name:secret` sends. */
export function basic(name: string, secret: string): string {
  return "Basic " + new TextEncoder().encode(`${name}:${secret}`).toBase64();
}

/** Reads a response body as text (always consuming it). */
export async function body(res: Response): Promise<string> {
  return await res.text();
}

/** Path of main.ts, for subprocesses. */
export const MAIN_TS = new URL("../../main.ts", import.meta.url).pathname;

/** Longest a `main.ts` command may run in a test before it is killed (60 s). */
export const MAIN_TIMEOUT_MS = 60_000;

/**
 * Runs `main.ts` with arguments (and optional standard input, environment, directory).
 * Throws if it has not exited within `timeoutMs` (default {@link MAIN_TIMEOUT_MS}), so a
 * hang fails the test instead of stalling CI.
 */
export async function runMain(
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const timeoutMs = options.timeoutMs ?? MAIN_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  if (signal.aborted) { // killed by the timeout, whatever its exit code (SIGTERM may exit 0)
    throw new Error(`main.ts ${args.join(" ")} did not exit within ${timeoutMs / 1000} s`);
  }
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Runs a `main.ts` admin command against a store; returns exit code and output. */
export function runCli(
  kvPath: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runMain([...args, "--kv", kvPath], { stdin });
}

/** A `main.ts serve` subprocess. */
export interface ServerProcess {
  /** Base URL. */
  url: string;
  /** The child process. */
  child: Deno.ChildProcess;
  /** Sends SIGTERM (or `signal`) and waits for the exit; SIGKILL and a throw after 15 s. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/**
 * Starts `main.ts serve` on a free port over a store file; waits for /healthz. With `tls`,
 * serves HTTPS and checks health through `tls.client` (which trusts the test CA).
 */
/**
 * The `deno` arguments that serve the store `kvPath` on 127.0.0.1:`port`, with `deno run`
 * flags before the script and `serve` flags after it.
 *
 * @example
 * ```ts
 * new Deno.Command(Deno.execPath(), { args: serveArgs(kv, 8000, ["--cpu-prof"]) });
 * ```
 */
export function serveArgs(
  kvPath: string,
  port: number,
  denoFlags: string[] = [],
  serveFlags: string[] = [],
): string[] {
  return [
    "run",
    "-A",
    ...denoFlags,
    MAIN_TS,
    "serve",
    "--kv",
    kvPath,
    "--port",
    String(port),
    "--hostname",
    "127.0.0.1",
    ...serveFlags,
  ];
}

export async function spawnServer(
  kvPath: string,
  extra: string[] = [],
  tls?: { cert: string; key: string; client: Deno.HttpClient },
): Promise<ServerProcess> {
  const port = freePort();
  const tlsArgs = tls ? ["--tls-cert", tls.cert, "--tls-key", tls.key] : [];
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs(kvPath, port, [], [...tlsArgs, ...extra]),
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url, tls?.client);
  } catch (err) {
    await stopWithin(child, "SIGKILL");
    throw err;
  }
  return { url, child, stop: (signal: Deno.Signal = "SIGTERM") => stopWithin(child, signal) };
}

/** Sends `signal`; if the child has not exited 15 s later, kills it and throws. */
async function stopWithin(child: Deno.ChildProcess, signal: Deno.Signal): Promise<void> {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), 15_000));
  const outcome = await Promise.race([child.status, late]);
  clearTimeout(timer);
  if (outcome === "late") {
    try {
      child.kill("SIGKILL");
    } catch { /* gone meanwhile */ }
    await child.status;
    throw new Error(`the server did not exit within 15 s of ${signal}; killed`);
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Polls `${url}/healthz` until it answers 200 (10 s at most, each attempt at most 2 s);
 * throws otherwise.
 */
export async function waitUntilHealthy(url: string, client?: Deno.HttpClient): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/healthz`, { client, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url}/healthz did not answer 200`);
}

/**
 * Starts an upload whose body sends `zip` up to `stopAt` bytes and then stalls (as a
 * client or server that died would leave it). Resolves the upload's outcome; `cancel` ends it.
 */
export function stalledUpload(
  uploadUrl: string,
  auth: string,
  zip: Uint8Array,
  stopAt: number,
  signal?: AbortSignal,
): { done: Promise<unknown>; cancel(): Promise<void> } {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= stopAt) return await new Promise((r) => setTimeout(r, 2000));
      controller.enqueue(zip.slice(sent, sent + 256 * 1024));
      sent += 256 * 1024;
    },
  });
  const done = fetch(uploadUrl, {
    method: "PUT",
    body,
    headers: { authorization: auth },
    signal,
  }).catch((err) => err);
  return { done, cancel: () => body.cancel().catch(() => {}) };
}

/** Counts the keys under a prefix of a store file (opened beside the server). */
export async function countKeys(kvPath: string, prefix: string): Promise<number> {
  const kv = await Deno.openKv(kvPath);
  try {
    return await countKvKeys(kv, [prefix]);
  } finally {
    kv.close();
  }
}

/** Counts the keys under `prefix` of an open store. */
export async function countKvKeys(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

/** Polls until `probe` is true (5 s at most); returns whether it became true. */
export async function eventually(probe: () => Promise<boolean>, limitMs = 5000): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return await probe();
}
