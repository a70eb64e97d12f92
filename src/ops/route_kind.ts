/**
 * Route kinds: the bounded label that names what a request asked for (`goproxy_info`,
 * `upload`, `admin`, …), in metrics, log lines and trace spans — never a raw path, so the
 * number of series stays fixed whatever paths clients make up.
 *
 * @module
 */

/** Every route kind. */
export const ROUTE_KINDS = [
  "goproxy_info",
  "goproxy_mod",
  "goproxy_zip",
  "goproxy_list",
  "goproxy_latest",
  "goproxy_other",
  "sumdb",
  "upload",
  "packages_api",
  "admin",
  "tokens",
  "webhooks",
  "healthz",
  "readyz",
  "metrics",
  "ui",
  "not_found",
] as const;

/** What a request asked for. */
export type RouteKind = typeof ROUTE_KINDS[number];

/**
 * The kind of a GOPROXY request from the path after `/go/` (`m/@v/v1.0.0.info`, …).
 *
 * @example
 * ```ts
 * goproxyKind("example.com/m/@v/v1.0.0.zip"); // "goproxy_zip"
 * goproxyKind("example.com/m/@latest"); // "goproxy_latest"
 * ```
 */
export function goproxyKind(rest: string): RouteKind {
  if (rest.startsWith("sumdb/")) return "sumdb";
  if (rest.endsWith("/@v/list")) return "goproxy_list";
  if (rest.endsWith("/@latest")) return "goproxy_latest";
  if (rest.includes("/@v/")) {
    if (rest.endsWith(".info")) return "goproxy_info";
    if (rest.endsWith(".mod")) return "goproxy_mod";
    if (rest.endsWith(".zip")) return "goproxy_zip";
  }
  return "goproxy_other";
}
