/**
 * Editing `.netrc` text without disturbing it: one host's `machine` entries are replaced or
 * removed, and every other byte — comments, `default`, `macdef` blocks, odd whitespace,
 * `\r\n` line ends — stays exactly as it was. Pure functions over strings; reading and
 * writing the file is in `netrc_file.ts`.
 *
 * The grammar is the one the `go` command and curl read: whitespace-separated tokens;
 * `machine NAME`, then `login`, `password`, `account`, `macdef NAME` until the next
 * `machine` or `default`; a macro body runs from the line after `macdef` to the first empty
 * line. Lines whose first non-blank character is `#` are comments.
 *
 * @module
 */

/** One token (or a whole macro body) with its byte-offset range in the text. */
interface Piece {
  /** The token's text (`""` for a macro body). */
  text: string;
  /** Offset of its first character. */
  start: number;
  /** Offset just past its last character (a macro body ends after its empty line). */
  end: number;
  /** Whether this is a macro body. */
  macro: boolean;
  /** Whether it stands where a keyword may (an even place on its line). */
  keyword: boolean;
}

/** One `machine` or `default` entry: its pieces, from the keyword on. */
interface Entry {
  /** The host of a `machine` entry; `null` for `default`. */
  host: string | null;
  /** The keyword, the host, and everything up to the next entry. */
  pieces: Piece[];
}

/** Splits netrc text into tokens and macro bodies, with offsets; comments are skipped. */
function pieces(text: string): { pieces: Piece[]; openMacro: boolean } {
  const out: Piece[] = [];
  let offset = 0;
  let macroStart = -1; // offset where the current macro body began; -1 outside a macro
  let macroNext = false; // the next line starts a macro body
  while (offset < text.length) {
    const nl = text.indexOf("\n", offset);
    const lineEnd = nl < 0 ? text.length : nl;
    const next = nl < 0 ? text.length : nl + 1;
    const line = text.slice(offset, lineEnd);
    if (macroNext) {
      macroNext = false;
      macroStart = offset;
    }
    if (macroStart >= 0) {
      if (line === "") {
        out.push({ text: "", start: macroStart, end: next, macro: true, keyword: false });
        macroStart = -1;
      }
    } else if (!/^\s*#/.test(line)) {
      // As the go command reads it: keywords in the even places of each line.
      let place = 0;
      for (const m of line.matchAll(/\S+/g)) {
        const start = offset + m.index;
        const keyword = place % 2 === 0;
        out.push({ text: m[0], start, end: start + m[0].length, macro: false, keyword });
        if (keyword && m[0] === "macdef") macroNext = true;
        place++;
      }
    }
    offset = next;
  }
  if (macroNext && offset >= text.length) macroStart = text.length;
  if (macroStart >= 0) {
    out.push({ text: "", start: macroStart, end: text.length, macro: true, keyword: false });
  }
  return { pieces: out, openMacro: macroStart >= 0 };
}

/** Groups pieces into entries; pieces before the first keyword belong to none. */
function entries(all: Piece[]): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < all.length; i++) {
    const p = all[i];
    if (p.keyword && (p.text === "machine" || p.text === "default")) {
      const host = p.text === "machine" ? all[i + 1]?.text ?? "" : null;
      out.push({ host, pieces: [p] });
    } else if (out.length > 0) {
      out[out.length - 1].pieces.push(p);
    }
  }
  return out;
}

/** Offset of the start of the line holding `pos`. */
function lineStart(text: string, pos: number): number {
  return text.lastIndexOf("\n", pos - 1) + 1;
}

/**
 * The byte range an entry occupies: from its line's start when only blanks precede it there
 * (else from the keyword), to the end of its last line including the newline (or up to the
 * next entry's keyword when that follows on the same line).
 */
function entrySpan(
  text: string,
  entry: Entry,
  next: Piece | undefined,
): { start: number; end: number; suffix: string } {
  const first = entry.pieces[0].start;
  const ls = lineStart(text, first);
  const atLineStart = /^[^\S\n]*$/.test(text.slice(ls, first));
  const start = atLineStart ? ls : first;
  const last = entry.pieces[entry.pieces.length - 1];
  if (last.macro) return { start, end: last.end, suffix: last.end > last.start ? "\n" : "" };
  if (next && !text.slice(last.end, next.start).includes("\n")) {
    return { start, end: next.start, suffix: " " };
  }
  const nl = text.indexOf("\n", last.end);
  if (nl < 0) return { start, end: text.length, suffix: "" };
  return atLineStart ? { start, end: nl + 1, suffix: "\n" } : { start, end: nl, suffix: "" };
}

