/**
 * A JSON encoding of Deno KV keys and values that keeps their types, for the NDJSON of an
 * export: `Uint8Array`, `Deno.KvU64`, bigint, `Date`, `undefined` and non-finite numbers
 * become one-key tagged objects (`{"$u8": base64}`, `{"$u64": "7"}`, …), and a plain object
 * whose keys could be read as such a tag is wrapped (`{"$obj": {...}}`). Other types (Map,
 * Set, RegExp, …) are refused with a `TypeError` rather than exported wrongly.
 *
 * @module
 */

const TAGS = ["$u8", "$u64", "$big", "$date", "$undef", "$num", "$obj"];

/**
 * Encodes a KV key part or value into plain JSON data.
 *
 * @example
 * ```ts
 * encodeKvValue(new Deno.KvU64(7n)); // { $u64: "7" }
 * ```
 */
export function encodeKvValue(value: unknown): unknown {
  if (value === undefined) return { $undef: 1 };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    return Number.isFinite(value) && !Object.is(value, -0) ? value : { $num: String(value) };
  }
  if (typeof value === "bigint") return { $big: value.toString() };
  if (value instanceof Uint8Array) return { $u8: value.toBase64() };
  if (value instanceof Deno.KvU64) return { $u64: value.value.toString() };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeKvValue);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = encodeKvValue(v);
    }
    const names = Object.keys(out);
    return names.length === 1 && TAGS.includes(names[0]) ? { $obj: out } : out;
  }
  throw new TypeError(
    `Cannot export a value of type ${proto?.constructor?.name ?? typeof value}`,
  );
}

/**
 * Decodes what {@link encodeKvValue} produced.
 *
 * @example
 * ```ts
 * decodeKvValue({ $big: "12" }); // 12n
 * ```
 */
export function decodeKvValue(data: unknown): unknown {
  if (data === null || typeof data !== "object") return data;
  if (Array.isArray(data)) return data.map(decodeKvValue);
  const obj = data as Record<string, unknown>;
  const names = Object.keys(obj);
  if (names.length === 1 && TAGS.includes(names[0])) {
    const v = obj[names[0]];
    switch (names[0]) {
      case "$u8":
        return Uint8Array.fromBase64(String(v));
      case "$u64":
        return new Deno.KvU64(BigInt(String(v)));
      case "$big":
        return BigInt(String(v));
      case "$date":
        return new Date(String(v));
      case "$undef":
        return undefined;
      case "$num":
        return Number(String(v));
      case "$obj": {
        const inner = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(inner)) out[k] = decodeKvValue(x);
        return out;
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeKvValue(v);
  return out;
}
