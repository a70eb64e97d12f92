/**
 * Who may read `/metrics`: a loopback peer that sent no forwarding header (a reverse proxy
 * on the same host makes every client loopback, and sets one), the bearer of
 * `--metrics-token`, or an admin.
 *
 * @module
 */

import { constantTimeEqual } from "../registry/secrets.ts";

/**
 * Whether the peer address is a loopback address (`127.0.0.0/8`, `::1`, or IPv4-mapped
 * loopback).
 *
 * @example
 * ```ts
 * isLoopback("127.0.0.1"); // true
 * isLoopback("10.0.0.1"); // false
 * ```
 */
export function isLoopback(peer: string): boolean {
  const host = peer.startsWith("[") && peer.endsWith("]") ? peer.slice(1, -1) : peer;
  if (host === "::1") return true;
  const v4 = host.toLowerCase().startsWith("::ffff:") ? host.slice(7) : host;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Whether the request carries `X-Forwarded-For` or `Forwarded`. */
export function isForwarded(headers: Headers): boolean {
  return headers.has("x-forwarded-for") || headers.has("forwarded");
}

/** Whether an open scrape is allowed: a loopback peer without forwarding headers. */
export function openScrapeAllowed(peer: string, headers: Headers): boolean {
  return isLoopback(peer) && !isForwarded(headers);
}

/**
 * Whether `Authorization` is `Bearer <token>` with the configured metrics token (compared in
 * constant time); `false` when no token is configured.
 */
export function hasMetricsToken(authorization: string | null, token: string): boolean {
  if (!token || authorization === null) return false;
  const m = /^bearer\s+(.+)$/i.exec(authorization.trim());
  return m !== null && constantTimeEqual(m[1].trim(), token);
}
