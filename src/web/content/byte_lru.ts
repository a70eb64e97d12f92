/**
 * A least-recently-used map bounded by the bytes its values are charged: for what the web
 * UI derives from immutable stored data (zip directories, rendered READMEs), whose keys are
 * blob ids and digests, never raw request text.
 *
 * @module
 */

/**
 * An LRU map within a byte budget. A value charged more than a quarter of the budget is not
 * kept (a few huge values would evict everything else).
 *
 * @example
 * ```ts
 * const cache = new ByteLru<string>(1024 * 1024);
 * cache.set("blob1", "<p>hi</p>", 9 * 2);
 * cache.get("blob1"); // "<p>hi</p>"
 * ```
 */
export class ByteLru<V> {
  #entries = new Map<string, { value: V; charge: number }>();
  #used = 0;

  /** Creates a cache of at most `budget` bytes. */
  constructor(readonly budget: number) {}

  /** Bytes charged now (never above the budget). */
  get used(): number {
    return this.#used;
  }

  /** The value under `key` (made most recently used), or `undefined`. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` under `key`, charged `bytes` (plus the key), evicting the oldest. */
  set(key: string, value: V, bytes: number): void {
    const charge = bytes + 2 * key.length + 64;
    this.delete(key);
    if (charge > this.budget / 4) return;
    while (this.#used + charge > this.budget) {
      const oldest = this.#entries.keys().next().value as string;
      this.delete(oldest);
    }
    this.#entries.set(key, { value, charge });
    this.#used += charge;
  }

  /** Forgets `key`. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#used -= entry.charge;
  }
}
