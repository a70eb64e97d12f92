/**
 * Cold start: from spawning `main.ts serve` to its first `200` on `/healthz`, polled every
 * 2 ms; and a store of many versions to start it on, filled through the upload route.
 *
 * @module
 */

import { freePort } from "../tests/helpers/server.ts";
import { moduleZip } from "../tests/helpers/zip.ts";
import { median } from "./wrk.ts";

/** Milliseconds from spawn to the first 200, for each run, and their median. */
export interface ColdStart {
  /** Each run, ms. */
  runs: number[];
  /** Median, ms. */
  median: number;
}

async function firstOk(url: string, child: Deno.ChildProcess, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  let exited = false;
  child.status.then(() => exited = true);
  while (performance.now() < end && !exited) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(
    `${url} gave no 200 within ${limitMs} ms${exited ? " (the process exited)" : ""}`,
  );
}

/**
 * Starts a server `runs` times (after one unmeasured start that warms Deno's caches) with
 * the given arguments and measures the time to the first 200 on `/healthz`.
 *
 * `args(port)` returns the `deno` arguments; by default `run -A main.ts serve --kv KV`.
 *
 * @example
 * ```ts
 * // serveArgs: tests/helpers/server.ts
 * const empty = await measureColdStart((port) => serveArgs(`${dir}/empty.kv`, port), 5);
 * ```
 */
export async function measureColdStart(
  args: (port: number) => string[],
  runs: number,
): Promise<ColdStart> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const port = freePort();
    const started = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: args(port),
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      await firstOk(`http://127.0.0.1:${port}/healthz`, child, 10_000);
      if (i > 0) times.push(performance.now() - started);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    }
  }
  return { runs: times, median: median(times) };
}

/**
 * Publishes `count` small versions (100 modules × count/100 versions) through the upload route
 * of a running server, `concurrency` at a time, so the store has exactly the layout real
 * uploads leave; numbering starts at `first` (to add to a store filled before). Returns the
 * seconds it took.
 */
export async function fillStore(
  uploadUrl: string,
  auth: string,
  count: number,
  concurrency = 8,
  first = 0,
): Promise<number> {
  const started = performance.now();
  let next = first;
  const worker = async () => {
    while (next < first + count) {
      const i = next++;
      const module = `fill.example/m${i % 100}`;
      const version = `v1.${Math.floor(i / 100)}.0`;
      const zip = await moduleZip(module, version, {
        "go.mod": `module ${module}\n\ngo 1.19\n`,
        "m.go": `package m\n\nconst N = ${i}\n`,
      });
      const res = await fetch(uploadUrl, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`filling the store: ${res.status} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - started) / 1000;
}
