/**
 * A per-process cache of hot module zips, bounded in bytes. Zips are immutable under their
 * blob id, so an entry never goes stale; a deleted version stops being served because its
 * version record is looked up (through the polled state cache) before the cache is asked.
 *
 * An entry is filled once from the store while any number of downloads stream from the part
 * already filled. Every byte the cache holds (filled, filling, or being sent) counts against
 * the budget: an entry is evicted only when no download is reading it, so the memory of cached
 * zips never exceeds the budget even under load.
 *
 * @module
 */

/** Default budget: 256 MiB. */
export const DEFAULT_ZIP_CACHE_SIZE = 256 * 1024 * 1024;
/** Zips above this share of the budget are not cached (a few huge zips would evict all). */
const MAX_ENTRY_SHARE = 4;
/** Bytes charged per entry besides the zip (map slot, entry object, key). */
const ENTRY_OVERHEAD = 256;
/** Bytes per piece of a response body served from the cache. */
export const SLICE_SIZE = 256 * 1024;

/** Fills `target` from the store, reporting how many leading bytes are ready. */
export type ZipFiller = (target: Uint8Array, progress: (filled: number) => void) => Promise<void>;

interface Entry {
  key: string;
  bytes: Uint8Array;
  /** Leading bytes that are ready. */
  filled: number;
  done: boolean;
  failed: unknown;
  /** Downloads reading the entry; it is not evicted while any are. */
  readers: number;
  /** Readers waiting for more bytes. */
  waiting: (() => void)[];
}

/**
 * A least-recently-used cache of zips by blob id, within a byte budget.
 *
 * @example
 * ```ts
 * const cache = new ZipCache(256 * 1024 * 1024);
 * const body = cache.stream(record.blobId, record.size, (target, progress) =>
 *   readBlobInto(kv, record.blobId, "zip", record.chunks, target, progress));
 * // `body` is undefined when the zip cannot be cached: stream it from the store instead.
 * ```
 */
export class ZipCache {
  #entries = new Map<string, Entry>();
  #used = 0;
  /** Downloads served from a cached (or filling) entry. */
  hits = 0;
  /** Downloads that started filling an entry. */
  misses = 0;
  /** Downloads that could not be cached (too large, or the budget taken): streamed from KV. */
  bypassed = 0;

  /** Creates a cache that holds at most `budget` bytes (0 disables it). */
  constructor(readonly budget: number) {}

  /** Bytes held now (zips plus bookkeeping): never above {@link budget}. */
  get used(): number {
    return this.#used;
  }

  /** Number of cached (or filling) zips. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether the zip with this key is cached or filling. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /**
   * A stream of the zip under `key` (`size` bytes): from the cache, or from an entry that
   * `fill` starts filling now. `undefined` when the zip cannot be cached (too large, or
   * the budget is taken by zips being downloaded): the caller streams it from the store.
   */
  stream(key: string, size: number, fill: ZipFiller): ReadableStream<Uint8Array> | undefined {
    let entry = this.#entries.get(key);
    if (entry) {
      this.hits++;
      // Most recently used goes last.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    } else {
      entry = this.#start(key, size, fill);
      if (!entry) {
        this.bypassed++;
        return undefined;
      }
      this.misses++;
    }
    return readEntry(entry);
  }

  #start(key: string, size: number, fill: ZipFiller): Entry | undefined {
    const charge = size + ENTRY_OVERHEAD;
    if (charge > this.budget / MAX_ENTRY_SHARE) return undefined;
    if (!this.#makeRoom(charge)) return undefined;
    const entry: Entry = {
      key,
      bytes: new Uint8Array(size),
      filled: 0,
      done: false,
      failed: undefined,
      readers: 0,
      waiting: [],
    };
    this.#entries.set(key, entry);
    this.#used += charge;
    const wake = () => {
      const waiting = entry.waiting;
      entry.waiting = [];
      for (const w of waiting) w();
    };
    fill(entry.bytes, (filled) => {
      entry.filled = filled;
      wake();
    }).then(() => {
      if (entry.filled !== size) throw new Error(`Zip ${key} filled ${entry.filled} of ${size}`);
      entry.done = true;
    }).catch((err) => {
      entry.failed = err ?? new Error(`Filling zip ${key} failed`);
      this.#remove(entry);
    }).finally(wake);
    return entry;
  }

  /** Evicts least recently used idle entries until `charge` more bytes fit. */
  #makeRoom(charge: number): boolean {
    if (this.#used + charge <= this.budget) return true;
    for (const entry of this.#entries.values()) {
      if (entry.readers > 0 || !entry.done) continue;
      this.#remove(entry);
      if (this.#used + charge <= this.budget) return true;
    }
    return false;
  }

  #remove(entry: Entry): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    this.#used -= entry.bytes.length + ENTRY_OVERHEAD;
  }
}

/** A stream of an entry's bytes as subarrays, waiting for the filler where needed. */
function readEntry(entry: Entry): ReadableStream<Uint8Array> {
  entry.readers++;
  let released = false;
  const release = () => {
    if (!released) entry.readers--;
    released = true;
  };
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (pos >= entry.filled && !entry.done && entry.failed === undefined) {
        await new Promise<void>((resolve) => entry.waiting.push(resolve));
      }
      if (entry.failed !== undefined) {
        release();
        controller.error(entry.failed);
      } else if (pos < entry.filled) {
        const end = Math.min(entry.filled, pos + SLICE_SIZE);
        controller.enqueue(entry.bytes.subarray(pos, end));
        pos = end;
      } else {
        release();
        controller.close();
      }
    },
    cancel: release,
  }, { highWaterMark: 0 });
}
