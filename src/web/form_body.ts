/**
 * Reading the body of a UI form: `application/x-www-form-urlencoded` only, at most
 * {@link MAX_FORM_BYTES} (counted while reading, whatever `Content-Length` says).
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

/** Largest form body accepted (the largest form is a token label and a password). */
export const MAX_FORM_BYTES = 16 * 1024;

/** The fields of the request's form body; 415 for other types, 413 when too large. */
export async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new HttpError(415, "a form must be sent as application/x-www-form-urlencoded");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw new HttpError(413, "form too large");
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > MAX_FORM_BYTES) throw new HttpError(413, "form too large");
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new URLSearchParams(new TextDecoder().decode(bytes));
}
