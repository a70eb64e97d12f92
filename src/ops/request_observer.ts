/**
 * What happens once per answered request: the HTTP counters, one log line, and (with
 * `OTEL_DENO=true`) the route kind on the trace span. A few map increments and one buffered
 * line: cheap enough for the reply-cache fast path.
 *
 * @module
 */

import type { HttpMetrics } from "./http_metrics.ts";
import type { Logger } from "./log.ts";
import { labelActiveSpan } from "./trace_span.ts";

/** One answered request. */
export interface RequestOutcome {
  /** HTTP method. */
  method: string;
  /** Route kind. */
  route: string;
  /** Owner the path names, or `""`. */
  owner: string;
  /** Status. */
  status: number;
  /** `performance.now()` when the request arrived. */
  startedMs: number;
  /** Response body bytes (declared). */
  bytesOut: number;
  /** Request body bytes (declared). */
  bytesIn: number;
  /** Principal name, or `""`. */
  user: string;
  /** Plain-text reason of a refusal, or `""`. */
  reason: string;
}

/**
 * Records request outcomes.
 *
 * @example
 * ```ts
 * const observer = new RequestObserver(new HttpMetrics(), new Logger(), false);
 * observer.observe({ method: "GET", route: "healthz", owner: "", status: 200,
 *   startedMs: performance.now(), bytesOut: 3, bytesIn: 0, user: "", reason: "" });
 * ```
 */
export class RequestObserver {
  /** Creates an observer feeding `metrics` and `logger` (and trace spans when `otel`). */
  constructor(
    readonly metrics: HttpMetrics,
    readonly logger: Logger,
    private readonly otel: boolean,
  ) {}

  /** Records one request. */
  observe(o: RequestOutcome): void {
    const ms = performance.now() - o.startedMs;
    this.metrics.record({
      route: o.route,
      status: o.status,
      seconds: ms / 1000,
      bytesOut: o.bytesOut,
      bytesIn: o.bytesIn,
      reason: o.reason,
    });
    this.logger.request({
      method: o.method,
      route: o.route,
      owner: o.owner,
      status: o.status,
      ms,
      bytes: o.bytesOut,
      user: o.user,
      reason: o.reason,
    });
    if (this.otel) labelActiveSpan(o.method, o.route);
  }
}

/** A declared `Content-Length` as a number (0 when absent or malformed). */
export function declaredLength(headers: Headers): number {
  const v = headers.get("content-length");
  if (v === null) return 0;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
