/**
 * The go.sum lines of a published version, for the page's copy box: exactly what the
 * upload's 201 answer and the owner's checksum log say (`formatGoSumRecord`, the one
 * formatter of record text), from the hashes stored in the version record.
 *
 * @module
 */

import { formatGoSumRecord } from "../../sumdb/records.ts";
import type { VersionRecord } from "../../store/records.ts";

/**
 * The two go.sum lines of a version: `<module> <version> <h1>` and
 * `<module> <version>/go.mod <h1>`, without newlines.
 *
 * @example
 * ```ts
 * goSumLines(record);
 * // ["example.com/m v1.0.0 h1:abc…=", "example.com/m v1.0.0/go.mod h1:def…="]
 * ```
 */
export function goSumLines(
  record: Pick<VersionRecord, "module" | "version" | "h1" | "goModH1">,
): [string, string] {
  const text = formatGoSumRecord(record.module, record.version, record.h1, record.goModH1);
  const [zip, mod] = text.split("\n");
  return [zip, mod];
}

/**
 * The go.sum lines as text to paste into a go.sum file (newline-terminated).
 *
 * @example
 * ```ts
 * goSumText(record); // "example.com/m v1.0.0 h1:abc…=\nexample.com/m v1.0.0/go.mod h1:def…=\n"
 * ```
 */
export function goSumText(
  record: Pick<VersionRecord, "module" | "version" | "h1" | "goModH1">,
): string {
  return formatGoSumRecord(record.module, record.version, record.h1, record.goModH1);
}
