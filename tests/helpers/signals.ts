/**
 * Fixtures for shutdown tests against a `main.ts serve` subprocess: large stored (level 0)
 * module zips built quickly, request bodies streamed at a set pace, and waiting for a
 * process to exit within a deadline.
 *
 * @module
 */

import { BlobWriter, configure, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { randomBytes } from "./zip.ts";

configure({ useWebWorkers: false });

/**
 * A module zip with a go.mod and one file of `dataBytes` random bytes, stored without
 * compression (a 100 MiB zip builds in about a second, and its size is what it says).
 */
export async function largeModuleZip(
  path: string,
  version: string,
  dataBytes: number,
): Promise<Uint8Array> {
  const writer = new ZipWriter(new BlobWriter("application/zip"), { useWebWorkers: false });
  const prefix = `${path}@${version}/`;
  const gomod = new TextEncoder().encode(`module ${path}\n`);
  await writer.add(`${prefix}go.mod`, new Uint8ArrayReader(gomod), { level: 0 });
  await writer.add(`${prefix}data.bin`, new Uint8ArrayReader(randomBytes(dataBytes)), {
    level: 0,
  });
  return new Uint8Array(await (await writer.close()).arrayBuffer());
}

/** A request body sending bytes at a set pace, and how far it got. */
export interface PacedBody {
  /** The body to pass to `fetch`. */
  stream: ReadableStream<Uint8Array>;
  /** Bytes handed to `fetch` so far. */
  sent(): number;
  /** Resolves once at least `n` bytes were handed over. */
  reached(n: number): Promise<void>;
}

/**
 * Streams `bytes` in pieces of `chunkBytes`, pausing `pauseMs` before each; with
 * `stallAt`, stops sending (without ending the body) after that many bytes.
 */
export function pacedBody(
  bytes: Uint8Array,
  chunkBytes: number,
  pauseMs: number,
  stallAt = Infinity,
): PacedBody {
  let sent = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= stallAt) return await new Promise<void>(() => {});
      await new Promise((r) => setTimeout(r, pauseMs));
      const piece = bytes.slice(sent, Math.min(bytes.length, sent + chunkBytes));
      sent += piece.length;
      controller.enqueue(piece);
      for (const w of waiters.filter((w) => sent >= w.n)) w.resolve();
      if (sent >= bytes.length) controller.close();
    },
  });
  return {
    stream,
    sent: () => sent,
    reached: (n) =>
      sent >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

/**
 * The exit code of `child` if it exits within `ms`, else `null` (the child keeps running).
 */
export async function exitCodeWithin(child: Deno.ChildProcess, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([child.status.then((s) => s.code), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** SHA-256 of bytes, hex (to compare 100 MiB bodies without a deep-equality walk). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Pauses `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
