/**
 * Texts of the go.sum database: the signed tree head's text, records (`<id>\n<text>\n`), the
 * go.sum lines a record holds, and `lookup/<module>@<version>` paths and answers
 * (golang.org/x/mod/sumdb/tlog's note.go, and the sumdb server and client). No I/O.
 *
 * @module
 */

import { escapeCase, unescapeCase } from "../gomod/path.ts";
import { decodeBase64 } from "./base64.ts";
import { formatHash, HASH_SIZE, MAX_TREE_SIZE, type Tree } from "./tlog.ts";
import type { Tile } from "./tile.ts";

/** First line of a tree head's text. */
export const TREE_HEAD_PREFIX = "go.sum database tree\n";

/** Longest tree-head text parsed (x/mod's limit). */
export const MAX_TREE_TEXT_BYTES = 1_000_000;

/** Longest record text accepted (a go.sum record is two lines of a few hundred bytes). */
export const MAX_RECORD_BYTES = 64 * 1024;

/** Longest lookup answer accepted: a record and a signed tree head. */
export const MAX_LOOKUP_BYTES = MAX_RECORD_BYTES + 1_000_000;

/** Longest escaped module path or version in a lookup path. */
export const MAX_LOOKUP_ELEMENT = 1024;

/** A tree head, record, go.sum line or lookup that does not parse. */
export class RecordError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "RecordError";
  }
}

/**
 * The text of a tree head: `go.sum database tree\n<N>\n<base64 root>\n` (to be signed).
 *
 * @example
 * ```ts
 * formatTree({ n: 2, hash }); // "go.sum database tree\n2\nnND/…=\n"
 * ```
 */
export function formatTree(tree: Tree): string {
  if (!Number.isSafeInteger(tree.n) || tree.n < 0 || tree.hash.length !== HASH_SIZE) {
    throw new RangeError(`Invalid tree of size ${tree.n}`);
  }
  return `${TREE_HEAD_PREFIX}${tree.n}\n${formatHash(tree.hash)}\n`;
}

/**
 * Parses a tree head's text (a note's text, after {@link openNote}); later lines are
 * ignored, as x/mod does. Throws {@link RecordError}, also for a size past
 * {@link MAX_TREE_SIZE}.
 *
 * @example
 * ```ts
 * parseTree("go.sum database tree\n2\nnND/nri/U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=\n").n; // 2
 * ```
 */
export function parseTree(text: string): Tree {
  const bad = (why: string) => new RecordError(`Malformed tree note: ${why}`);
  if (text.length > MAX_TREE_TEXT_BYTES) throw bad("too long");
  if (!text.startsWith(TREE_HEAD_PREFIX)) throw bad("no go.sum database tree line");
  const lines = text.split("\n", 4);
  if (lines.length < 4) throw bad("fewer than three lines");
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw bad(`size ${JSON.stringify(lines[1])}`);
  const n = Number(lines[1]);
  if (n > MAX_TREE_SIZE) throw bad(`size ${n} is past ${MAX_TREE_SIZE}`);
  const hash = decodeBase64(lines[2]);
  if (hash === null || hash.length !== HASH_SIZE) throw bad("root hash is not base64 of 32 bytes");
  return { n, hash };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Why `text` is not valid record text, or null: it must be UTF-8 without control characters
 * other than newline, end in a newline, and hold no blank line.
 */
function recordTextProblem(text: Uint8Array): string | null {
  if (text.length > MAX_RECORD_BYTES) return `longer than ${MAX_RECORD_BYTES} bytes`;
  try {
    decoder.decode(text);
  } catch {
    return "not valid UTF-8";
  }
  let last = -1;
  for (const b of text) {
    if (b < 0x20 && b !== 0x0a) return "control character";
    if (b === 0x0a && last === 0x0a) return "blank line";
    last = b;
  }
  return last === 0x0a ? null : "does not end in a newline";
}

/**
 * A record as lookups and data tiles serve it: `<id>\n<text>\n` (text ends in a newline,
 * so a blank line ends the record). Throws {@link RecordError} for invalid text.
 *
 * @example
 * ```ts
 * formatRecord(5, "example.com/m v1.0.0 h1:…=\n…\n"); // "5\nexample.com/m v1.0.0 h1:…=\n…\n\n"
 * ```
 */
export function formatRecord(id: number, text: string | Uint8Array): string {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const problem = recordTextProblem(bytes);
  if (problem !== null) throw new RecordError(`Malformed record data: ${problem}`);
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`Invalid record id ${id}`);
  return `${id}\n${decoder.decode(bytes)}\n`;
}

/** A record parsed from the start of a message, and what follows it. */
export interface ParsedRecord {
  /** Record id (its index in the log). */
  id: number;
  /** Record text, ending in a newline (what the log hashes). */
  text: Uint8Array;
  /** The bytes after the record's blank line (in a lookup: the signed tree head). */
  rest: Uint8Array;
}

