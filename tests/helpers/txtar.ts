/**
 * The txtar format of golang.org/x/tools/txtar as x/mod's zip tests read it
 * (zip_test.go `readTest`): the comment before the first `-- name --` marker holds
 * `key=value` lines, where everything from `#` is a comment and keys and values are
 * space-trimmed; then the files. Marker names are space-trimmed, a marker needs at least
 * `-- ` and ` --` around the name (a `\r` before the newline makes a line no marker), and the
 * last section gets a final newline if it lacks one. Works on bytes, because some names and
 * headers are deliberately not valid UTF-8.
 *
 * @module
 */

/** A parsed archive. */
export interface Txtar {
  /** The raw comment before the first file. */
  comment: Uint8Array;
  /** `key=value` lines of the comment, `#` comments stripped (raw bytes of the value). */
  headers: Map<string, Uint8Array>;
  /** Files in order; names are raw bytes. */
  files: { name: Uint8Array; data: Uint8Array }[];
}

const MARKER = [0x2d, 0x2d, 0x20]; // "-- "
const MARKER_END = [0x20, 0x2d, 0x2d]; // " --"
const NEWLINE = 0x0a;

/**
 * Parses txtar bytes as x/tools txtar.Parse does, then reads the comment's `key=value`
 * lines as x/mod's readTest does. Throws `SyntaxError` for a comment line without `=`.
 *
 * @example
 * ```ts
 * const a = parseTxtar(new TextEncoder().encode("path=example.com/m # a comment\n-- a.go --\nx"));
 * new TextDecoder().decode(a.headers.get("path")); // "example.com/m"
 * new TextDecoder().decode(a.files[0].data); // "x\n"
 * ```
 */
export function parseTxtar(bytes: Uint8Array): Txtar {
  const archive = parseTxtarArchive(bytes);
  return { ...archive, headers: readHeaders(archive.comment) };
}

/**
 * x/tools txtar.Parse alone: the comment and the files, without reading headers (there are
 * no syntax errors at this level).
 *
 * @example
 * ```ts
 * parseTxtarArchive(new TextEncoder().encode("-- a --")).files.length; // 1
 * ```
 */
export function parseTxtarArchive(bytes: Uint8Array): Omit<Txtar, "headers"> {
  const files: Txtar["files"] = [];
  let [comment, name, rest] = findFileMarker(bytes);
  while (name !== null) {
    const fileName: Uint8Array = name;
    let data: Uint8Array;
    [data, name, rest] = findFileMarker(rest);
    files.push({ name: fileName, data });
  }
  return { comment, files };
}

/** The data before the next marker, the marker's name (or null), and the data after it. */
function findFileMarker(data: Uint8Array): [Uint8Array, Uint8Array | null, Uint8Array] {
  let i = 0;
  for (;;) {
    const marker = isMarker(data.subarray(i));
    if (marker) return [data.subarray(0, i), marker.name, marker.after];
    const nl = indexOfNewlineMarker(data, i);
    if (nl < 0) return [fixNewline(data), null, new Uint8Array()];
    i = nl + 1;
  }
}

/** Index of the next "\n-- " at or after `from`, or -1. */
function indexOfNewlineMarker(data: Uint8Array, from: number): number {
  for (let i = data.indexOf(NEWLINE, from); i >= 0; i = data.indexOf(NEWLINE, i + 1)) {
    if (MARKER.every((b, k) => data[i + 1 + k] === b)) return i;
  }
  return -1;
}

function isMarker(data: Uint8Array): { name: Uint8Array; after: Uint8Array } | null {
  if (!MARKER.every((b, k) => data[k] === b)) return null;
  const nl = data.indexOf(NEWLINE);
  const line = nl >= 0 ? data.subarray(0, nl) : data;
  const after = nl >= 0 ? data.subarray(nl + 1) : new Uint8Array();
  const n = line.length;
  if (n < MARKER.length + MARKER_END.length) return null;
  if (!MARKER_END.every((b, k) => line[n - MARKER_END.length + k] === b)) return null;
  const name = trimSpace(line.subarray(MARKER.length, n - MARKER_END.length));
  return name.length === 0 ? null : { name, after };
}

function fixNewline(data: Uint8Array): Uint8Array {
  if (data.length === 0 || data[data.length - 1] === NEWLINE) return data;
  const out = new Uint8Array(data.length + 1);
  out.set(data);
  out[data.length] = NEWLINE;
  return out;
}

/** x/mod readTest: per line, cut at `#`, trim, skip blanks, split at the first `=`. */
function readHeaders(comment: Uint8Array): Map<string, Uint8Array> {
  const headers = new Map<string, Uint8Array>();
  let start = 0;
  for (let n = 1; start <= comment.length; n++) {
    let end = comment.indexOf(NEWLINE, start);
    if (end < 0) end = comment.length;
    let line = comment.subarray(start, end);
    start = end + 1;
    const hash = line.indexOf(0x23); // "#"
    if (hash >= 0) line = line.subarray(0, hash);
    line = trimSpace(line);
    if (line.length === 0) continue;
    const eq = line.indexOf(0x3d); // "="
    if (eq < 0) throw new SyntaxError(`txtar comment line ${n}: missing = separator`);
    const key = new TextDecoder().decode(trimSpace(line.subarray(0, eq)));
    headers.set(key, trimSpace(line.subarray(eq + 1)));
  }
  return headers;
}

/** Whether a code point is white space to Go's unicode.IsSpace. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000;
}

/** Go's bytes.TrimSpace: strips leading and trailing white-space runes (UTF-8 decoded). */
function trimSpace(b: Uint8Array): Uint8Array {
  let start = 0, end = b.length;
  while (start < end) {
    const [c, size] = decodeRune(b, start);
    if (!isSpace(c)) break;
    start += size;
  }
  while (end > start) {
    const [c, size] = decodeLastRune(b.subarray(start, end));
    if (!isSpace(c)) break;
    end -= size;
  }
  return b.subarray(start, end);
}

/** The rune at `i` and its size; invalid UTF-8 is U+FFFD of size 1 (never a space). */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i];
  if (c0 < 0x80) return [c0, 1];
  const size = c0 >= 0xf0 ? 4 : c0 >= 0xe0 ? 3 : c0 >= 0xc0 ? 2 : 1;
  if (size === 1 || i + size > b.length) return [0xfffd, 1];
  let c = c0 & (0xff >> (size + 1));
  for (let k = 1; k < size; k++) {
    if ((b[i + k] & 0xc0) !== 0x80) return [0xfffd, 1];
    c = (c << 6) | (b[i + k] & 0x3f);
  }
  const min = size === 2 ? 0x80 : size === 3 ? 0x800 : 0x10000;
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return [0xfffd, 1];
  return [c, size];
}

function decodeLastRune(b: Uint8Array): [number, number] {
  let start = b.length - 1;
  while (start > 0 && b.length - start < 4 && (b[start] & 0xc0) === 0x80) start--;
  const [c, size] = decodeRune(b, start);
  return start + size === b.length ? [c, size] : [0xfffd, 1];
}
