/**
 * The upstream proxy list in GOPROXY syntax: URLs separated by `,` (fall through to the next
 * on 404/410 only) or `|` (fall through on any error).
 *
 * @module
 */

/** One upstream GOPROXY and what its failure means. */
export interface UpstreamEntry {
  /** Base URL without a trailing slash, e.g. `https://proxy.golang.org`. */
  url: string;
  /** `true` when a `|` follows: any error falls through to the next entry. */
  fallThroughOnError: boolean;
}

/** Longest accepted upstream list. */
const MAX_LIST_LENGTH = 4096;

/**
 * Parses an upstream list. `""` and `off` give `[]` (pull-through disabled). Throws a
 * `SyntaxError` for `direct`, `noproxy`-style keywords, or an entry that is not an http(s)
 * URL.
 *
 * @example
 * ```ts
 * parseUpstreamList("https://a.example|https://b.example");
 * // [{ url: "https://a.example", fallThroughOnError: true },
 * //  { url: "https://b.example", fallThroughOnError: false }]
 * ```
 */
export function parseUpstreamList(list: string): UpstreamEntry[] {
  const trimmed = list.trim();
  if (trimmed === "" || trimmed === "off") return [];
  if (trimmed.length > MAX_LIST_LENGTH) {
    throw new SyntaxError(`Upstream list is longer than ${MAX_LIST_LENGTH} characters`);
  }
  const out: UpstreamEntry[] = [];
  for (const m of trimmed.matchAll(/([^,|]*)([,|]?)/g)) {
    if (m[0] === "") break;
    const entry = m[1].trim();
    if (entry === "") continue;
    if (entry === "direct") {
      throw new SyntaxError(
        `Upstream "direct" is not supported: modyard does not run version-control tools; name GOPROXY-protocol URLs only`,
      );
    }
    if (entry === "off") {
      throw new SyntaxError(`Upstream "off" must stand alone (it disables pull-through)`);
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new SyntaxError(`Upstream ${JSON.stringify(entry)} is not an http(s) URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SyntaxError(`Upstream ${JSON.stringify(entry)} is not an http(s) URL`);
    }
    if (url.search || url.hash) {
      throw new SyntaxError(`Upstream ${JSON.stringify(entry)} must not have a query or fragment`);
    }
    out.push({ url: url.href.replace(/\/+$/, ""), fallThroughOnError: m[2] === "|" });
  }
  return out;
}
