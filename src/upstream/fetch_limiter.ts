/**
 * A cap on concurrent upstream fetches, with a bounded queue of waiters.
 *
 * @module
 */

import { UpstreamError } from "./upstream_error.ts";

/**
 * Runs at most `concurrent` tasks at once; up to `waiting` more wait in order, and any
 * beyond that are refused with a 503.
 *
 * @example
 * ```ts
 * const limiter = new FetchLimiter(8, 256);
 * await limiter.run(() => fetch("http://127.0.0.1:1/"));
 * ```
 */
export class FetchLimiter {
  #running = 0;
  #queue: (() => void)[] = [];

  /** Creates the limiter. */
  constructor(readonly concurrent: number, readonly waiting: number) {}

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrent) {
      if (this.#queue.length >= this.waiting) {
        throw new UpstreamError(
          503,
          `too many upstream fetches in progress (${this.concurrent} running, ${this.waiting} waiting); try again`,
        );
      }
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
