/**
 * What happens once per answered request: the HTTP counters, one log line, and (with
 * `OTEL_DENO=true`) the route kind on the trace span. A few map increments and one buffered
 * line: cheap enough for the reply-cache fast path.
 *
 * @module
 */

import type { HttpMetrics } from "./http_metrics.ts";
import type { Logger, PreparedLine } from "./log.ts";
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
 * An outcome known before the request came, for answers repeated from a cache: all but the
 * time, with its log line prepared ({@link RequestObserver.prepare}).
 */
export interface PreparedOutcome {
  /** The outcome; its `startedMs` is ignored. */
  readonly outcome: Omit<RequestOutcome, "startedMs">;
  /** Its log line, or `null` when the line's level is not written. */
  readonly line: PreparedLine | null;
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
    this.#count(o, ms);
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
  }

  /** Prepares the record of an answer that will be repeated. */
  prepare(o: Omit<RequestOutcome, "startedMs">): PreparedOutcome {
    return {
      outcome: o,
      line: this.logger.prepare({
        method: o.method,
        route: o.route,
        owner: o.owner,
        status: o.status,
        bytes: o.bytesOut,
        user: o.user,
        reason: o.reason,
      }),
    };
  }

  /** Records one request answered with a prepared outcome, begun at `startedMs`. */
  observePrepared(p: PreparedOutcome, startedMs: number): void {
    const ms = performance.now() - startedMs;
    this.#count(p.outcome, ms);
    if (p.line !== null) this.logger.write(p.line, ms);
  }

  #count(o: Omit<RequestOutcome, "startedMs">, ms: number): void {
    this.metrics.record({
      route: o.route,
      status: o.status,
      seconds: ms / 1000,
      bytesOut: o.bytesOut,
      bytesIn: o.bytesIn,
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
