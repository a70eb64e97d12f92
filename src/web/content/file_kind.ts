/**
 * What a module file is, judged by its bytes, never by its name: text (valid UTF-8 without
 * NUL bytes), one of the four image formats browsers may show inline (PNG, JPEG, GIF, WebP,
 * by their magic numbers), or anything else (SVG and HTML included: both can run script and
 * are never shown inline). Pure.
 *
 * @module
 */

/** An image type shown inline. */
export type InlineImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

/** What a file is. */
export type FileKind =
  | { kind: "text" }
  | { kind: "image"; type: InlineImageType }
  | { kind: "binary" };

/** Bytes of a file's start that decide its kind. */
export const SNIFF_BYTES = 64 * 1024;

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * The kind of a file from its first bytes (`head`); `complete` says whether `head` is the
 * whole file (otherwise a multi-byte UTF-8 sequence cut at its end is allowed). An empty
 * file is text.
 *
 * @example
 * ```ts
 * detectFileKind(new TextEncoder().encode("package main\n"), true); // { kind: "text" }
 * detectFileKind(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10), true);
 * // { kind: "image", type: "image/png" }
 * ```
 */
export function detectFileKind(head: Uint8Array, complete: boolean): FileKind {
  const image = imageType(head);
  if (image) return { kind: "image", type: image };
  return isText(head, complete) ? { kind: "text" } : { kind: "binary" };
}

/** The inline image type `head` starts with, or `null`. */
export function imageType(head: Uint8Array): InlineImageType | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (
    starts(0x47, 0x49, 0x46, 0x38) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61
  ) {
    return "image/gif";
  }
  if (
    starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 &&
    head[11] === 0x50
  ) {
    return "image/webp";
  }
  return null;
}

/**
 * Whether `head` is text: no NUL byte and valid UTF-8, allowing (unless `complete`) an
 * incomplete multi-byte sequence at its end.
 *
 * @example
 * ```ts
 * isText(Uint8Array.of(0x61, 0xc3), false); // true: "a" and the start of "é"
 * isText(Uint8Array.of(0x61, 0xc3), true); // false
 * ```
 */
export function isText(head: Uint8Array, complete: boolean): boolean {
  if (head.includes(0)) return false;
  let end = head.length;
  if (!complete) {
    // Back up over continuation bytes to the last lead byte; drop the sequence if it is short.
    let lead = end - 1;
    while (lead >= 0 && end - lead < 4 && (head[lead] & 0xc0) === 0x80) lead--;
    if (lead >= 0 && head[lead] >= 0xc2 && head[lead] <= 0xf4) {
      const need = head[lead] >= 0xf0 ? 4 : head[lead] >= 0xe0 ? 3 : 2;
      if (end - lead < need) end = lead;
    }
  }
  try {
    fatal.decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/** Extensions of documents a browser would render (and run script in) if shown inline. */
const DOCUMENT_EXTENSIONS = new Set([
  "htm",
  "html",
  "xhtml",
  "xht",
  "shtml",
  "svg",
  "svgz",
  "xml",
  "xsl",
  "xslt",
  "mht",
  "mhtml",
  "pdf",
]);

/** Starts of documents browsers sniff as HTML or XML (WHATWG MIME sniffing), and PDF. */
const DOCUMENT_START =
  /^(?:<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg|math|object|embed)[\s>/]|<!--|<\?xml|%PDF-)/i;

/**
 * Whether a text file is a document a browser could render with script (HTML, SVG, XML,
 * PDF): by its extension or by how it starts (after leading whitespace). Such files are
 * served as attachments even though they are text.
 *
 * @example
 * ```ts
 * isActiveDocument("docs/logo.svg", new TextEncoder().encode("<svg/>")); // true
 * isActiveDocument("notes.txt", new TextEncoder().encode("  <!DOCTYPE html><p>")); // true
 * isActiveDocument("main.go", new TextEncoder().encode("package main")); // false
 * ```
 */
export function isActiveDocument(path: string, head: Uint8Array): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot >= 0 && DOCUMENT_EXTENSIONS.has(name.slice(dot + 1).toLowerCase())) return true;
  const start = new TextDecoder().decode(head.subarray(0, 512)).replace(/^[\s\uFEFF]+/, "");
  return DOCUMENT_START.test(start);
}
