/**
 * Random-access reads of a stored zip, straight from its KV chunks: what the web UI needs to
 * read a central directory, a local header or one entry's data without the whole zip in
 * memory (and without loading zip.js, which the UI does not otherwise need).
 *
 * @module
 */

import { CHUNK_SIZE, readChunks } from "../../store/blob_store.ts";
import { StoredZipError } from "./zip_directory.ts";

/** Reads `length` bytes at `offset` (fewer at the end of the blob). */
export type RangeReader = (offset: number, length: number) => Promise<Uint8Array>;

/** Chunks kept from the last reads (a local header and its data often share one). */
const KEPT_CHUNKS = 4;

/**
 * A {@link RangeReader} over the `zip` part of blob `blobId` (`size` bytes), keeping the
 * last few chunks it read. A chunk that cannot be read (a reclaimed blob, a store error)
 * throws {@link StoredZipError}.
 *
 * @example
 * ```ts
 * const read = storedZipRange(kv, record.blobId, record.size);
 * const tail = await read(record.size - 22, 22);
 * ```
 */
export function storedZipRange(kv: Deno.Kv, blobId: string, size: number): RangeReader {
  const kept = new Map<number, Uint8Array>();
  return async (offset, length) => {
    const end = Math.min(size, offset + length);
    if (offset < 0 || end <= offset) return new Uint8Array(0);
    const first = Math.floor(offset / CHUNK_SIZE);
    const last = Math.floor((end - 1) / CHUNK_SIZE);
    let missing = first;
    while (missing <= last && kept.has(missing)) missing++;
    if (missing <= last) {
      let fetched: Uint8Array[];
      try {
        fetched = await readChunks(kv, blobId, "zip", missing, last + 1);
      } catch (err) {
        // E.g. the chunks of a deleted version, reclaimed under the reader.
        throw new StoredZipError(`cannot read the stored zip: ${(err as Error).message}`);
      }
      fetched.forEach((chunk, k) => {
        kept.delete(missing + k);
        kept.set(missing + k, chunk);
      });
      while (kept.size > Math.max(KEPT_CHUNKS, last - first + 1)) {
        kept.delete(kept.keys().next().value as number);
      }
    }
    const out = new Uint8Array(end - offset);
    for (let i = first; i <= last; i++) {
      const chunk = kept.get(i)!;
      const chunkStart = i * CHUNK_SIZE;
      const from = Math.max(offset, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + chunk.length) - chunkStart;
      if (to > from) out.set(chunk.subarray(from, to), chunkStart + from - offset);
    }
    return out;
  };
}

/** A {@link RangeReader} over bytes in memory (tests, and zips already held). */
export function bytesRange(bytes: Uint8Array): RangeReader {
  return (offset, length) =>
    Promise.resolve(bytes.subarray(Math.max(0, offset), Math.max(0, offset + length)));
}
