/**
 * In-process single-flight: concurrent callers for one key share one run of the work.
 *
 * @module
 */

import { UpstreamError } from "./upstream_error.ts";

/** Default bytes of keys the in-flight map may hold. */
export const DEFAULT_IN_FLIGHT_BUDGET = 4 * 1024 * 1024;

/**
 * Shares one promise per key among concurrent callers. Keys are counted in bytes against a
 * budget (two bytes a character plus an overhead); a new key beyond it is refused with 503.
 *
 * @example
 * ```ts
 * const flights = new SingleFlight();
 * const [a, b] = await Promise.all([flights.run("k", work), flights.run("k", work)]); // one work()
 * ```
 */
export class SingleFlight {
  #inFlight = new Map<string, Promise<unknown>>();
  #bytes = 0;

  /** Creates the map with a budget in bytes. */
  constructor(readonly budget = DEFAULT_IN_FLIGHT_BUDGET) {}

  /** Runs `work` unless a run for `key` is already in flight, and shares its outcome. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running as Promise<T>;
    const cost = 2 * key.length + 64;
    if (this.#bytes + cost > this.budget) {
      return Promise.reject(
        new UpstreamError(503, "too many different upstream fetches in progress; try again"),
      );
    }
    this.#bytes += cost;
    const promise = (async () => {
      try {
        return await work();
      } finally {
        this.#inFlight.delete(key);
        this.#bytes -= cost;
      }
    })();
    this.#inFlight.set(key, promise);
    return promise;
  }
}
