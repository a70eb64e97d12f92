/**
 * The session cookie: read from a `Cookie` header, written with `HttpOnly; SameSite=Strict;
 * Path=/` (and `Secure` on https), cleared on sign-out.
 *
 * @module
 */

import { SESSION_COOKIE, SESSION_LIFETIME_MS } from "./sessions.ts";

/**
 * The value of cookie `name` in a `Cookie` header, or `null`.
 *
 * @example
 * ```ts
 * cookieValue("a=1; modyard_session=xyz", "modyard_session"); // "xyz"
 * ```
 */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The `Set-Cookie` value that starts a session. */
export function sessionCookie(id: string, secure: boolean): string {
  const maxAge = Math.floor(SESSION_LIFETIME_MS / 1000);
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}` +
    (secure ? "; Secure" : "");
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` +
    (secure ? "; Secure" : "");
}
