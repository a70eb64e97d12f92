/**
 * Go's `%q` formatting (strconv.Quote and strconv.QuoteRune), so that refusals read exactly
 * like the errors of golang.org/x/mod.
 *
 * @module
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
};

function escapeChar(c: string, quote: string): string {
  if (c === quote) return "\\" + c;
  if (SIMPLE_ESCAPES[c]) return SIMPLE_ESCAPES[c];
  const cp = c.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp === 0xfffd) return "\\ufffd";
  if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]$/u.test(c)) return c;
  return cp > 0xffff
    ? "\\U" + cp.toString(16).padStart(8, "0")
    : "\\u" + cp.toString(16).padStart(4, "0");
}

/**
 * Quotes a string as Go's `%q` does (printable characters kept, others escaped).
 *
 * @example
 * ```ts
 * goQuote('a"b\n'); // "\"a\\\"b\\n\""
 * ```
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) out += escapeChar(c, '"');
  return out + '"';
}

/**
 * Quotes one character as Go's `%q` does for a rune.
 *
 * @example
 * ```ts
 * goQuoteRune("'"); // "'\\''"
 * ```
 */
export function goQuoteRune(c: string): string {
  return "'" + escapeChar(c, "'") + "'";
}
