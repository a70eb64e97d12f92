import { assertEquals } from "./helpers/assert.ts";
import { concatBytes } from "../src/bytes/concat_bytes.ts";

Deno.test("pieces read one by one join into their bytes in order, whatever their sizes", () => {
  const whole = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  const cuts = [0, 0, 1, 7, 256, 300, 999, 1000];
  const parts = cuts.slice(1).map((end, i) => whole.slice(cuts[i], end));
  assertEquals(concatBytes(parts), whole);
  assertEquals(concatBytes(parts, 1000), whole);
  assertEquals(concatBytes([]), new Uint8Array(0));
});

Deno.test("a single piece is its own whole (no copy)", () => {
  const only = new Uint8Array([1, 2, 3]);
  assertEquals(concatBytes([only]) === only, true);
  assertEquals(concatBytes([only.subarray(0, 2)], 2), new Uint8Array([1, 2]));
});
