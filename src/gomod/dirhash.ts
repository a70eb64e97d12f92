/**
 * The `h1:` hash that go.sum records (golang.org/x/mod/sumdb/dirhash.Hash1).
 *
 * @module
 */

import { createHash } from "node:crypto";

/** One file of a hashed tree: its name and the hex SHA-256 of its content. */
export interface HashedFile {
  /** File name as it appears in the zip (with the `path@version/` prefix). */
  name: string;
  /** Lowercase hex SHA-256 of the file content. */
  sha256: string;
}

/**
 * Computes the `h1:` hash of a set of files: the names are sorted, each contributes the
 * line `hex(sha256(content))  name\n`, and the result is `h1:` + base64(sha256(lines)).
 * Throws a `RangeError` for a name containing a newline, as dirhash does.
 *
 * @example
 * ```ts
 * hash1([{ name: "go.mod", sha256: "…" }]); // "h1:…="
 * ```
 */
export function hash1(files: readonly HashedFile[]): string {
  const encoder = new TextEncoder();
  const sorted = files.map((f) => ({ ...f, key: encoder.encode(f.name) }))
    .sort((a, b) => compareBytes(a.key, b.key));
  const summary = createHash("sha256");
  for (const f of sorted) {
    if (f.name.includes("\n")) {
      throw new RangeError(`Cannot hash file name with a newline: ${JSON.stringify(f.name)}`);
    }
    summary.update(`${f.sha256}  ${f.name}\n`);
  }
  return "h1:" + summary.digest("base64");
}

/**
 * The go.mod line's `h1:` hash: {@link hash1} over the single file `go.mod`.
 *
 * @example
 * ```ts
 * goModHash1(new TextEncoder().encode("module example.com/m\n"));
 * ```
 */
export function goModHash1(content: Uint8Array): string {
  return hash1([{ name: "go.mod", sha256: sha256Hex(content) }]);
}

/**
 * Lowercase hex SHA-256 of a buffer.
 *
 * @example
 * ```ts
 * sha256Hex(new Uint8Array()); // "e3b0c442…"
 * ```
 */
export function sha256Hex(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Go sorts strings by their bytes; UTF-16 order differs for characters above U+FFFF. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
