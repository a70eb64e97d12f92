/**
 * Download counts batched in memory and flushed to KV with `sum` mutations: a download costs
 * no KV write of its own. Counts reach the store at most {@link FLUSH_INTERVAL_MS} after they
 * happen, when the batch fills its byte budget, and when the app closes (graceful shutdown);
 * a crash loses at most the counts of that window.
 *
 * @module
 */

import { keys } from "../store/keys.ts";

/** The longest a counted download waits before it is written to the store. */
export const FLUSH_INTERVAL_MS = 5000;
/** Default byte budget of the unflushed batch (it is flushed early when full). */
export const DEFAULT_PENDING_BYTES = 1024 * 1024;
/** Mutations per atomic commit (Deno KV allows 1,000). */
const MUTATIONS_PER_COMMIT = 500;
/**
 * Key bytes per atomic commit: Deno KV refuses a commit whose keys total over 81,920 bytes
 * (measured on 2.9.6; the 819,200-byte limit on the whole commit is never reached first here).
 */
const KEY_BYTES_PER_COMMIT = 64 * 1024;
/** Bookkeeping bytes charged per batch entry besides its key text. */
const ENTRY_OVERHEAD = 64;

interface Pending {
  owner: string;
  module: string;
  version: string;
  count: number;
}

/**
 * Counts zip downloads per (owner, module, version) in memory and adds them to the
 * `["downloads", …]` counters in batches.
 *
 * @example
 * ```ts
 * const counts = new DownloadCounts(kv);
 * counts.add("alice", "example.com/m", "v1.0.0");
 * counts.pending("alice", "example.com/m"); // Map { "v1.0.0" => 1 }
 * await counts.close(); // flushed
 * ```
 */
export class DownloadCounts {
  #batch = new Map<string, Pending>();
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The flush in progress (flushes run one at a time). */
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** Flushes that finished, so a reader can tell a batch moved into the store under it. */
  #flushes = 0;

  /** Creates the counter over `kv`; the batch is flushed when it holds `maxBytes`. */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly options: { maxBytes?: number; intervalMs?: number } = {},
  ) {}

  /**
   * Counts one download. Returns a promise only when the batch was full and had to be
   * flushed first (the caller should await it: back-pressure instead of unbounded memory).
   */
  add(owner: string, module: string, version: string): Promise<void> | undefined {
    const id = `${owner}\0${module}\0${version}`;
    const entry = this.#batch.get(id);
    if (entry) {
      entry.count++;
      return undefined;
    }
    const size = id.length * 2 + ENTRY_OVERHEAD;
    if (this.#bytes + size > (this.options.maxBytes ?? DEFAULT_PENDING_BYTES) && this.#bytes > 0) {
      return this.flush().then(() => this.add(owner, module, version));
    }
    this.#batch.set(id, { owner, module, version, count: 1 });
    this.#bytes += size;
    this.#schedule();
    return undefined;
  }

  /** Unflushed downloads of a module's versions in this process (not yet in the store). */
  pending(owner: string, module: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.#batch.values()) {
      if (e.owner === owner && e.module === module) out.set(e.version, e.count);
    }
    return out;
  }

  /**
   * Reads stored counts with `read` and adds this process's unflushed ones, so that no
   * download is counted twice or missed while a flush moves a batch into the store.
   */
  async withPending(
    owner: string,
    module: string,
    read: () => Promise<Map<string, number>>,
  ): Promise<Map<string, number>> {
    for (let attempt = 0;; attempt++) {
      await this.#flushing?.catch(() => {});
      const before = this.#flushes;
      const stored = await read();
      const moved = this.#flushing !== null || this.#flushes !== before;
      if (moved && attempt < 3) continue;
      for (const [version, n] of this.pending(owner, module)) {
        stored.set(version, (stored.get(version) ?? 0) + n);
      }
      return stored;
    }
  }

  /** Writes the batch to the store now (after any flush in progress). */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      const batch = [...this.#batch.values()];
      this.#batch = new Map();
      this.#bytes = 0;
      try {
        for (const group of commitGroups(batch)) {
          try {
            const op = this.kv.atomic();
            for (const e of group) {
              op.sum(keys.downloads(e.owner, e.module, e.version), BigInt(e.count));
            }
            await op.commit();
          } catch (err) {
            // Keep what was not written for the next flush rather than losing it.
            for (const e of batch.slice(batch.indexOf(group[0]))) this.#restore(e);
            this.#schedule();
            throw err;
          }
        }
      } finally {
        this.#flushes++;
      }
    };
    const previous = this.#flushing ?? Promise.resolve();
    const next = previous.catch(() => {}).then(run);
    const tracked: Promise<void> = next.finally(() => {
      if (this.#flushing === tracked) this.#flushing = null;
    });
    this.#flushing = tracked;
    return tracked;
  }

  /** Flushes what is left and stops the timer; later counts are flushed only by {@link flush}. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed || this.#batch.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err) => console.error("flushing download counts failed:", err));
    }, this.options.intervalMs ?? FLUSH_INTERVAL_MS);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  #restore(e: Pending): void {
    const id = `${e.owner}\0${e.module}\0${e.version}`;
    const entry = this.#batch.get(id);
    if (entry) {
      entry.count += e.count;
    } else {
      this.#batch.set(id, { ...e });
      this.#bytes += id.length * 2 + ENTRY_OVERHEAD;
    }
  }
}

const utf8 = new TextEncoder();

/** Splits a batch into groups that each fit one atomic commit. */
function commitGroups(batch: Pending[]): Pending[][] {
  const groups: Pending[][] = [];
  let group: Pending[] = [];
  let bytes = 0;
  for (const e of batch) {
    // The encoded key: its parts in UTF-8 plus a type byte and terminator each, with margin.
    const size = utf8.encode(e.owner + e.module + e.version).length + 32;
    if (group.length === MUTATIONS_PER_COMMIT || bytes + size > KEY_BYTES_PER_COMMIT) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(e);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
