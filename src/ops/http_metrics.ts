/**
 * Per-app HTTP counters: requests by route kind and status, durations by route kind, bytes
 * served and received, uploads by outcome. Labels come from bounded sets, so the maps hold
 * at most (route kinds × statuses) entries; a request costs a few map increments.
 *
 * @module
 */

import { Histogram } from "./histogram.ts";
import { type UploadOutcome, uploadOutcome } from "./upload_outcome.ts";

/** One answered request, as the counters see it. */
export interface ObservedRequest {
  /** Route kind. */
  route: string;
  /** Status answered. */
  status: number;
  /** Seconds until the response was ready. */
  seconds: number;
  /** Response body bytes (declared `Content-Length`; 0 when unknown). */
  bytesOut: number;
  /** Request body bytes (declared `Content-Length`; 0 when unknown). */
  bytesIn: number;
  /** Reason of a refusal (for upload outcomes). */
  reason: string;
}

/** The counters of one route kind. */
export interface RouteStats {
  /** Requests by status. */
  statuses: Map<number, number>;
  /** Seconds until the response was ready. */
  durations: Histogram;
  /** Response body bytes. */
  bytesOut: number;
  /** Request body bytes. */
  bytesIn: number;
}

/**
 * The counters: one entry per route kind (a bounded set), each with requests by status.
 *
 * @example
 * ```ts
 * const m = new HttpMetrics();
 * m.record({ route: "goproxy_info", status: 200, seconds: 0.001, bytesOut: 54, bytesIn: 0, reason: "" });
 * m.routes.get("goproxy_info")?.statuses.get(200); // 1
 * ```
 */
export class HttpMetrics {
  /** Counters by route kind. */
  readonly routes = new Map<string, RouteStats>();
  /** Uploads by outcome. */
  readonly uploads = new Map<UploadOutcome, number>();

  /** Counts one request. */
  record(r: ObservedRequest): void {
    let stats = this.routes.get(r.route);
    if (stats === undefined) {
      stats = { statuses: new Map(), durations: new Histogram(), bytesOut: 0, bytesIn: 0 };
      this.routes.set(r.route, stats);
    }
    stats.statuses.set(r.status, (stats.statuses.get(r.status) ?? 0) + 1);
    stats.durations.observe(r.seconds);
    stats.bytesOut += r.bytesOut;
    stats.bytesIn += r.bytesIn;
    if (r.route === "upload") {
      const outcome = uploadOutcome(r.status, r.reason);
      this.uploads.set(outcome, (this.uploads.get(outcome) ?? 0) + 1);
    }
  }
}
