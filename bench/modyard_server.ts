/**
 * A `main.ts serve` process with extra flags for `deno` itself (e.g. `--cpu-prof`), which the
 * test helper's spawnServer does not take.
 *
 * @module
 */

import { freePort, serveArgs, waitUntilHealthy } from "../tests/helpers/server.ts";

/** A running modyard process. */
export interface ModyardProcess {
  /** Base URL. */
  url: string;
  /** Process id. */
  pid: number;
  /** SIGTERM (a graceful stop, which also writes a CPU profile) and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `deno run -A DENO_FLAGS main.ts serve --kv KV` on a free port; waits for /healthz.
 *
 * @example
 * ```ts
 * const s = await spawnModyard(kv, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
 * await s.stop();
 * ```
 */
export async function spawnModyard(
  kvPath: string,
  denoFlags: string[] = [],
  serveFlags: string[] = [],
): Promise<ModyardProcess> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs(kvPath, port, denoFlags, serveFlags),
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url);
  } catch (err) {
    child.kill("SIGKILL");
    await child.status;
    throw err;
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 30_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}
