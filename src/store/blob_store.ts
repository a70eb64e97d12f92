/**
 * Chunked, immutable blobs in Deno KV, written under an upload lease so that an upload
 * that dies leaves chunks a sweeper can find, and never half a visible blob.
 *
 * @module
 */

import { timeKv } from "../ops/process_metrics.ts";
import { type BlobPart, keys } from "./keys.ts";
import type { UploadLease } from "./records.ts";

/** Bytes per chunk: below the 65,536-byte value limit of Deno KV. */
export const CHUNK_SIZE = 64_000;
/** Chunks per atomic commit: 12 × 64,000 stays below the 819,200-byte commit limit. */
const CHUNKS_PER_COMMIT = 12;

/** Thrown when the lease of an upload was taken by a sweeper (the upload stalled). */
export class LeaseLostError extends Error {
  /** Creates the error. */
  constructor() {
    super("Upload lease was reclaimed because the upload stalled");
    this.name = "LeaseLostError";
  }
}

/**
 * The lease of one upload: the `["upload", blobId]` key whose deadline it keeps
 * extending. Every write of chunks checks that the lease is still ours, so a sweeper that
 * reclaimed it (and deletes the chunks) can never race a writer into a visible version.
 */
export class Lease {
  #versionstamp: string;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly kv: Deno.Kv,
    readonly blobId: string,
    readonly owner: string,
    readonly stallMs: number,
    versionstamp: string,
    private readonly startedAt: number,
  ) {
    this.#versionstamp = versionstamp;
  }

  /** Starts a lease for a fresh blob id; it is renewed in the background every stallMs/3. */
  static async start(kv: Deno.Kv, owner: string, stallMs: number): Promise<Lease> {
    const blobId = crypto.randomUUID();
    const now = Date.now();
    const value: UploadLease = { owner, deadline: now + stallMs, startedAt: now };
    const res = await kv.atomic().check({ key: keys.upload(blobId), versionstamp: null })
      .set(keys.upload(blobId), value).commit();
    if (!res.ok) throw new Error("Upload id collision");
    const lease = new Lease(kv, blobId, owner, stallMs, res.versionstamp, now);
    lease.#timer = setInterval(() => {
      lease.commit((op) => op).catch(() => {});
    }, Math.max(50, Math.floor(stallMs / 3)));
    return lease;
  }

  /**
   * Runs one atomic commit that checks the lease is still ours and renews it. `build`
   * adds the caller's own mutations. Commits are serialised.
   */
  commit(build: (op: Deno.AtomicOperation) => Deno.AtomicOperation): Promise<void> {
    const run = async () => {
      const key = keys.upload(this.blobId);
      const value: UploadLease = {
        owner: this.owner,
        deadline: Date.now() + this.stallMs,
        startedAt: this.startedAt,
      };
      const op = build(this.kv.atomic().check({ key, versionstamp: this.#versionstamp }));
      const res = await op.set(key, value).commit();
      if (!res.ok) throw new LeaseLostError();
      this.#versionstamp = res.versionstamp;
    };
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Runs the final commit: checks the lease and deletes it along with the caller's
   * mutations. Returns the commit result so the caller can tell its own checks failed.
   * Throws {@link LeaseLostError} when the lease itself is gone.
   */
  finish(
    build: (op: Deno.AtomicOperation) => Deno.AtomicOperation,
  ): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
    this.stopRenewing();
    const run = async () => {
      const key = keys.upload(this.blobId);
      const op = build(this.kv.atomic().check({ key, versionstamp: this.#versionstamp }))
        .delete(key);
      const started = performance.now();
      const res = await op.commit();
      timeKv("publish_commit", started);
      if (!res.ok) {
        const current = await this.kv.get(key);
        if (current.versionstamp !== this.#versionstamp) throw new LeaseLostError();
      }
      return res;
    };
    const next = this.#queue.then(run);
    this.#queue = next.catch(() => {});
    return next;
  }

  /**
   * Abandons the upload: replaces the lease by a reclaim marker in one commit, then deletes
   * the chunks and the marker. A crash in between leaves the marker for `gc`.
   */
  async abandon(): Promise<void> {
    this.stopRenewing();
    await this.#queue;
    const key = keys.upload(this.blobId);
    const res = await this.kv.atomic()
      .check({ key, versionstamp: this.#versionstamp })
      .delete(key)
      .set(keys.reclaim(this.blobId), reclaimMarker(this.owner, Date.now()))
      .commit();
    if (res.ok) await reclaimBlob(this.kv, this.blobId);
  }

  /** Stops the background renewal. */
  stopRenewing(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Writes one part of a blob as a sequence of chunks under a lease. */
export class ChunkWriter {
  #pending = new Uint8Array(CHUNK_SIZE);
  #fill = 0;
  #batch: Uint8Array[] = [];
  #inflight: Promise<void> = Promise.resolve();
  /** Chunks committed (or queued to be) so far. */
  chunks = 0;
  /** Bytes accepted so far. */
  size = 0;

  /** Creates a writer for `part` of the lease's blob. */
  constructor(readonly lease: Lease, readonly part: BlobPart) {}

  /** Accepts bytes; commits a batch of chunks when one is full. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const n = Math.min(CHUNK_SIZE - this.#fill, bytes.length - offset);
      this.#pending.set(bytes.subarray(offset, offset + n), this.#fill);
      this.#fill += n;
      offset += n;
      this.size += n;
      if (this.#fill === CHUNK_SIZE) {
        this.#batch.push(this.#pending);
        this.#pending = new Uint8Array(CHUNK_SIZE);
        this.#fill = 0;
        if (this.#batch.length === CHUNKS_PER_COMMIT) await this.#flush();
      }
    }
  }

  /** Commits whatever is still buffered, and waits until every commit is done. */
  async close(): Promise<void> {
    if (this.#fill > 0) {
      this.#batch.push(this.#pending.slice(0, this.#fill));
      this.#fill = 0;
    }
    await this.#flush();
    await this.#inflight;
  }

  /**
   * Queues a commit of the batch and waits only for the one before it, so the store writes
   * one batch while the next is received (the lease runs its commits one at a time, in
   * order) and at most two batches are held. A failed commit surfaces at the next flush or
   * at close.
   */
  async #flush(): Promise<void> {
    const previous = this.#inflight;
    if (this.#batch.length > 0) {
      const batch = this.#batch;
      this.#batch = [];
      const first = this.chunks;
      this.chunks += batch.length;
      const commit = this.lease.commit((op) => {
        batch.forEach((chunk, i) =>
          op.set(keys.blobChunk(this.lease.blobId, this.part, first + i), chunk)
        );
        return op;
      });
      commit.catch(() => {}); // awaited by the next flush or by close
      this.#inflight = commit;
    }
    await previous;
  }
}

/**
 * Reads chunks `[from, to)` of a blob part, up to 10 per KV round trip.
 * Throws when a chunk is missing (the blob was reclaimed under the reader).
 */
export async function readChunks(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  from: number,
  to: number,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = from; i < to; i += 10) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 10); j++) batch.push(keys.blobChunk(blobId, part, j));
    const started = performance.now();
    const entries = await kv.getMany<Uint8Array[]>(batch);
    timeKv("chunk_read", started);
    for (const e of entries) {
      if (!(e.value instanceof Uint8Array)) {
        throw new Error(`Blob ${blobId} is missing chunk ${JSON.stringify(e.key)}`);
      }
      out.push(e.value);
    }
  }
  return out;
}

/** Batches of chunks a download keeps in flight (each one `getMany` of up to 10 chunks). */
const READ_AHEAD_BATCHES = 3;

/**
 * Reads a blob part's chunks in order, up to 10 per `getMany`, keeping up to `ahead` reads
 * in flight: at most `ahead` × 640,000 bytes buffered, and the store busy while the previous
 * batch is being sent. `next()` resolves `null` after the last batch.
 */
export function readAhead(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  chunks: number,
  ahead = READ_AHEAD_BATCHES,
): { next(): Promise<Uint8Array[] | null> } {
  let from = 0;
  const inflight: Promise<Uint8Array[]>[] = [];
  const refill = () => {
    while (inflight.length < ahead && from < chunks) {
      const to = Math.min(chunks, from + 10);
      const read = readChunks(kv, blobId, part, from, to);
      read.catch(() => {}); // awaited in order below; never an unhandled rejection
      inflight.push(read);
      from = to;
    }
  };
  return {
    async next() {
      refill();
      const read = inflight.shift();
      if (!read) return null;
      const batch = await read;
      refill();
      return batch;
    },
  };
}

/**
 * A stream of a blob part's bytes, read batch by batch with a bounded read-ahead: never the
 * whole blob in memory.
 */
export function blobStream(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  chunks: number,
): ReadableStream<Uint8Array> {
  const reader = readAhead(kv, blobId, part, chunks);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const batch = await reader.next();
      if (batch === null) {
        controller.close();
        return;
      }
      for (const c of batch) controller.enqueue(c);
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads a blob part into `target` (exactly its size) in order, calling `progress` with the
 * number of leading bytes filled after each batch. Throws when the chunks do not add up.
 */
export async function readBlobInto(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  chunks: number,
  target: Uint8Array,
  progress: (filled: number) => void = () => {},
): Promise<void> {
  const reader = readAhead(kv, blobId, part, chunks);
  let offset = 0;
  for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
    for (const c of batch) {
      if (offset + c.length > target.length) {
        throw new Error(`Blob ${blobId} is larger than its recorded ${target.length} bytes`);
      }
      target.set(c, offset);
      offset += c.length;
    }
    progress(offset);
  }
  if (offset !== target.length) {
    throw new Error(`Blob ${blobId} has ${offset} bytes, not its recorded ${target.length}`);
  }
}

/** Reads a whole blob part into memory (for small parts such as a go.mod). */
export async function readBlob(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  chunks: number,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  await readBlobInto(kv, blobId, part, chunks, out);
  return out;
}

/** Deletes every chunk of a blob; returns how many chunks and bytes were removed. */
export async function deleteBlob(
  kv: Deno.Kv,
  blobId: string,
): Promise<{ chunks: number; bytes: number }> {
  let chunks = 0, bytes = 0;
  let batch: Deno.KvKey[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const op = kv.atomic();
    for (const key of batch) op.delete(key);
    await op.commit();
    batch = [];
  };
  for await (const entry of kv.list<Uint8Array>({ prefix: keys.blob(blobId) })) {
    chunks++;
    bytes += entry.value.byteLength;
    batch.push(entry.key);
    if (batch.length === 500) await flush();
  }
  await flush();
  return { chunks, bytes };
}

/** A blob whose chunks are garbage once `after` has passed. */
export interface ReclaimMarker {
  /** Owner the blob belonged to. */
  owner: string;
  /** Epoch ms after which the chunks may be deleted. */
  after: number;
}

function reclaimMarker(owner: string, after: number): ReclaimMarker {
  return { owner, after };
}

/** Deletes a blob's chunks, then its reclaim marker. */
async function reclaimBlob(
  kv: Deno.Kv,
  blobId: string,
): Promise<{ chunks: number; bytes: number }> {
  const removed = await deleteBlob(kv, blobId);
  await kv.delete(keys.reclaim(blobId));
  return removed;
}

/** One blob a sweep removed. */
export interface SweptUpload {
  /** Blob id. */
  blobId: string;
  /** Owner it was for. */
  owner: string;
  /** Chunks deleted. */
  chunks: number;
  /** Bytes deleted. */
  bytes: number;
}

/**
 * Removes abandoned uploads and other garbage blobs. An upload whose lease deadline has
 * passed has its lease swapped for a reclaim marker atomically (only if the lease is
 * unchanged, so a live upload that just renewed it keeps it); then every marker that is due
 * has its chunks deleted, and the marker last, so a crash mid-way is finished next time.
 */
export async function sweepAbandonedUploads(
  kv: Deno.Kv,
  now = Date.now(),
): Promise<SweptUpload[]> {
  for await (const entry of kv.list<UploadLease>({ prefix: keys.uploads() })) {
    if (entry.value.deadline > now) continue;
    const blobId = entry.key[1] as string;
    await kv.atomic().check(entry).delete(entry.key)
      .set(keys.reclaim(blobId), reclaimMarker(entry.value.owner, now)).commit();
  }
  const swept: SweptUpload[] = [];
  for await (const entry of kv.list<ReclaimMarker>({ prefix: keys.reclaims() })) {
    if (entry.value.after > now) continue;
    const blobId = entry.key[1] as string;
    swept.push({ blobId, owner: entry.value.owner, ...await reclaimBlob(kv, blobId) });
  }
  return swept;
}
