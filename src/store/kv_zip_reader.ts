/**
 * A zip.js `Reader` over a blob stored in KV chunks, so zip.js can validate an archive
 * while only its central directory and the entry being read are in memory.
 *
 * @module
 */

import { Reader } from "@zip.js/zip.js";
import { CHUNK_SIZE, readChunks } from "./blob_store.ts";
import type { BlobPart } from "./keys.ts";

/** Random-access reads of a stored blob part, with a small cache of recent chunks. */
export class KvBlobReader extends Reader<null> {
  #cache = new Map<number, Uint8Array>();

  /** Creates a reader of `size` bytes stored in `chunks` chunks. */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly blobId: string,
    private readonly part: BlobPart,
    size: number,
  ) {
    super(null);
    this.size = size;
  }

  /** Sets the size (already known). */
  override init(): Promise<void> {
    return Promise.resolve();
  }

  /** Reads `length` bytes at `offset`, truncated at the end of the blob. */
  override async readUint8Array(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const first = Math.floor(offset / CHUNK_SIZE);
    const last = Math.floor((end - 1) / CHUNK_SIZE);
    const out = new Uint8Array(end - offset);
    let missingFrom = -1;
    const chunks: Uint8Array[] = [];
    for (let i = first; i <= last; i++) {
      const hit = this.#cache.get(i);
      if (hit) chunks[i - first] = hit;
      else if (missingFrom < 0) missingFrom = i;
    }
    if (missingFrom >= 0) {
      const fetched = await readChunks(this.kv, this.blobId, this.part, missingFrom, last + 1);
      fetched.forEach((c, k) => {
        chunks[missingFrom + k - first] = c;
        this.#remember(missingFrom + k, c);
      });
    }
    for (let i = first; i <= last; i++) {
      const chunk = chunks[i - first];
      const chunkStart = i * CHUNK_SIZE;
      const from = Math.max(offset, chunkStart) - chunkStart;
      const to = Math.min(end, chunkStart + chunk.length) - chunkStart;
      out.set(chunk.subarray(from, to), chunkStart + from - offset);
    }
    return out;
  }

  #remember(index: number, chunk: Uint8Array): void {
    this.#cache.set(index, chunk);
    if (this.#cache.size > 8) {
      const oldest = this.#cache.keys().next().value as number;
      this.#cache.delete(oldest);
    }
  }
}
