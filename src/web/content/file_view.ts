/**
 * What the file viewer page shows of a module file: its text (at most
 * {@link VIEWER_MAX_BYTES}, for the page to escape), or that it is an image or binary (for
 * the page to link to the raw route instead). Pure.
 *
 * @module
 */

import { detectFileKind, type InlineImageType } from "./file_kind.ts";
import type { ZipFileContent } from "./zip_files.ts";

/** Bytes of a file the viewer shows at most: read it with `readZipFile(…, VIEWER_MAX_BYTES)`. */
export const VIEWER_MAX_BYTES = 1024 * 1024;

/** What the viewer shows. */
export type FileView =
  | {
    kind: "text";
    /** The text (not escaped: the template escapes it). */
    text: string;
    /** Number of lines of `text`. */
    lines: number;
    /** Whether only the start of the file is shown. */
    truncated: boolean;
    /** The file's full size. */
    size: number;
  }
  | { kind: "image"; type: InlineImageType; size: number }
  | { kind: "binary"; size: number };

const decoder = new TextDecoder();

/**
 * The view of a file read with `readZipFile(source, path, VIEWER_MAX_BYTES)` (any bound
 * works: the text shown is what was read).
 *
 * @example
 * ```ts
 * fileView(await readZipFile(source, "main.go", VIEWER_MAX_BYTES));
 * // { kind: "text", text: "package main\n…", lines: 12, truncated: false, size: 180 }
 * ```
 */
export function fileView(content: ZipFileContent): FileView {
  const { bytes, size, truncated } = content;
  const kind = detectFileKind(bytes, !truncated);
  if (kind.kind === "image") return { kind: "image", type: kind.type, size };
  if (kind.kind === "binary") return { kind: "binary", size };
  let text = decoder.decode(bytes);
  if (truncated) text = text.replace(/\uFFFD+$/, "");
  const newlines = text.split("\n").length - 1;
  const lines = text === "" ? 0 : newlines + (text.endsWith("\n") ? 0 : 1);
  return { kind: "text", text, lines, truncated, size };
}
