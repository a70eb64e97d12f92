/**
 * Joining byte arrays read in pieces.
 *
 * @module
 */

/**
 * The bytes of `parts` one after another. `length` is their total byte length when the caller
 * has counted it already. A single part is returned as it is (not copied).
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes<T extends ArrayBufferLike>(
  parts: readonly Uint8Array<T>[],
  length: number = parts.reduce((n, p) => n + p.byteLength, 0),
): Uint8Array<T> | Uint8Array<ArrayBuffer> {
  if (parts.length === 1 && parts[0].byteLength === length) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
