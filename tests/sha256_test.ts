/**
 * The synchronous SHA-256 of request paths and checksum logs agrees with the platform's
 * `crypto.subtle` on every length around the block boundaries and on large inputs, and the
 * constant-time comparison answers like `===`.
 */

import { assertEquals } from "./helpers/assert.ts";
import { sha256, sha256Hex } from "../src/crypto/sha256.ts";
import { constantTimeEqual } from "../src/registry/secrets.ts";

async function subtleHex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

Deno.test("sha256: FIPS 180-4 test vectors", () => {
  assertEquals(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assertEquals(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assertEquals(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assertEquals(
    sha256Hex("a".repeat(1_000_000)),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("sha256 equals crypto.subtle for every length 0..300 and random inputs up to 1 MiB", async () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    assertEquals(sha256(bytes).toHex(), await subtleHex(bytes), `length ${n}`);
  }
  for (const n of [4095, 4096, 65_537, 1 << 20]) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
    assertEquals(sha256(bytes).toHex(), await subtleHex(bytes), `length ${n}`);
  }
});

Deno.test("sha256 of a string hashes its UTF-8 bytes", async () => {
  const text = "modyard ü 日本 🙂";
  assertEquals(sha256Hex(text), await subtleHex(new TextEncoder().encode(text)));
});

Deno.test("constantTimeEqual answers like === (equal, different, prefixes, empty, non-ASCII)", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["a", ""],
    ["", "a"],
    ["token", "token"],
    ["token", "tokem"],
    ["token", "token2"],
    ["token2", "token"],
    ["ü", "u"],
    ["日本", "日本"],
  ];
  for (const [a, b] of cases) assertEquals(constantTimeEqual(a, b), a === b, `${a} vs ${b}`);
});
