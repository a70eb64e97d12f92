/**
 * Owner names the server itself uses at the top of its URL space (the API, health checks,
 * the web UI's own pages and assets): nobody may register them as an owner.
 *
 * @module
 */

/** Names no owner may take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "admin",
  "api",
  "healthz",
  "static",
  "assets",
  "login",
  "-",
]);
