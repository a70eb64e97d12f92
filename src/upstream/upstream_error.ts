/**
 * Why the pull-through cache could not answer: the HTTP status the client gets and a
 * plain-text reason.
 *
 * @module
 */

/**
 * A pull-through refusal. 404/410 mean the upstream does not have the file (the `go`
 * command may fall through to its next proxy); 429 means the client caused too many first
 * fetches; 502/503/504 mean modyard could not get or
 * keep it (the `go` command stops, as it must during an outage).
 */
export class UpstreamError extends Error {
  /** Creates the error. */
  constructor(
    readonly status: 404 | 410 | 429 | 502 | 503 | 504,
    message: string,
    /** Seconds after which a 429 may be retried. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}
