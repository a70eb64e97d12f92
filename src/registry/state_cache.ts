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
const MAX_ENTRIES_PER_SPACE = 50_000;

/** A cache of loader results, keyed by string, cleared on every generation change. */
export class StateCache {
  #generation: bigint | null = null;
  #lastPoll = 0;
  #polling: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #maps = new Map<string, Map<string, unknown>>();
  /** Bumped whenever the maps are cleared; a load only stores under the epoch it began in. */
  #epoch = 0;

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
    this.#clear();
  }

  /**
   * Returns the cached value of `load` for `(space, key)`, loading it when absent or when
   * the cache cannot prove it is fresh enough.
   */
  async get<T>(space: string, key: string, load: () => Promise<T>): Promise<T> {
    if (this.#stale()) await this.#poll();
    const map = this.#maps.get(space);
    if (map?.has(key)) return map.get(key) as T;
    const epoch = this.#epoch;
    const value = await load();
    this.put(space, key, value, epoch);
    return value;
  }

  /**
   * The current epoch when the cache is fresh enough to answer from, else `-1`. Pass it
   * to {@link put} so a value computed from older state is never stored.
   */
  freshEpoch(): number {
    return this.#stale() ? -1 : this.#epoch;
  }

  /** A cached value, synchronously, only while the cache is fresh enough. */
  peek<T>(space: string, key: string): T | undefined {
    if (this.#stale()) return undefined;
    return this.#maps.get(space)?.get(key) as T | undefined;
  }

  /** Stores a value computed during `epoch`, unless the cache was cleared since. */
  put(space: string, key: string, value: unknown, epoch: number): void {
    if (epoch !== this.#epoch) return;
    let map = this.#maps.get(space);
    if (!map) this.#maps.set(space, map = new Map());
    if (map.size >= MAX_ENTRIES_PER_SPACE) map.clear();
    map.set(key, value);
  }

  #stale(): boolean {
    return Date.now() - this.#lastPoll > MAX_STALENESS_MS;
  }

  #clear(): void {
    this.#maps.clear();
    this.#epoch++;
  }

  #poll(): Promise<void> {
    this.#polling ??= (async () => {
      try {
        const started = Date.now();
        const entry = await this.kv.get<Deno.KvU64>(keys.generation());
        const generation = entry.value?.value ?? 0n;
        if (generation !== this.#generation) {
          this.#generation = generation;
          this.#clear();
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
