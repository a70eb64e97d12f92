/**
 * Process-wide counters of code that has no app at hand: KV latency at two cheap sampling
 * points (the publish commit, and each `getMany` of zip chunks) and the pull-through cache
 * fills. One process serves one store, so process-wide is what a scrape means.
 *
 * @module
 */

import { Histogram } from "./histogram.ts";

/** KV latency buckets in seconds (a local SQLite read is tens of microseconds). */
export const KV_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
];

/** The KV operations timed. */
export type KvOperation = "publish_commit" | "chunk_read";

/** The process-wide counters. */
export const processMetrics = {
  /** KV latency by operation. */
  kv: {
    publish_commit: new Histogram(KV_BUCKETS),
    chunk_read: new Histogram(KV_BUCKETS),
  } as Record<KvOperation, Histogram>,
  /** Pull-through files served from the cache (`.info`, `.mod`, `.zip` already stored). */
  pullThroughHits: 0,
  /** Pull-through files asked from upstream (cache misses that started a fill). */
  pullThroughFetches: 0,
  /** Pull-through files stored (`.info`, `.mod`, `.zip`). */
  pullThroughFills: 0,
  /** Pull-through fetches refused because the cache was full. */
  pullThroughFull: 0,
};

/** Records the seconds since `startedMs` (a `performance.now()` reading) for `op`. */
export function timeKv(op: KvOperation, startedMs: number): void {
  processMetrics.kv[op].observe((performance.now() - startedMs) / 1000);
}
