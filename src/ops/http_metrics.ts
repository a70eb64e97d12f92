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

/**
 * The counters.
 *
 * @example
 * ```ts
 * const m = new HttpMetrics();
 * m.record({ route: "goproxy_info", status: 200, seconds: 0.001, bytesOut: 54, bytesIn: 0, reason: "" });
 * m.requests.get("goproxy_info\t200"); // 1
 * ```
 */
export class HttpMetrics {
  /** Requests by `route + "\t" + status`. */
  readonly requests = new Map<string, number>();
  /** Durations by route kind. */
  readonly durations = new Map<string, Histogram>();
  /** Response bytes by route kind. */
  readonly bytesOut = new Map<string, number>();
  /** Request bytes by route kind. */
  readonly bytesIn = new Map<string, number>();
  /** Uploads by outcome. */
  readonly uploads = new Map<UploadOutcome, number>();

  /** Counts one request. */
  record(r: ObservedRequest): void {
    const key = r.route + "\t" + r.status;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(r.route);
    if (h === undefined) this.durations.set(r.route, h = new Histogram());
    h.observe(r.seconds);
    if (r.bytesOut > 0) this.bytesOut.set(r.route, (this.bytesOut.get(r.route) ?? 0) + r.bytesOut);
    if (r.bytesIn > 0) this.bytesIn.set(r.route, (this.bytesIn.get(r.route) ?? 0) + r.bytesIn);
    if (r.route === "upload") {
      const outcome = uploadOutcome(r.status, r.reason);
      this.uploads.set(outcome, (this.uploads.get(outcome) ?? 0) + 1);
    }
  }
}
