/**
 * The `/metrics` answer: every series modyard exposes, rendered from in-memory counters and
 * the store-size totals at scrape time.
 *
 * @module
 */

import type { HttpMetrics } from "./http_metrics.ts";
import { PrometheusText } from "./prometheus_text.ts";
import { processMetrics } from "./process_metrics.ts";
import type { StoreSize } from "./store_size.ts";

/** Hits and misses of one cache. */
export interface CacheCounts {
  /** Label value: `reply`, `zip`, `state`. */
  cache: string;
  /** Lookups answered from the cache. */
  hits: number;
  /** Lookups the cache could not answer. */
  misses: number;
}

/** What a scrape renders. */
export interface MetricsSources {
  /** The app's HTTP counters. */
  http: HttpMetrics;
  /** Per-process caches. */
  caches: CacheCounts[];
  /** Hot-zip cache bytes held and budget. */
  zipCache: { used: number; budget: number; bypassed: number };
  /** Blobs the sweeper reclaimed (abandoned uploads and fills, deleted versions after grace). */
  reclaimed: { uploads: number; chunks: number; bytes: number };
  /** Store totals from its counters, or `null` when the store could not be read. */
  store: StoreSize | null;
  /** Log lines dropped because standard output fell behind. */
  logDropped: number;
}

/**
 * The Prometheus text of a scrape.
 *
 * @example
 * ```ts
 * renderMetrics(sources); // "# HELP modyard_http_requests_total …"
 * ```
 */
export function renderMetrics(s: MetricsSources): string {
  const t = new PrometheusText();
  const http = s.http;

  const routes = sorted(http.routes);
  t.family(
    "modyard_http_requests_total",
    "counter",
    "HTTP requests answered, by route kind and status.",
  );
  for (const [route, stats] of routes) {
    for (const [status, n] of [...stats.statuses].sort(([a], [b]) => a - b)) {
      t.sample("modyard_http_requests_total", [["route", route], ["status", String(status)]], n);
    }
  }
  t.family(
    "modyard_http_request_duration_seconds",
    "histogram",
    "Seconds until the response (headers) was ready, by route kind.",
  );
  for (const [route, stats] of routes) {
    t.histogram("modyard_http_request_duration_seconds", [["route", route]], stats.durations);
  }
  t.family(
    "modyard_http_response_bytes_total",
    "counter",
    "Response body bytes served (in-memory answers, else as declared by Content-Length), by route kind.",
  );
  for (const [route, stats] of routes) {
    t.sample("modyard_http_response_bytes_total", [["route", route]], stats.bytesOut);
  }
  t.family(
    "modyard_http_request_bytes_total",
    "counter",
    "Request body bytes received (as declared by Content-Length), by route kind.",
  );
  for (const [route, stats] of routes) {
    t.sample("modyard_http_request_bytes_total", [["route", route]], stats.bytesIn);
  }
  t.family("modyard_uploads_total", "counter", "Uploads by outcome: accepted, or why refused.");
  for (const [outcome, n] of sorted(http.uploads)) {
    t.sample("modyard_uploads_total", [["outcome", outcome]], n);
  }

  t.family(
    "modyard_kv_operation_duration_seconds",
    "histogram",
    "Deno KV latency: the final commit of a publish or pull-through fill, and each getMany of blob chunks.",
  );
  for (const [op, h] of Object.entries(processMetrics.kv)) {
    t.histogram("modyard_kv_operation_duration_seconds", [["op", op]], h);
  }

  t.family("modyard_cache_requests_total", "counter", "Cache lookups by cache and result.");
  for (const c of s.caches) {
    t.sample("modyard_cache_requests_total", [["cache", c.cache], ["result", "hit"]], c.hits);
    t.sample("modyard_cache_requests_total", [["cache", c.cache], ["result", "miss"]], c.misses);
  }
  t.family(
    "modyard_zip_cache_bypassed_total",
    "counter",
    "Zip downloads streamed from KV because the hot-zip cache could not take them.",
  ).sample("modyard_zip_cache_bypassed_total", [], s.zipCache.bypassed);
  t.family("modyard_zip_cache_bytes", "gauge", "Bytes held by the hot-zip cache.")
    .sample("modyard_zip_cache_bytes", [], s.zipCache.used);
  t.family("modyard_zip_cache_budget_bytes", "gauge", "Budget of the hot-zip cache.")
    .sample("modyard_zip_cache_budget_bytes", [], s.zipCache.budget);

  t.family(
    "modyard_pull_through_hits_total",
    "counter",
    "Pull-through files this process served from the cache without asking the upstream.",
  ).sample("modyard_pull_through_hits_total", [], processMetrics.pullThroughHits);
  t.family(
    "modyard_pull_through_fetches_total",
    "counter",
    "Pull-through files not in the cache that this process set out to fetch from upstream.",
  ).sample("modyard_pull_through_fetches_total", [], processMetrics.pullThroughFetches);
  t.family(
    "modyard_pull_through_fills_total",
    "counter",
    "Pull-through files this process stored.",
  ).sample("modyard_pull_through_fills_total", [], processMetrics.pullThroughFills);
  t.family(
    "modyard_pull_through_cache_full_total",
    "counter",
    "Pull-through fetches refused because the cache was full (--upstream-cache-max-bytes).",
  ).sample("modyard_pull_through_cache_full_total", [], processMetrics.pullThroughFull);

  t.family(
    "modyard_blobs_reclaimed_total",
    "counter",
    "Blobs whose chunks this process's sweeper deleted: abandoned uploads and fills, and deleted versions after their grace period.",
  ).sample("modyard_blobs_reclaimed_total", [], s.reclaimed.uploads);
  t.family(
    "modyard_reclaimed_chunks_total",
    "counter",
    "Chunks this process's sweeper deleted.",
  ).sample("modyard_reclaimed_chunks_total", [], s.reclaimed.chunks);
  t.family(
    "modyard_reclaimed_bytes_total",
    "counter",
    "Bytes this process's sweeper deleted.",
  ).sample("modyard_reclaimed_bytes_total", [], s.reclaimed.bytes);

  if (s.store) {
    t.family("modyard_store_versions", "gauge", "Live versions in the store (usage counters).")
      .sample("modyard_store_versions", [], s.store.versions);
    t.family("modyard_store_modules", "gauge", "Modules with a live version (usage counters).")
      .sample("modyard_store_modules", [], s.store.modules);
    t.family("modyard_store_bytes", "gauge", "Bytes of live versions' zips (usage counters).")
      .sample("modyard_store_bytes", [], s.store.bytes);
    t.family("modyard_store_owners", "gauge", "Owners that have published (usage counters).")
      .sample("modyard_store_owners", [], s.store.owners);
    t.family("modyard_pull_through_bytes", "gauge", "Bytes held by the pull-through cache.")
      .sample("modyard_pull_through_bytes", [], s.store.upstreamBytes);
  }
  t.family("modyard_store_up", "gauge", "1 when the store counters could be read for this scrape.")
    .sample("modyard_store_up", [], s.store ? 1 : 0);

  t.family(
    "modyard_log_lines_dropped_total",
    "counter",
    "Log lines dropped because standard output could not keep up.",
  ).sample("modyard_log_lines_dropped_total", [], s.logDropped);
  return t.toString();
}

function sorted<K extends string, V>(m: Map<K, V>): [K, V][] {
  return [...m].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}
