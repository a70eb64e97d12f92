/**
 * Reading a JSON request body with a size cap: the body of an account or admin request is
 * a few fields, so anything larger is refused before it is held in memory.
 *
 * @module
 */

import { readBoundedBody } from "./bounded_body.ts";
import { HttpError } from "./http_error.ts";

/** Largest JSON body accepted by the account and admin routes. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * The request's body as a JSON object. 413 when it is larger than `limit` bytes (by
 * `Content-Length`, or counted while reading); 400 when it is not a JSON object.
 */
export async function readJsonObject(
  request: Request,
  limit = MAX_JSON_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const bytes = await readBoundedBody(
    request,
    limit,
    () => new HttpError(413, `the body must be at most ${limit} bytes of JSON`),
  );
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch { /* answered below */ }
  throw new HttpError(400, "the body must be a JSON object");
}
