/**
 * The one error type of the HTTP layer, rendered as a plain-text response in one place.
 *
 * @module
 */

/** An error with the HTTP status and plain-text reason to answer it with. */
export class HttpError extends Error {
  /** Creates the error; `headers` are added to the response (e.g. `WWW-Authenticate`). */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/**
 * Renders an error as `text/plain` with a trailing newline, as the `go` command prints it,
 * or as `{"message": …}` for the JSON API.
 */
export function errorResponse(err: HttpError, asJson = false): Response {
  return new Response(errorBody(err, asJson), {
    status: err.status,
    headers: {
      "content-type": asJson ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      ...err.headers,
    },
  });
}

/** The body {@link errorResponse} answers `err` with. */
export function errorBody(err: HttpError, asJson = false): string {
  return (asJson ? JSON.stringify({ message: err.message }) : err.message) + "\n";
}

/** The challenge sent with 401 responses. */
export const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="modyard"' };
