/**
 * Reading a small request body whole, with a byte limit counted while reading (whatever
 * `Content-Length` claims), so an oversized body is refused before it is held in memory.
 *
 * @module
 */

import { concatBytes } from "../bytes/concat_bytes.ts";

/**
 * The request's body bytes; throws `tooLarge()` when `Content-Length` or the bytes read
 * exceed `limit`. A request without a body gives no bytes.
 *
 * @example
 * ```ts
 * const bytes = await readBoundedBody(request, 1024, () => new Error("too large"));
 * ```
 */
export async function readBoundedBody(
  request: Request,
  limit: number,
  tooLarge: () => Error,
): Promise<Uint8Array<ArrayBuffer>> {
  if (Number(request.headers.get("content-length") ?? "0") > limit) throw tooLarge();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > limit) throw tooLarge();
      parts.push(chunk);
    }
  }
  return concatBytes(parts, size);
}
