/**
 * Reading `.netrc` for `publish`: `$NETRC`, else `~/.netrc`; the first `machine` entry for
 * the host wins, then `default`. The grammar (macdef bodies skipped, keywords where the go
 * command reads them) is the one `login` edits with, in `netrc_edit.ts`.
 *
 * @module
 */

import { netrcEntryFor } from "./netrc_edit.ts";
import { netrcPath } from "./netrc_file.ts";

/** Login and password for a host. */
export interface NetrcEntry {
  /** User name. */
  login: string;
  /** Password or token. */
  password: string;
}

/**
 * Parses netrc text and returns the entry for `host` (or the `default` entry), if any.
 *
 * @example
 * ```ts
 * parseNetrc("machine h login u password p", "h"); // { login: "u", password: "p" }
 * ```
 */
export function parseNetrc(text: string, host: string): NetrcEntry | null {
  return netrcEntryFor(text, host, { orDefault: true });
}

/** The netrc entry for `host` from `$NETRC` or `~/.netrc`, or `null`. */
export async function netrcCredentials(host: string): Promise<NetrcEntry | null> {
  try {
    return parseNetrc(await Deno.readTextFile(netrcPath()), host.replace(/^\[(.*)\]$/, "$1"));
  } catch {
    return null;
  }
}
