/**
 * The name of an owner's checksum log: a note key name (no white space, no `+`), chosen once
 * when the log is enabled and stored with it, never changed afterwards (clients cache the
 * log under its name).
 *
 * @module
 */

import { isValidKeyName } from "../sumdb/note_key.ts";

/** Host part used when the registry has no public base URL. */
export const FALLBACK_LOG_HOST = "modyard";

/**
 * The default log name of an owner: `<host of the base URL>/<owner>` (with the port, if
 * any), or `modyard/<owner>` without a base URL.
 *
 * @example
 * ```ts
 * defaultLogName("https://registry.example.com", "alice"); // "registry.example.com/alice"
 * defaultLogName("", "alice"); // "modyard/alice"
 * ```
 */
export function defaultLogName(baseUrl: string, owner: string): string {
  let host = FALLBACK_LOG_HOST;
  if (baseUrl !== "") {
    try {
      host = new URL(baseUrl).host || FALLBACK_LOG_HOST;
    } catch {
      throw new TypeError(`Cannot derive a log name from base URL ${JSON.stringify(baseUrl)}`);
    }
  }
  const name = `${host}/${owner}`;
  checkLogName(name);
  return name;
}

/**
 * Throws `TypeError` unless `name` can name a checksum log: a note key name without a
 * trailing `/`, at most 200 characters.
 *
 * @example
 * ```ts
 * checkLogName("registry.example.com/alice"); // ok
 * checkLogName("a b"); // throws
 * ```
 */
export function checkLogName(name: string): void {
  if (!isValidKeyName(name) || name.length > 200 || name.endsWith("/") || name.startsWith("/")) {
    throw new TypeError(`Invalid checksum log name ${JSON.stringify(name.slice(0, 200))}`);
  }
}
