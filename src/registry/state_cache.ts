/**
 * A per-process cache of registry state (users, tokens, versions, go.mod texts), dropped
 * whenever the store's generation counter moves. The counter is polled, because
 * `kv.watch` on a local SQLite store does not see other processes' writes: nothing is
 * served from the cache if the last successful poll is older than {@link MAX_STALENESS_MS}.
 *
 * @module
 */

import { keys } from "../store/keys.ts";

/** The bound on how stale cached state may be. */
export const MAX_STALENESS_MS = 1000;
const POLL_INTERVAL_MS = 200;

/** A cache of loader results, keyed by string, cleared on every generation change. */
export class StateCache {
  #generation: bigint | null = null;
  #lastPoll = 0;
  #polling: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #maps = new Map<string, Map<string, unknown>>();

  /** Creates the cache and starts polling in the background. */
  constructor(private readonly kv: Deno.Kv) {
    const timer = setInterval(() => this.#poll().catch(() => {}), POLL_INTERVAL_MS);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  /** Stops polling. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Drops everything cached (after this process changed the store). */
  invalidate(): void {
    this.#maps.clear();
  }

  /**
   * Returns the cached value of `load` for `(space, key)`, loading it when absent or when
   * the cache cannot prove it is fresh enough.
   */
  async get<T>(space: string, key: string, load: () => Promise<T>): Promise<T> {
    if (Date.now() - this.#lastPoll > MAX_STALENESS_MS) await this.#poll();
    let map = this.#maps.get(space);
    if (!map) this.#maps.set(space, map = new Map());
    if (map.has(key)) return map.get(key) as T;
    const generation = this.#generation;
    const value = await load();
    // Only remember what was loaded under the generation that is still current.
    if (generation === this.#generation) this.#maps.get(space)?.set(key, value);
    return value;
  }

  /** Removes one entry (e.g. a large value that should not stay). */
  delete(space: string, key: string): void {
    this.#maps.get(space)?.delete(key);
  }

  #poll(): Promise<void> {
    this.#polling ??= (async () => {
      try {
        const started = Date.now();
        const entry = await this.kv.get<Deno.KvU64>(keys.generation());
        const generation = entry.value?.value ?? 0n;
        if (generation !== this.#generation) {
          this.#generation = generation;
          this.#maps.clear();
        }
        this.#lastPoll = started;
      } finally {
        this.#polling = null;
      }
    })();
    return this.#polling;
  }
}

/** Adds the generation bump to an atomic operation that changes cached state. */
export function bumpGeneration(op: Deno.AtomicOperation): Deno.AtomicOperation {
  return op.sum(keys.generation(), 1n);
}
