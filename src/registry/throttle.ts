/**
 * Throttling of failed authentication per (client address, user name): above
 * {@link MAX_FAILURES} failures within {@link WINDOW_MS}, further attempts are answered
 * 429 with `Retry-After` until the oldest failure leaves the window. Nothing sleeps.
 *
 * @module
 */

/** Failures allowed per key and window. */
export const MAX_FAILURES = 10;
/** The sliding window. */
export const WINDOW_MS = 60_000;
const MAX_KEYS = 100_000;

/** In-memory failure counts (per process). */
export class FailureThrottle {
  #failures = new Map<string, number[]>();

  /** Creates a throttle allowing `maxFailures` failures per key and window. */
  constructor(private readonly maxFailures = MAX_FAILURES) {}

  /** Seconds to wait before `key` may try again, or 0 when it may try now. */
  retryAfter(key: string, now = Date.now()): number {
    const times = this.#recent(key, now);
    if (times.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((times[0] + WINDOW_MS - now) / 1000));
  }

  /** Records a failed attempt. */
  fail(key: string, now = Date.now()): void {
    if (this.#failures.size >= MAX_KEYS) this.#purge(now);
    const times = this.#recent(key, now);
    times.push(now);
    this.#failures.set(key, times);
  }

  /** Forgets the failures of a key after a success. */
  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
  }

  #purge(now: number): void {
    for (const [key, times] of this.#failures) {
      if (times[times.length - 1] <= now - WINDOW_MS) this.#failures.delete(key);
    }
    if (this.#failures.size >= MAX_KEYS) this.#failures.clear();
  }
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
