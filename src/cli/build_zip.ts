/**
 * Writes a module zip to a file while hashing it: entries `path@version/file` for the
 * selected files, no directory entries, deflate; the zip streams to disk so a 500 MiB module
 * never sits in memory. Returns the go.sum hashes computed from the same bytes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { configure, ZipWriter } from "@zip.js/zip.js";
import { goModHash1, hash1, type HashedFile } from "../gomod/dirhash.ts";
import type { ModuleFiles } from "./module_source.ts";

configure({ useWebWorkers: false });

/** What was written. */
export interface BuiltZip {
  /** Zip size in bytes. */
  size: number;
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod. */
  goModH1: string;
}

/** Builds the zip of `files` for `module@version` into `outPath`. */
export async function buildModuleZip(
  files: ModuleFiles,
  module: string,
  version: string,
  outPath: string,
): Promise<BuiltZip> {
  const out = await Deno.open(outPath, { write: true, create: true, truncate: true });
  let size = 0;
  const counting = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      size += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  const piping = counting.readable.pipeTo(out.writable);
  const writer = new ZipWriter(counting.writable, { useWebWorkers: false, level: 6 });
  const prefix = `${module}@${version}/`;
  const hashed: HashedFile[] = [];
  let goMod: Uint8Array | null = null;
  for (const file of files.selection.valid) {
    const hash = createHash("sha256");
    const keep = file.path === "go.mod";
    const parts: Uint8Array[] = [];
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        if (keep) parts.push(chunk.slice());
        controller.enqueue(chunk);
      },
    });
    const source = await files.open(file.path);
    await writer.add(prefix + file.path, source.pipeThrough(tap), {
      lastModDate: new Date(Date.UTC(2019, 9, 1)),
    });
    hashed.push({ name: prefix + file.path, sha256: hash.digest("hex") });
    if (keep) goMod = concat(parts);
  }
  await writer.close();
  await piping;
  return {
    size,
    h1: hash1(hashed),
    goModH1: goModHash1(goMod ?? new TextEncoder().encode(`module ${module}\n`)),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
