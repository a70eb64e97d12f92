/**
 * An independent h1 (x/mod dirhash Hash1) for tests, written from the definition with
 * `crypto.subtle`, sharing no code with src/gomod/dirhash.ts: a test that compares the
 * server's hashes with these catches a broken implementation instead of repeating it.
 *
 * @module
 */

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

/**
 * Hash1 of named files: sort the names (bytewise, as Go's sort.Strings), one line
 * `hex(sha256(data))  name\n` each, then `h1:` + base64 of the SHA-256 of those lines.
 *
 * @example
 * ```ts
 * await hash1Of([]); // "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
 * ```
 */
export async function hash1Of(
  files: { name: string; data: Uint8Array | string }[],
): Promise<string> {
  const sorted = files
    .map((f) => ({
      name: encoder.encode(f.name),
      data: typeof f.data === "string" ? encoder.encode(f.data) : f.data,
    }))
    .sort((a, b) => compareBytes(a.name, b.name));
  let summary = "";
  for (const f of sorted) {
    const name = new TextDecoder().decode(f.name);
    if (name.includes("\n")) {
      throw new RangeError(`File name ${JSON.stringify(name)} has a newline`);
    }
    summary += `${(await sha256(f.data)).toHex()}  ${name}\n`;
  }
  return "h1:" + (await sha256(encoder.encode(summary))).toBase64();
}

/**
 * The go.sum `/go.mod` hash: Hash1 of the single file `go.mod`.
 *
 * @example
 * ```ts
 * await goModHash1Of("module example.com/m\n");
 * ```
 */
export function goModHash1Of(goMod: Uint8Array | string): Promise<string> {
  return hash1Of([{ name: "go.mod", data: goMod }]);
}

/**
 * SHA-256 of bytes in lowercase hex.
 *
 * @example
 * ```ts
 * await sha256Hex(new Uint8Array()); // "e3b0c442…b855"
 * ```
 */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return (await sha256(data)).toHex();
}
