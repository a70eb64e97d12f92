/**
 * GOPRIVATE-style path patterns: x/mod's `module.MatchPrefixPatterns` over Go's `path.Match`.
 *
 * @module
 */

/**
 * Whether any glob of the comma-separated `globs` matches a prefix of `target` with as many
 * path elements as the glob has (x/mod `module.MatchPrefixPatterns`). Empty globs are skipped,
 * a trailing `/` of a glob is ignored, and a malformed glob matches nothing.
 *
 * @example
 * ```ts
 * matchPrefixPatterns("*.corp.example.com,rsc.io/private", "git.corp.example.com/x/y"); // true
 * matchPrefixPatterns("rsc.io/private", "rsc.io/privateer"); // false
 * ```
 */
export function matchPrefixPatterns(globs: string, target: string): boolean {
  for (let glob of globs.split(",")) {
    if (glob.endsWith("/")) glob = glob.slice(0, -1);
    if (glob === "") continue;
    // A glob with N slashes is matched against the first N+1 elements of target.
    let n = glob.split("/").length - 1;
    let prefix = target;
    for (let i = 0; i < target.length; i++) {
      if (target[i] === "/") {
        if (n === 0) {
          prefix = target.slice(0, i);
          break;
        }
        n--;
      }
    }
    if (n > 0) continue;
    if (pathMatch(glob, prefix) === true) return true;
  }
  return false;
}

/** Go's `path.Match`: `true`/`false`, or `null` for a malformed pattern (ErrBadPattern). */
export function pathMatch(pattern: string, name: string): boolean | null {
  let p = Array.from(pattern);
  let s = Array.from(name);
  pattern: while (p.length > 0) {
    const scanned = scanChunk(p);
    const { star, chunk } = scanned;
    p = scanned.rest;
    if (star && chunk.length === 0) return !s.includes("/");
    const first = matchChunk(chunk, s);
    if (first === null) return null;
    if (first !== false && (first.length === 0 || p.length > 0)) {
      s = first;
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== "/"; i++) {
        const t = matchChunk(chunk, s.slice(i + 1));
        if (t === null) return null;
        if (t !== false) {
          if (p.length === 0 && t.length > 0) continue;
          s = t;
          continue pattern;
        }
      }
    }
    // No match: the rest of the pattern must still be well-formed.
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      if (matchChunk(next.chunk, []) === null) return null;
    }
    return false;
  }
  return s.length === 0;
}

function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  let start = 0;
  while (start < p.length && p[start] === "*") {
    start++;
    star = true;
  }
  let inRange = false;
  let i = start;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case "\\":
        if (i + 1 < p.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
    }
  }
  return { star, chunk: p.slice(start, i), rest: p.slice(i) };
}

/** The rest of `s` after `chunk` matched its start; `false` for no match; `null` when malformed. */
function matchChunk(chunk: string[], s: string[]): string[] | false | null {
  let failed = false;
  let c = 0;
  let k = 0;
  while (c < chunk.length) {
    if (!failed && k >= s.length) failed = true;
    switch (chunk[c]) {
      case "[": {
        const r = failed ? undefined : s[k++];
        c++;
        let negated = false;
        if (c < chunk.length && chunk[c] === "^") {
          negated = true;
          c++;
        }
        let match = false;
        let ranges = 0;
        for (;;) {
          if (c < chunk.length && chunk[c] === "]" && ranges > 0) {
            c++;
            break;
          }
          const lo = getEscape(chunk, c);
          if (lo === null) return null;
          c = lo.next;
          let hi = lo;
          if (chunk[c] === "-") {
            const h = getEscape(chunk, c + 1);
            if (h === null) return null;
            hi = h;
            c = h.next;
          }
          if (r !== undefined && lo.rune <= r.codePointAt(0)! && r.codePointAt(0)! <= hi.rune) {
            match = true;
          }
          ranges++;
        }
        if (match === negated) failed = true;
        break;
      }
      case "?":
        if (!failed) {
          if (s[k] === "/") failed = true;
          k++;
        }
        c++;
        break;
      case "\\":
        c++;
        if (c >= chunk.length) return null;
        // falls through: the escaped character is matched literally
      default:
        if (!failed) {
          if (chunk[c] !== s[k]) failed = true;
          k++;
        }
        c++;
    }
  }
  return failed ? false : s.slice(k);
}

function getEscape(chunk: string[], at: number): { rune: number; next: number } | null {
  if (at >= chunk.length || chunk[at] === "-" || chunk[at] === "]") return null;
  if (chunk[at] === "\\") {
    at++;
    if (at >= chunk.length) return null;
  }
  const next = at + 1;
  if (next >= chunk.length) return null;
  return { rune: chunk[at].codePointAt(0)!, next };
}
