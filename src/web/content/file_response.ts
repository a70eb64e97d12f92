/**
 * The Response of a module file's raw bytes. Module files are attacker-controlled and served
 * from the registry's own origin, so the type comes from the bytes ({@link detectFileKind}),
 * never from the name alone: text is `text/plain; charset=utf-8`; PNG, JPEG, GIF and WebP
 * (by their magic numbers) are served as themselves; everything else is
 * `application/octet-stream` as an attachment — binaries, and also text that a browser
 * would render as a document (HTML, SVG, XML, PDF: by extension or by how it starts), so
 * not even a browser that ignores `nosniff` renders one. Every answer carries `nosniff`, a sandboxing
 * Content-Security-Policy and `Cross-Origin-Resource-Policy: same-origin`.
 *
 * The file is streamed: only its first {@link SNIFF_BYTES} are held to decide its type.
 * (A file whose start is text is served as text even if invalid UTF-8 follows: as
 * `text/plain` with `nosniff` it is shown, never run.)
 *
 * @module
 */

import { detectFileKind, isActiveDocument, SNIFF_BYTES } from "./file_kind.ts";
import { concatBytes } from "../../bytes/concat_bytes.ts";

export { SNIFF_BYTES };

/** The policy of raw files: nothing loads, nothing runs, a unique origin. */
export const RAW_FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/** A file to answer: its path (for the download name), size and content. */
export interface RawFile {
  /** Module-relative path. */
  path: string;
  /** Size in bytes (the stream's length). */
  size: number;
  /** The content. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * The Response for `file` (status 200); with `head: true` no body (the stream is still read
 * up to {@link SNIFF_BYTES} to decide the type, then cancelled).
 *
 * @example
 * ```ts
 * const file = await streamZipFile(storedZip(kv, record), path);
 * if (file) return await rawFileResponse(file);
 * ```
 */
export async function rawFileResponse(
  file: RawFile,
  options: { head?: boolean } = {},
): Promise<Response> {
  const reader = file.stream.getReader();
  const pieces: Uint8Array[] = [];
  let held = 0;
  let ended = false;
  try {
    while (held < SNIFF_BYTES) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      pieces.push(value);
      held += value.length;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  }
  const start = concatBytes(pieces, held);
  const headers = rawFileHeaders(file.path, start.subarray(0, SNIFF_BYTES), ended);
  headers.set("content-length", String(file.size));
  if (options.head) {
    await reader.cancel().catch(() => {});
    return new Response(null, { headers });
  }
  let sentStart = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentStart) {
        sentStart = true;
        if (start.length > 0) {
          controller.enqueue(start);
          return;
        }
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers });
}

/**
 * The headers of a raw file from its first bytes (`start`; `complete` when that is the
 * whole file): type, disposition, and the safety headers.
 *
 * @example
 * ```ts
 * rawFileHeaders("docs/logo.svg", svgBytes, true).get("content-disposition");
 * // `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`
 * ```
 */
export function rawFileHeaders(path: string, start: Uint8Array, complete: boolean): Headers {
  const headers = new Headers({
    "content-security-policy": RAW_FILE_CSP,
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
  });
  const kind = detectFileKind(start, complete);
  if (kind.kind === "text" && !isActiveDocument(path, start)) {
    headers.set("content-type", "text/plain; charset=utf-8");
  } else if (kind.kind === "image") {
    headers.set("content-type", kind.type);
  } else {
    headers.set("content-type", "application/octet-stream");
    headers.set("content-disposition", attachment(path.slice(path.lastIndexOf("/") + 1)));
  }
  return headers;
}

/**
 * A `Content-Disposition: attachment` value for `name` (RFC 6266): an ASCII `filename`
 * (anything outside printable ASCII, quotes, backslashes, `%` and separators replaced by `_`)
 * and the exact name as `filename*` in UTF-8 percent-encoding.
 *
 * @example
 * ```ts
 * attachment('a"b\\c ü.bin'); // `attachment; filename="a_b_c _.bin"; filename*=UTF-8''a%22b%5Cc%20%C3%BC.bin`
 * ```
 */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;/]/gu, "_") || "download";
  const exact = encodeURIComponent(name).replace(
    /['()*!]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
