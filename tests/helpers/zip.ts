/**
 * Building module zips for tests from in-memory file maps (no directory entries). Zips of
 * source trees come from the publish command's own builder (src/cli/build_zip.ts).
 *
 * @module
 */

import { BlobWriter, configure, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";

configure({ useWebWorkers: false });

/** Builds a zip whose entries are `files` in insertion order (names used as given). */
export async function buildZip(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const writer = new ZipWriter(new BlobWriter("application/zip"), { useWebWorkers: false });
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    await writer.add(name, new Uint8ArrayReader(bytes), { level: 6 });
  }
  const blob = await writer.close();
  return new Uint8Array(await blob.arrayBuffer());
}

/** Builds a module zip from a file map relative to the module root. */
export function moduleZip(
  path: string,
  version: string,
  files: Record<string, string | Uint8Array>,
): Promise<Uint8Array> {
  const prefixed: Record<string, string | Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) {
    prefixed[`${path}@${version}/${name}`] = content;
  }
  return buildZip(prefixed);
}

/** `n` random bytes (any length; getRandomValues gives at most 64 KiB a call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}
