/**
 * Cross-site request forgery defences of state-changing forms: the request must come from
 * this origin (`Origin`, else `Sec-Fetch-Site`, as browsers send them), and carry the
 * session's synchronizer token, compared in constant time. Either failing is a 403.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { constantTimeEqual } from "../registry/secrets.ts";

/** The form field carrying the synchronizer token. */
export const CSRF_FIELD = "_csrf";

/**
 * Refuses a request a browser says came from another site: an `Origin` other than this
 * server's (the request's own origin, or the `--base-url` origin behind a proxy), the
 * opaque origin `null`, or `Sec-Fetch-Site` other than `same-origin`/`none`.
 */
export function checkSameOrigin(request: Request, url: URL, baseUrl: string): void {
  const origin = request.headers.get("origin");
  if (origin !== null) {
    const allowed = [url.origin];
    if (baseUrl) allowed.push(new URL(baseUrl).origin);
    if (!allowed.includes(origin)) {
      throw new HttpError(403, "cross-site form submission refused");
    }
    return;
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, "cross-site form submission refused");
  }
}

/** Refuses a form whose token is not the session's (403). */
export function checkCsrfToken(form: URLSearchParams, expected: string): void {
  const got = form.get(CSRF_FIELD) ?? "";
  if (!constantTimeEqual(got, expected)) {
    throw new HttpError(403, "the form has expired or did not come from this site; reload it");
  }
}
