/**
 * How a module file is answered on the raw route. Module files are attacker-controlled and
 * served from the registry's own origin: only png/jpeg/gif/webp images are shown inline
 * (with `Content-Security-Policy: sandbox`), text is `text/plain`, and everything else —
 * SVG and HTML included — is an attachment.
 *
 * @module
 */

import { RAW_FILE_CSP } from "./security_headers.ts";

const IMAGES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** Bytes of a file's start that decide whether it is text. */
export const TEXT_SNIFF_BYTES = 8192;

/**
 * Whether `bytes` (a file's start) reads as text: no NUL byte, valid UTF-8 (a multi-byte
 * sequence cut at the end is allowed when `cut`).
 *
 * @example
 * ```ts
 * looksLikeText(new TextEncoder().encode("package main\n"), false); // true
 * ```
 */
export function looksLikeText(bytes: Uint8Array, cut: boolean): boolean {
  if (bytes.includes(0)) return false;
  let end = bytes.length;
  if (cut) {
    // Drop an incomplete UTF-8 sequence at the end (at most 3 bytes).
    let i = end - 1;
    while (i >= 0 && end - i <= 3 && (bytes[i] & 0xc0) === 0x80) i--;
    if (i >= 0 && bytes[i] >= 0xc0) {
      const need = bytes[i] >= 0xf0 ? 4 : bytes[i] >= 0xe0 ? 3 : 2;
      if (end - i < need) end = i;
    }
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/**
 * The headers of a raw file: `path` decides images, `start` (the first
 * {@link TEXT_SNIFF_BYTES} bytes) decides text.
 */
export function rawFileHeaders(path: string, start: Uint8Array, cut: boolean): Headers {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const name = path.slice(path.lastIndexOf("/") + 1);
  const h = new Headers({ "content-security-policy": RAW_FILE_CSP });
  if (path.includes(".") && Object.hasOwn(IMAGES, ext)) {
    h.set("content-type", IMAGES[ext]);
  } else if (looksLikeText(start, cut)) {
    h.set("content-type", "text/plain; charset=utf-8");
  } else {
    h.set("content-type", "application/octet-stream");
    h.set(
      "content-disposition",
      `attachment; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, escape)}`,
    );
  }
  return h;
}

function escape(c: string): string {
  return "%" + c.charCodeAt(0).toString(16).toUpperCase();
}
