/**
 * A per-process cache of small answers that may change (a checksum database's `latest`,
 * partial tiles): each kept for a few seconds, within a budget in bytes.
 *
 * @module
 */

/** Default: 5 seconds, 1 MiB. */
export const DEFAULT_SHORT_LIVED = { ttlMs: 5_000, budget: 1024 * 1024 };

/**
 * Keeps values for `ttlMs`, at most `budget` bytes of keys and values; concurrent misses of
 * one key share one load. Keys must be bounded by the caller (validated paths).
 *
 * @example
 * ```ts
 * const cache = new ShortLivedCache();
 * const body = await cache.get("latest", () => fetchLatest());
 * ```
 */
export class ShortLivedCache {
  readonly #entries = new Map<string, { value: Uint8Array; until: number; cost: number }>();
  readonly #loading = new Map<string, Promise<Uint8Array>>();
  #bytes = 0;

  /** Creates the cache. */
  constructor(
    readonly ttlMs = DEFAULT_SHORT_LIVED.ttlMs,
    readonly budget = DEFAULT_SHORT_LIVED.budget,
  ) {}

  /** The value of `key`, loaded with `load` when absent or expired. */
  get(key: string, load: () => Promise<Uint8Array>, now = Date.now()): Promise<Uint8Array> {
    const hit = this.#entries.get(key);
    if (hit && hit.until > now) return Promise.resolve(hit.value);
    const running = this.#loading.get(key);
    if (running) return running;
    const promise = load().then((value) => {
      this.#put(key, value, Date.now());
      return value;
    }).finally(() => this.#loading.delete(key));
    this.#loading.set(key, promise);
    return promise;
  }

  #put(key: string, value: Uint8Array, now: number): void {
    this.#drop(key);
    const cost = 2 * key.length + value.byteLength + 64;
    if (cost > this.budget) return;
    for (const [k, e] of this.#entries) {
      if (this.#bytes + cost <= this.budget && e.until > now) break;
      this.#drop(k);
    }
    this.#entries.set(key, { value, until: now + this.ttlMs, cost });
    this.#bytes += cost;
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    this.#bytes -= e.cost;
  }

  /** Bytes held (for tests). */
  get bytes(): number {
    return this.#bytes;
  }
}
