/**
 * Throttling of password guesses. Every password attempt is counted BEFORE its slow check,
 * in three sliding windows: per (client address, user name), per client address across all
 * names, and per user name across all addresses. While any window is full, further attempts
 * get 429 with `Retry-After` until its oldest attempt leaves the window; an attempt that
 * succeeds is taken back. Keys are fixed-size digests and each window holds a bounded number
 * of keys, so made-up names of any length cost the same few bytes. Nothing sleeps; tokens are
 * never throttled (160 random bits cannot be guessed).
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha256.ts";

/** Failed attempts allowed per (client, user name) and window (the documented default). */
export const MAX_FAILURES = 10;
/** Failed attempts allowed per client address, across all user names, and window. */
export const MAX_CLIENT_FAILURES = 30;
/** Failed attempts allowed per user name, across all client addresses, and window. */
export const MAX_ACCOUNT_FAILURES = 30;
/** The sliding window. */
export const WINDOW_MS = 60_000;
/** Keys each window keeps at most (a few hundred bytes each: ~8 MiB a window at most). */
export const MAX_KEYS = 20_000;

/** Attempt times per key within a sliding window, for a bounded number of keys. */
export class AttemptWindow {
  #attempts = new Map<string, number[]>();

  /** Creates a window allowing `limit` attempts per key. */
  constructor(
    readonly limit: number,
    readonly windowMs = WINDOW_MS,
    readonly maxKeys = MAX_KEYS,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now: number): number {
    const times = this.#recent(key, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[times.length - this.limit] + this.windowMs - now) / 1000));
  }

  /** Counts an attempt at `now`. */
  record(key: string, now: number): void {
    const times = this.#recent(key, now);
    this.#attempts.delete(key); // re-inserted last: the map's order is least recently used first
    if (this.#attempts.size >= this.maxKeys) this.#evict(now);
    times.push(now);
    this.#attempts.set(key, times);
  }

  /** Takes back the attempt counted at `time` (it succeeded). */
  takeBack(key: string, time: number): void {
    const times = this.#attempts.get(key);
    if (!times) return;
    const i = times.lastIndexOf(time);
    if (i >= 0) times.splice(i, 1);
    if (times.length === 0) this.#attempts.delete(key);
  }

  /** Forgets every attempt of `key`. */
  clear(key: string): void {
    this.#attempts.delete(key);
  }

  /** Number of keys held. */
  get size(): number {
    return this.#attempts.size;
  }

  #recent(key: string, now: number): number[] {
    const times = this.#attempts.get(key);
    if (!times) return [];
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= cutoff) drop++;
    if (drop > 0) times.splice(0, drop);
    // Never more than the limit: older attempts cannot change a verdict.
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    return times;
  }

  #evict(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [key, times] of this.#attempts) {
      if (times.length === 0 || times[times.length - 1] <= cutoff) this.#attempts.delete(key);
    }
    // Still full: drop the least recently used keys.
    for (const key of this.#attempts.keys()) {
      if (this.#attempts.size < this.maxKeys) break;
      this.#attempts.delete(key);
    }
  }
}

/** A counted password attempt: give it back to {@link PasswordThrottle.succeeded}. */
export interface Attempt {
  /** Digest keys of the three windows. */
  readonly keys: readonly [pair: string, client: string, account: string];
  /** When it was counted. */
  readonly time: number;
}

/** Limits of a {@link PasswordThrottle}. */
export interface ThrottleLimits {
  /** Per (client, user name); default {@link MAX_FAILURES}. */
  perPair?: number;
  /** Per client address; default {@link MAX_CLIENT_FAILURES}. */
  perClient?: number;
  /** Per user name; default {@link MAX_ACCOUNT_FAILURES}. */
  perAccount?: number;
  /** Keys each window keeps; default {@link MAX_KEYS}. */
  maxKeys?: number;
}

/** The three windows password attempts are counted in. */
export class PasswordThrottle {
  readonly #windows: readonly [AttemptWindow, AttemptWindow, AttemptWindow];

  /** Creates the throttle. */
  constructor(limits: ThrottleLimits = {}) {
    this.#windows = [
      new AttemptWindow(limits.perPair ?? MAX_FAILURES, WINDOW_MS, limits.maxKeys),
      new AttemptWindow(limits.perClient ?? MAX_CLIENT_FAILURES, WINDOW_MS, limits.maxKeys),
      new AttemptWindow(limits.perAccount ?? MAX_ACCOUNT_FAILURES, WINDOW_MS, limits.maxKeys),
    ];
  }

  /**
   * Counts an attempt of `client` at `user`'s password, or answers the seconds to wait when
   * a window is full (nothing is counted then).
   */
  begin(client: string, user: string, now = Date.now()): Attempt | { retryAfter: number } {
    const keys = [digest("p", client, user), digest("c", client), digest("a", user)] as const;
    let wait = 0;
    for (const [i, w] of this.#windows.entries()) wait = Math.max(wait, w.retryAfter(keys[i], now));
    if (wait > 0) return { retryAfter: wait };
    for (const [i, w] of this.#windows.entries()) w.record(keys[i], now);
    return { keys, time: now };
  }

  /** The attempt succeeded: it is not a failure, and the pair's earlier failures are forgiven. */
  succeeded(attempt: Attempt): void {
    const [pair, client, account] = attempt.keys;
    this.#windows[0].clear(pair);
    this.#windows[1].takeBack(client, attempt.time);
    this.#windows[2].takeBack(account, attempt.time);
  }

  /** The attempt never ran (no check slot): it is taken back and forgives nothing. */
  cancelled(attempt: Attempt): void {
    for (const [i, w] of this.#windows.entries()) w.takeBack(attempt.keys[i], attempt.time);
  }

  /** Keys held in each window (for tests of the memory bound). */
  get sizes(): [number, number, number] {
    return [this.#windows[0].size, this.#windows[1].size, this.#windows[2].size];
  }
}

/** A fixed-size key for attacker-chosen parts (128 bits of SHA-256, as hex). */
function digest(kind: string, ...parts: string[]): string {
  return sha256Hex(kind + "\0" + parts.join("\0")).slice(0, 32);
}

/**
 * The client address of a request: the peer, or — when the peer is a trusted proxy — the
 * rightmost `X-Forwarded-For` address that is not itself a trusted proxy.
 *
 * @example
 * ```ts
 * clientAddress("10.0.0.1", "203.0.113.7, 10.0.0.1", new Set(["10.0.0.1"])); // "203.0.113.7"
 * ```
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | null,
  trusted: ReadonlySet<string>,
): string {
  if (!trusted.has(peer) || !forwardedFor) return peer;
  const hops = forwardedFor.split(",").map((h) => h.trim()).filter((h) => h !== "");
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(hops[i])) return hops[i];
  }
  return hops[0] ?? peer;
}
