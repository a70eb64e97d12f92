/**
 * The headers every web UI response carries: a strict Content-Security-Policy (only the
 * registry's own stylesheet, script and images; no inline code; no framing; forms post only
 * to this origin), `nosniff`, and a same-origin referrer policy.
 *
 * @module
 */

/** The UI's Content-Security-Policy. */
export const UI_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The policy of raw module files shown inline (images): no script, no plugins, no origin. */
export const RAW_FILE_CSP =
  "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

/**
 * Sets the UI's security headers on `response` (keeping a stricter CSP it already has) and
 * returns it.
 */
export function withSecurityHeaders(response: Response): Response {
  const h = response.headers;
  if (!h.has("content-security-policy")) h.set("content-security-policy", UI_CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "same-origin");
  h.set("x-frame-options", "DENY");
  h.set("cross-origin-opener-policy", "same-origin");
  if (!h.has("cache-control")) h.set("cache-control", "private, no-cache");
  return response;
}
