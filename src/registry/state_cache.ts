/**
 * A per-process cache of registry state (users, tokens, versions, go.mod texts), dropped
 * whenever the store's generation counter moves. The counter is polled, because
 * `kv.watch` on a local SQLite store does not see other processes' writes: nothing is
 * served from the cache if the last successful poll is older than {@link MAX_STALENESS_MS}.
 *
 * @module
 */

import { afterDelay } from "../ops/web_timer.ts";
import { keys } from "../store/keys.ts";

/** The bound on how stale cached state may be. */
export const MAX_STALENESS_MS = 1000;
const POLL_INTERVAL_MS = 200;
/** Milliseconds from creation to the first background poll. */
const POLL_START_DELAY_MS = 500;
/** Bytes a space may hold when no budget is configured for it. */
export const DEFAULT_SPACE_BUDGET = 8 * 1024 * 1024;
/** What an entry is counted as when its caller gives no size: a small record and its key. */
export const DEFAULT_ENTRY_BYTES = 512;
/** Per-entry overhead counted on top of the key and value (map slot, boxes). */
const ENTRY_OVERHEAD = 96;

interface Space {
  entries: Map<string, { value: unknown; bytes: number }>;
  bytes: number;
  budget: number;
}

/**
 * A cache of loader results, keyed by string, cleared on every generation change. Each
 * space (`user`, `versions`, `reply`, …) has a budget in bytes: an entry counts its key
 * (two bytes a character), the size its caller states for the value, and a fixed overhead;
 * the oldest entries are dropped to make room, so requests with made-up names can churn a
 * space but never grow it.
 */
export class StateCache {
  #generation: bigint | null = null;
  #lastPoll = 0;
  #polling: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #cancelStart: () => void;
  #spaces = new Map<string, Space>();
  /** Bumped whenever the maps are cleared; a load only stores under the epoch it began in. */
  #epoch = 0;
  /** Lookups through {@link get} answered from the cache. */
  hits = 0;
  /** Lookups through {@link get} that ran their loader. */
  misses = 0;

  /**
   * Creates the cache and starts polling in the background. `budgets` sets the bytes of
   * named spaces; others get {@link DEFAULT_SPACE_BUDGET}.
   */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly budgets: Readonly<Record<string, number>> = {},
  ) {
    // Polling starts once the server is up (a setInterval now would cost start-up the load
    // of Node's timers: see web_timer.ts); until then, a read that finds the cache stale
    // polls first, so the staleness bound holds from the first request.
    this.#cancelStart = afterDelay(POLL_START_DELAY_MS, () => {
      const timer = setInterval(() => this.#poll().catch(() => {}), POLL_INTERVAL_MS);
      Deno.unrefTimer(timer as unknown as number);
      this.#timer = timer;
    });
  }

  /** Stops polling. */
  close(): void {
    this.#cancelStart();
    clearInterval(this.#timer);
  }

  /** Drops everything cached (after this process changed the store). */
  invalidate(): void {
    this.#clear();
  }

  /**
   * Returns the cached value of `load` for `(space, key)`, loading it when absent or when
   * the cache cannot prove it is fresh enough. `size` states the bytes a loaded value holds
   * (default {@link DEFAULT_ENTRY_BYTES}).
   */
  async get<T>(
    space: string,
    key: string,
    load: () => Promise<T>,
    size?: (value: T) => number,
  ): Promise<T> {
    if (this.#stale()) await this.#poll();
    const hit = this.#spaces.get(space)?.entries.get(key);
    if (hit) {
      this.hits++;
      return hit.value as T;
    }
    this.misses++;
    const epoch = this.#epoch;
    const value = await load();
    this.put(space, key, value, epoch, size ? size(value) : DEFAULT_ENTRY_BYTES);
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
    return this.#spaces.get(space)?.entries.get(key)?.value as T | undefined;
  }

  /**
   * Stores a value computed during `epoch`, unless the cache was cleared since. `bytes` is
   * what the value holds; an entry larger than its space's whole budget is not kept.
   */
  put(
    space: string,
    key: string,
    value: unknown,
    epoch: number,
    bytes = DEFAULT_ENTRY_BYTES,
  ): void {
    if (epoch !== this.#epoch) return;
    let s = this.#spaces.get(space);
    if (!s) {
      s = { entries: new Map(), bytes: 0, budget: this.budgets[space] ?? DEFAULT_SPACE_BUDGET };
      this.#spaces.set(space, s);
    }
    const cost = 2 * key.length + bytes + ENTRY_OVERHEAD;
    if (cost > s.budget) return;
    const old = s.entries.get(key);
    if (old) {
      s.entries.delete(key);
      s.bytes -= old.bytes;
    }
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const [k, e] of s.entries) {
      if (s.bytes + cost <= s.budget) break;
      s.entries.delete(k);
      s.bytes -= e.bytes;
    }
    s.entries.set(key, { value, bytes: cost });
    s.bytes += cost;
  }

  /** Bytes held by a space, as counted against its budget. */
  bytesIn(space: string): number {
    return this.#spaces.get(space)?.bytes ?? 0;
  }

  #stale(): boolean {
    return Date.now() - this.#lastPoll > MAX_STALENESS_MS;
  }

  #clear(): void {
    this.#spaces.clear();
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
