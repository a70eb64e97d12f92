/**
 * Reading the body of a UI form: `application/x-www-form-urlencoded` only, at most
 * {@link MAX_FORM_BYTES} (counted while reading, whatever `Content-Length` says).
 *
 * @module
 */

import { readBoundedBody } from "../http/bounded_body.ts";
import { HttpError } from "../http/http_error.ts";

/** Largest form body accepted (the largest form is a token label and a password). */
export const MAX_FORM_BYTES = 16 * 1024;

/** The fields of the request's form body; 415 for other types, 413 when too large. */
export async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new HttpError(415, "a form must be sent as application/x-www-form-urlencoded");
  }
  const bytes = await readBoundedBody(
    request,
    MAX_FORM_BYTES,
    () => new HttpError(413, "form too large"),
  );
  return new URLSearchParams(new TextDecoder().decode(bytes));
}