/**
 * Parses a record at the start of `msg` up to its terminating blank line (x/mod's
 * `ParseRecord`). Throws {@link RecordError}. Unlike x/mod, an id must be a plain
 * non-negative decimal below {@link MAX_TREE_SIZE}.
 *
 * @example
 * ```ts
 * parseRecord(encoder.encode("7\nexample.com/m v1.0.0 h1:…=\n\n— rest")).id; // 7
 * ```
 */
export function parseRecord(msg: Uint8Array): ParsedRecord {
  const bad = (why: string) => new RecordError(`Malformed record data: ${why}`);
  const nl = msg.subarray(0, 21).indexOf(0x0a);
  if (nl < 0) throw bad("no record id line");
  const idText = decoder.decode(msg.subarray(0, nl));
  if (!/^(0|[1-9][0-9]*)$/.test(idText) || Number(idText) >= MAX_TREE_SIZE) {
    throw bad(`record id ${JSON.stringify(idText)}`);
  }
  const body = msg.subarray(nl + 1);
  const limit = Math.min(body.length, MAX_RECORD_BYTES + 1);
  let end = -1;
  for (let i = 0; i + 1 < limit; i++) {
    if (body[i] === 0x0a && body[i + 1] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) throw bad("no blank line ends the record (or it is too long)");
  const text = body.subarray(0, end + 1);
  const problem = recordTextProblem(text);
  if (problem !== null) throw bad(problem);
  return { id: Number(idText), text, rest: body.subarray(end + 2) };
}

/**
 * A data tile (`tile/H/data/N[.p/W]`) as x/mod's server writes it: the tile's `w` records,
 * each formatted by {@link formatRecord}, ids from `n·2^h` on. `texts` must hold exactly
 * `w` record texts.
 *
 * @example
 * ```ts
 * formatDataTile({ h: 8, l: -1, n: 0, w: 2 }, [text0, text1]); // "0\n…\n\n1\n…\n\n"
 * ```
 */
export function formatDataTile(tile: Tile, texts: (string | Uint8Array)[]): string {
  if (tile.l !== -1 || texts.length !== tile.w) {
    throw new RangeError(`Data tile needs level -1 and ${tile.w} records, got ${texts.length}`);
  }
  const start = tile.n * 2 ** tile.h;
  return texts.map((text, i) => formatRecord(start + i, text)).join("");
}

/**
 * Splits a data tile into its record texts, checking that it holds exactly `tile.w`
 * records with consecutive ids from `n·2^h` (each still to be checked against the log's
 * hashes). Throws {@link RecordError}.
 *
 * @example
 * ```ts
 * parseDataTile({ h: 8, l: -1, n: 0, w: 2 }, body).length; // 2
 * ```
 */
export function parseDataTile(tile: Tile, data: Uint8Array): Uint8Array[] {
  if (tile.l !== -1) throw new RangeError("Not a data tile");
  if (data.length > tile.w * (MAX_RECORD_BYTES + 24)) {
    throw new RecordError(`Data tile is longer than ${tile.w} records can be`);
  }
  const start = tile.n * 2 ** tile.h;
  const texts: Uint8Array[] = [];
  let rest = data;
  for (let i = 0; i < tile.w; i++) {
    const record = parseRecord(rest);
    if (record.id !== start + i) {
      throw new RecordError(`Data tile holds record ${record.id} where ${start + i} belongs`);
    }
    texts.push(record.text);
    rest = record.rest;
  }
  if (rest.length !== 0) throw new RecordError(`Data tile has ${rest.length} bytes past its end`);
  return texts;
}

/** One go.sum line: `<module> <version>[/go.mod] <hash>`. */
export interface GoSumLine {
  /** Module path. */
  path: string;
  /** Version, with `/go.mod` for the go.mod hash. */
  version: string;
  /** The hash, e.g. `h1:…=`. */
  hash: string;
}

/**
 * The record text of a module version, as sum.golang.org writes it: the zip's line, then
 * the go.mod's line.
 *
 * @example
 * ```ts
 * formatGoSumRecord("example.com/m", "v1.0.0", "h1:abc…=", "h1:def…=");
 * // "example.com/m v1.0.0 h1:abc…=\nexample.com/m v1.0.0/go.mod h1:def…=\n"
 * ```
 */
export function formatGoSumRecord(
  path: string,
  version: string,
  zipHash: string,
  modHash: string,
): string {
  for (const field of [path, version, zipHash, modHash]) {
    if (field === "" || /[\s]/.test(field)) {
      throw new TypeError(`Invalid go.sum field ${JSON.stringify(field.slice(0, 100))}`);
    }
  }
  return `${path} ${version} ${zipHash}\n${path} ${version}/go.mod ${modHash}\n`;
}

/**
 * Splits a record's text into go.sum lines; throws {@link RecordError} for a line that is
 * not three fields separated by single spaces.
 *
 * @example
 * ```ts
 * parseGoSumRecord("example.com/m v1.0.0 h1:abc=\n")[0].hash; // "h1:abc="
 * ```
 */
export function parseGoSumRecord(text: string | Uint8Array): GoSumLine[] {
  const bytes = typeof text === "string" ? encoder.encode(text) : text;
  const problem = recordTextProblem(bytes);
  if (problem !== null) throw new RecordError(`Malformed record data: ${problem}`);
  const lines = decoder.decode(bytes).split("\n");
  lines.pop();
  return lines.map((line) => {
    const f = line.split(" ");
    if (f.length !== 3 || f.some((x) => x === "")) {
      throw new RecordError(`Malformed go.sum line ${JSON.stringify(line.slice(0, 200))}`);
    }
    return { path: f[0], version: f[1], hash: f[2] };
  });
}

/**
 * The hashes a record gives for one module version, as the `go` command reads them: the
 * first line for `<path> <version>` (zip) and for `<path> <version>/go.mod`; `null` where
 * the record has no such line (the `go` command then checks nothing: callers should
 * refuse a record without both).
 *
 * @example
 * ```ts
 * goSumHashes(lines, "example.com/m", "v1.0.0"); // { zip: "h1:…", mod: "h1:…" }
 * ```
 */
export function goSumHashes(
  lines: GoSumLine[],
  path: string,
  version: string,
): { zip: string | null; mod: string | null } {
  const find = (v: string) =>
    lines.find((l) => l.path === path && l.version === v && l.hash.startsWith("h1:"))?.hash ??
      null;
  return { zip: find(version), mod: find(`${version}/go.mod`) };
}

/**
 * The lookup path for a module version: `lookup/<escaped path>@<escaped version>` (uppercase
 * letters as `!` + lowercase), relative to the database's base URL.
 *
 * @example
 * ```ts
 * lookupPath("github.com/BurntSushi/toml", "v1.2.0"); // "lookup/github.com/!burnt!sushi/toml@v1.2.0"
 * ```
 */
export function lookupPath(path: string, version: string): string {
  if (path === "" || version === "" || path.includes("@") || version.includes("@")) {
    throw new TypeError(`Invalid module version ${JSON.stringify(`${path}@${version}`)}`);
  }
  return `lookup/${escapeCase(path)}@${escapeCase(version)}`;
}

const LOOKUP = /^[^@]+@v[0-9]+\.[0-9]+\.[0-9]+(-[^@]*)?(\+incompatible)?$/;

/**
 * Parses what follows `lookup/` in a request (x/mod's server syntax check, then case
 * unescaping). Throws {@link RecordError}.
 *
 * @example
 * ```ts
 * parseLookupPath("github.com/!burnt!sushi/toml@v1.2.0");
 * // { path: "github.com/BurntSushi/toml", version: "v1.2.0" }
 * ```
 */
export function parseLookupPath(escaped: string): { path: string; version: string } {
  const bad = () =>
    new RecordError(`Invalid module@version syntax ${JSON.stringify(escaped.slice(0, 200))}`);
  if (escaped.length > 2 * MAX_LOOKUP_ELEMENT || !LOOKUP.test(escaped)) throw bad();
  const at = escaped.indexOf("@");
  const path = unescapeCase(escaped.slice(0, at));
  const version = unescapeCase(escaped.slice(at + 1));
  if (path === null || version === null) throw bad();
  return { path, version };
}

/**
 * A lookup answer: the record (`<id>\n<text>\n`) followed by the signed tree head.
 *
 * @example
 * ```ts
 * formatLookup(7, recordText, signedHead); // "7\n…\n\ngo.sum database tree\n…"
 * ```
 */
export function formatLookup(id: number, text: string | Uint8Array, signedHead: string): string {
  return formatRecord(id, text) + signedHead;
}

/** A lookup answer split into its parts (nothing verified yet). */
export interface ParsedLookup extends ParsedRecord {
  /** The signed tree head, to be opened with the database's key. */
  signedHead: Uint8Array;
}

/**
 * Splits a lookup answer into record and signed tree head (verify the head with
 * `openNote`, then the record with `checkRecord` or tiles). Throws {@link RecordError}.
 *
 * @example
 * ```ts
 * const { id, text, signedHead } = parseLookup(body);
 * ```
 */
export function parseLookup(body: Uint8Array): ParsedLookup {
  if (body.length > MAX_LOOKUP_BYTES) {
    throw new RecordError(`Lookup answer is longer than ${MAX_LOOKUP_BYTES} bytes`);
  }
  const record = parseRecord(body);
  return { ...record, signedHead: record.rest };
}