/** The `machine` line written for a host. */
function entryLine(host: string, login: string, password: string): string {
  for (const [what, value] of [["host", host], ["login", login], ["password", password]]) {
    if (value === "" || /\s/.test(value)) {
      throw new RangeError(
        `Cannot write a .netrc ${what} that is empty or has blanks: ${JSON.stringify(value)}`,
      );
    }
  }
  return `machine ${host} login ${login} password ${password}`;
}

/** Applies `[start, end, replacement]` edits (disjoint ranges) to `text`. */
function applyEdits(text: string, edits: [number, number, string][]): string {
  let out = text;
  for (const [start, end, replacement] of edits.sort((a, b) => b[0] - a[0])) {
    out = out.slice(0, start) + replacement + out.slice(end);
  }
  return out;
}

/** Spans of every `machine host` entry, in order, and the `default` entry's keyword. */
function hostSpans(text: string, host: string) {
  const { pieces: all, openMacro } = pieces(text);
  const list = entries(all);
  const spans = [];
  for (let i = 0; i < list.length; i++) {
    if (list[i].host === host) spans.push(entrySpan(text, list[i], list[i + 1]?.pieces[0]));
  }
  const defaultEntry = list.find((e) => e.host === null);
  return { spans, defaultKeyword: defaultEntry?.pieces[0], openMacro };
}

/**
 * `text` with the entry for `host` set to `login`/`password`: the first `machine host`
 * entry is replaced in place and any later ones removed; without one, the entry is added
 * before `default` (which must stay last), else at the end. All other bytes are kept.
 *
 * @example
 * ```ts
 * setNetrcEntry("# mine\nmachine h login a password old\n", "h", "a", "new");
 * // "# mine\nmachine h login a password new\n"
 * ```
 */
export function setNetrcEntry(text: string, host: string, login: string, password: string) {
  const line = entryLine(host, login, password);
  const { spans, defaultKeyword, openMacro } = hostSpans(text, host);
  const edits: [number, number, string][] = spans.map((s, i) => [
    s.start,
    s.end,
    i === 0 ? line + s.suffix : "",
  ]);
  if (spans.length > 0 && (!defaultKeyword || spans[0].start < defaultKeyword.start)) {
    return applyEdits(text, edits);
  }
  // No usable entry: every one found (after `default`) goes, and a new one is added.
  for (const e of edits) e[2] = "";
  if (defaultKeyword) {
    const ls = lineStart(text, defaultKeyword.start);
    const atLineStart = /^[^\S\n]*$/.test(text.slice(ls, defaultKeyword.start));
    edits.push(
      atLineStart
        ? [ls, ls, `${line}\n`]
        : [defaultKeyword.start, defaultKeyword.start, `${line} `],
    );
    return applyEdits(text, edits);
  }
  const trailer = text === "" || text.endsWith("\n") ? "" : "\n";
  // An unterminated macro body would swallow the new entry: end it with an empty line.
  const closeMacro = openMacro ? "\n" : "";
  return applyEdits(text, edits) + trailer + closeMacro + line + "\n";
}

/**
 * `text` without any `machine host` entry (and whatever belongs to them: `macdef` bodies,
 * comments between their tokens); all other bytes kept.
 *
 * @example
 * ```ts
 * removeNetrcEntries("machine a login x password y\nmachine h login u password p\n", "h");
 * // "machine a login x password y\n"
 * ```
 */
export function removeNetrcEntries(text: string, host: string): string {
  const { spans } = hostSpans(text, host);
  return applyEdits(text, spans.map((s) => [s.start, s.end, ""]));
}

/**
 * The login and password of the first `machine host` entry, or `null`. `default` is not
 * consulted unless `orDefault` (the go command never reads it; curl does; logging out of one
 * host must not touch the credentials of all others).
 *
 * @example
 * ```ts
 * netrcEntryFor("machine h login u password p", "h"); // { login: "u", password: "p" }
 * netrcEntryFor("default login a password b", "h", { orDefault: true }); // { login: "a", … }
 * ```
 */
export function netrcEntryFor(
  text: string,
  host: string,
  options: { orDefault?: boolean } = {},
): { login: string; password: string } | null {
  const list = entries(pieces(text).pieces);
  const entry = list.find((e) => e.host === host) ??
    (options.orDefault ? list.find((e) => e.host === null) : undefined);
  if (!entry) return null;
  // After `machine NAME` keywords stand in even places as the go command pairs them; after
  // `default` (which the go command skips) the pairs are shifted by one, so any place counts.
  const first = entry.host === null ? 1 : 2;
  const value = (key: string) => {
    const i = entry.pieces.findIndex((p, j) =>
      j >= first && (p.keyword || entry.host === null) && !p.macro && p.text === key
    );
    return i < 0 ? "" : entry.pieces[i + 1]?.text ?? "";
  };
  return { login: value("login"), password: value("password") };
}
