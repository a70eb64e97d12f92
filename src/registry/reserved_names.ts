/**
 * Owner names the server itself uses at the top of its URL space (the API, health checks,
 * metrics, the web UI's own namespace `/-/` and what browsers and crawlers ask for): nobody
 * may register them as an owner, and `owner check-names` reports owners created under
 * such a name before it was reserved (their web page would be shadowed).
 *
 * @module
 */

import { keys } from "../store/keys.ts";
import type { UserRecord } from "../store/records.ts";

/** Names no owner may take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  "-", // the web UI: /-/signin, /-/signout, /-/tokens, /-/static/…
  "admin",
  "api",
  "assets",
  "favicon.ico",
  "healthz",
  "login",
  "metrics",
  "readyz",
  "robots.txt",
  "static",
]);

/**
 * The owners (users and organisations, deleted ones included: their names stay taken)
 * whose names are reserved, in name order.
 *
 * @example
 * ```ts
 * await ownersWithReservedNames(kv); // ["metrics"] when an owner "metrics" exists
 * ```
 */
export async function ownersWithReservedNames(kv: Deno.Kv): Promise<string[]> {
  const out: string[] = [];
  for await (const e of kv.list<UserRecord>({ prefix: keys.users() })) {
    if (RESERVED_NAMES.has(e.value.name)) out.push(e.value.name);
  }
  return out;
}
