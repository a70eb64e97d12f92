/**
 * The upstream checksum database in GOSUMDB syntax (`--sumdb-upstream`): `off`, a known
 * name (`sum.golang.org`), or a verifier key `name+hash+key`, each optionally followed by a
 * space and the database's URL. Without a URL the database is reached through the first
 * upstream proxy's `/sumdb/<name>/`, as the `go` command does.
 *
 * @module
 */

import { pathMatch } from "../gomod/match_prefix_patterns.ts";
import { parseVerifierKey, SUM_GOLANG_ORG_KEY } from "../sumdb/note_key.ts";

/** A configured upstream checksum database. */
export interface SumdbUpstream {
  /** The database name, e.g. `sum.golang.org`. */
  name: string;
  /** Its verifier key (`name+hash+key`). */
  vkey: string;
  /** Explicit base URL without a trailing slash; `null`: through the first upstream proxy. */
  url: string | null;
}

/** Longest accepted value (a verifier key is under 200 characters). */
const MAX_VALUE_LENGTH = 4096;

/** Longest database name (it becomes part of KV keys). */
export const MAX_SUMDB_NAME_LENGTH = 200;

/**
 * Parses a GOSUMDB-syntax value; `null` for `off` (no verification). Throws a `SyntaxError`
 * naming what is wrong.
 *
 * @example
 * ```ts
 * parseSumdbUpstream("sum.golang.org");
 * // { name: "sum.golang.org", vkey: "sum.golang.org+033de0ae+Ac4z…", url: null }
 * parseSumdbUpstream("off"); // null
 * ```
 */
export function parseSumdbUpstream(value: string): SumdbUpstream | null {
  const trimmed = value.trim();
  if (trimmed === "off") return null;
  if (trimmed === "") {
    throw new SyntaxError(`Checksum database must be "off", a known name or a verifier key`);
  }
  if (trimmed.length > MAX_VALUE_LENGTH) {
    throw new SyntaxError(`Checksum database is longer than ${MAX_VALUE_LENGTH} characters`);
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length > 2) {
    throw new SyntaxError(
      `Checksum database must be a key and at most one URL, separated by a space`,
    );
  }
  let vkey = fields[0];
  let url: string | null = null;
  if (vkey === "sum.golang.org") vkey = SUM_GOLANG_ORG_KEY;
  else if (vkey === "sum.golang.google.cn") {
    vkey = SUM_GOLANG_ORG_KEY;
    url = "https://sum.golang.google.cn";
  }
  let name: string;
  try {
    name = parseVerifierKey(vkey).name;
  } catch (err) {
    throw new SyntaxError(
      `Checksum database key ${JSON.stringify(vkey.slice(0, 80))} is refused: ${
        (err as Error).message
      } (expected a known name such as sum.golang.org, or name+hash+key)`,
    );
  }
  if (name.length > MAX_SUMDB_NAME_LENGTH) {
    throw new SyntaxError(`Checksum database name is longer than ${MAX_SUMDB_NAME_LENGTH}`);
  }
  if (fields.length === 2) {
    let parsed: URL;
    try {
      parsed = new URL(fields[1]);
    } catch {
      throw new SyntaxError(`Checksum database URL ${JSON.stringify(fields[1])} is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new SyntaxError(
        `Checksum database URL ${JSON.stringify(fields[1])} is not an http(s) URL`,
      );
    }
    if (parsed.search || parsed.hash || parsed.username || parsed.password) {
      throw new SyntaxError(
        `Checksum database URL ${
          JSON.stringify(fields[1])
        } must not have credentials, a query or a fragment`,
      );
    }
    url = parsed.href.replace(/\/+$/, "");
  }
  return { name, vkey, url };
}

/** Longest `--upstream-nosumdb` list. */
export const MAX_NOSUMDB_LENGTH = 4096;

/**
 * Checks a GONOSUMDB-syntax list (comma-separated `path.Match` globs over leading path
 * elements); returns a reason when it is refused, else `null`.
 *
 * @example
 * ```ts
 * checkNoSumdbPatterns("corp.example.com,*.internal"); // null
 * checkNoSumdbPatterns("corp.example.com/["); // a reason
 * ```
 */
export function checkNoSumdbPatterns(patterns: string): string | null {
  if (patterns.length > MAX_NOSUMDB_LENGTH) {
    return `the list must have at most ${MAX_NOSUMDB_LENGTH} characters`;
  }
  if (/[\s\p{Cc}]/u.test(patterns)) return "the list must not contain spaces or control characters";
  for (const glob of patterns.split(",")) {
    if (glob !== "" && pathMatch(glob.replace(/\/$/, ""), "") === null) {
      return `pattern ${JSON.stringify(glob.slice(0, 80))} is malformed`;
    }
  }
  return null;
}
