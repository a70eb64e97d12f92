/**
 * Fixtures for fills that die: an upstream whose zip answer can be cut or stalled after a
 * number of bytes, and a pull-through modyard in its own process (over a store file), so a
 * test can kill it with SIGKILL in the middle of a fill — a crash that cleans nothing up.
 *
 * Run as a script, this file is that process:
 * `deno run -A tests/helpers/fill_process.ts KV UPSTREAM STALL_SECONDS LEASE_MS`; it prints its
 * base URL on the first line of its standard output.
 *
 * @module
 */

import { startTestServer } from "./server.ts";

/** How the flaky upstream answers its zip. */
export type ZipMode = "full" | "cut" | "stall";

/** An upstream GOPROXY serving one module zip, whole or broken off. */
export interface FlakyUpstream {
  /** Its GOPROXY URL. */
  goproxy: string;
  /** `full`; `cut`: the connection fails after `breakAt` bytes; `stall`: no byte after them. */
  mode: ZipMode;
  /** Bytes sent before a cut or stall. */
  breakAt: number;
  /** Zip requests seen. */
  zipRequests: number;
  /** Stops it (stalled answers are ended first). */
  close(): Promise<void>;
}

/**
 * Serves `zip` at `/{module}/@v/{version}.zip` (404 for anything else) in 64 KiB pieces.
 *
 * @example
 * ```ts
 * const up = startFlakyUpstream("example.com/m", "v1.0.0", zip);
 * up.mode = "cut";
 * ```
 */
export function startFlakyUpstream(
  module: string,
  version: string,
  zip: Uint8Array,
): FlakyUpstream {
  const stalled = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const path = `/${module}/@v/${version}.zip`;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    if (new URL(req.url).pathname !== path) return new Response("not found\n", { status: 404 });
    up.zipRequests++;
    const { mode, breakAt } = up;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const end = mode === "full" ? zip.byteLength : Math.min(breakAt, zip.byteLength);
        if (sent >= end) {
          if (mode === "full") controller.close();
          else if (mode === "cut") controller.error(new Error("connection cut"));
          else stalled.add(controller); // never another byte
          return;
        }
        const piece = zip.slice(sent, Math.min(end, sent + 65_536));
        sent += piece.byteLength;
        controller.enqueue(piece);
      },
    });
    return new Response(body, {
      headers: { "content-type": "application/zip", "content-length": String(zip.byteLength) },
    });
  });
  const up: FlakyUpstream = {
    goproxy: `http://127.0.0.1:${server.addr.port}`,
    mode: "full",
    breakAt: 0,
    zipRequests: 0,
    async close() {
      for (const c of stalled) {
        try {
          c.error(new Error("closing"));
        } catch { /* already ended */ }
      }
      await server.shutdown();
    },
  };
  return up;
}

/** A pull-through modyard process. */
export interface FillProcess {
  /** Base URL. */
  url: string;
  /** Its process id. */
  pid: number;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts this file as a pull-through modyard over the store file `kvPath` (sumdb checks off),
 * with the upload stall timeout (the fill's chunk lease) and the cross-process fill lease given.
 */
export async function spawnFillProcess(
  kvPath: string,
  upstream: string,
  timing: { stallSeconds: number; leaseMs: number },
): Promise<FillProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      kvPath,
      upstream,
      String(timing.stallSeconds),
      String(timing.leaseMs),
    ],
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timer = setTimeout(() => kill(), 20_000);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`fill process exited before printing its URL: ${text}`);
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  await reader.cancel().catch(() => {});
  return { url: text.split("\n")[0], pid: child.pid, kill };
}

if (import.meta.main) {
  const [kv, upstream, stallSeconds, leaseMs] = Deno.args;
  const server = await startTestServer({
    kv,
    stallSeconds: Number(stallSeconds),
    pullThrough: {
      upstream,
      ttlSeconds: 60,
      maxCacheBytes: 1024 * 1024 * 1024,
      sumdbUpstream: "off",
      lease: { leaseMs: Number(leaseMs), pollMs: 50 },
    },
  });
  console.log(server.url);
}
