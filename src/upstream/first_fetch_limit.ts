/**
 * A per-client limit on first fetches (requests that make modyard fetch and keep a file):
 * any reader of a public owner with pull-through on could otherwise make it store any public
 * module. Fixed windows per client, keyed by a digest of the address, in a byte budget.
 *
 * @module
 */

import { sha256 } from "../crypto/sha256.ts";

/** Limits of first fetches per client. */
export interface FirstFetchLimits {
  /** First fetches one client may cause per window. */
  perWindow: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Clients tracked at once (each entry is about 100 bytes). */
  maxClients: number;
}

/**
 * Defaults: 5,000 first fetches per client per 10 minutes (a cold build of a large project
 * fetches a few thousand `.mod`, `.info` and `.zip` files), 65,536 clients (about 6.5 MB).
 */
export const DEFAULT_FIRST_FETCH_LIMITS: FirstFetchLimits = {
  perWindow: 5000,
  windowMs: 600_000,
  maxClients: 65_536,
};

/**
 * Counts first fetches per client.
 *
 * @example
 * ```ts
 * const limit = new FirstFetchLimit({ perWindow: 2, windowMs: 60_000, maxClients: 10 });
 * limit.take("10.0.0.1"); // 0: allowed
 * limit.take("10.0.0.1"); // 0
 * limit.take("10.0.0.1"); // seconds until the window ends
 * ```
 */
export class FirstFetchLimit {
  // Insertion order is window start order: the first entries are the oldest.
  #windows = new Map<string, { start: number; count: number }>();

  /** Creates the limit. */
  constructor(readonly limits: FirstFetchLimits = DEFAULT_FIRST_FETCH_LIMITS) {}

  /** Counts one first fetch of `client`; returns 0 when allowed, else seconds to wait. */
  take(client: string, now = Date.now()): number {
    const key = sha256(client).toBase64().slice(0, 22);
    let w = this.#windows.get(key);
    if (w && now - w.start >= this.limits.windowMs) {
      this.#windows.delete(key);
      w = undefined;
    }
    if (!w) {
      for (const [k, old] of this.#windows) {
        if (this.#windows.size < this.limits.maxClients && now - old.start < this.limits.windowMs) {
          break;
        }
        this.#windows.delete(k);
      }
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    if (w.count >= this.limits.perWindow) {
      return Math.max(1, Math.ceil((w.start + this.limits.windowMs - now) / 1000));
    }
    w.count++;
    return 0;
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#windows.size;
  }
}
