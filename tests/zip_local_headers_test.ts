// Local headers, data descriptors, data bounds and zip64 local sizes: checked on compact
// records (src/registry/local_headers.ts) with zip.js's strict reasons. Each hostile case
// must be refused naming its rule; the well-formed variants must be accepted with the h1
// x/mod gives the same files.
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { ZipRuleError } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { assertEquals } from "./helpers/assert.ts";
import { rawZip } from "./helpers/raw_zip.ts";
import { buildZip } from "./helpers/zip.ts";

const P = "example.com/m@v1.0.0/";
const text = (s: string) => new TextEncoder().encode(s);
const goMod = { name: P + "go.mod", data: text("module example.com/m\n") };
const aGo = text("package a\n");

async function verdict(zip: Uint8Array): Promise<string> {
  try {
    return (await inspectModuleZip(new Uint8ArrayReader(zip))).h1;
  } catch (err) {
    if (err instanceof ZipRuleError) return err.message;
    throw err;
  }
}

/** A zip64 extra field (tag 1) holding the uncompressed and compressed sizes. */
function zip64Sizes(size: number, csize: number): Uint8Array {
  const field = new Uint8Array(20);
  const view = new DataView(field.buffer);
  view.setUint16(0, 1, true);
  view.setUint16(2, 16, true);
  view.setBigUint64(4, BigInt(size), true);
  view.setBigUint64(12, BigInt(csize), true);
  return field;
}

/** Replaces the local header of the entry named `name` by one with a zip64 size field. */
function withZip64LocalSizes(zip: Uint8Array, name: string, size: number): Uint8Array {
  const raw = text(name);
  for (let i = 0; i + 30 < zip.length; i++) {
    const v = new DataView(zip.buffer, zip.byteOffset + i);
    if (v.getUint32(0, true) !== 0x04034b50 || v.getUint16(26, true) !== raw.length) continue;
    if (!raw.every((b, k) => zip[i + 30 + k] === b) || v.getUint16(28, true) !== 0) continue;
    const extra = zip64Sizes(size, size);
    const header = zip.slice(i, i + 30 + raw.length);
    const hv = new DataView(header.buffer);
    hv.setUint32(18, 0xffffffff, true);
    hv.setUint32(22, 0xffffffff, true);
    hv.setUint16(28, extra.length, true);
    const out = new Uint8Array(zip.length + extra.length);
    out.set(zip.subarray(0, i));
    out.set(header, i);
    out.set(extra, i + header.length);
    out.set(zip.subarray(i + header.length), i + header.length + extra.length);
    // Shift the offsets after the insertion: central records and the end record.
    const ov = new DataView(out.buffer);
    for (let k = 0; k + 46 < out.length; k++) {
      if (ov.getUint32(k, true) === 0x02014b50 && ov.getUint32(k + 42, true) > i) {
        ov.setUint32(k + 42, ov.getUint32(k + 42, true) + extra.length, true);
      }
    }
    const end = out.length - 22;
    ov.setUint32(end + 16, ov.getUint32(end + 16, true) + extra.length, true);
    return out;
  }
  throw new Error(`no local header for ${name}`);
}

/** Flips one bit of the CRC-32 in the data descriptor that follows the entry `name`. */
function corruptDescriptor(zip: Uint8Array, name: string): Uint8Array {
  const out = zip.slice();
  const raw = text(name);
  let seen = false;
  for (let i = 0; i + 16 < out.length; i++) {
    const v = new DataView(out.buffer, i);
    if (
      !seen && v.getUint32(0, true) === 0x04034b50 && raw.every((b, k) => out[i + 30 + k] === b)
    ) {
      seen = true;
    } else if (seen && v.getUint32(0, true) === 0x08074b50) {
      out[i + 4] ^= 1;
      return out;
    }
  }
  throw new Error(`no data descriptor after ${name}`);
}

const cases: [string, () => Promise<Uint8Array>, string][] = [
  [
    "a local compression method that disagrees",
    () => rawZip([goMod, { name: P + "a.go", data: aGo, local: { method: 8 } }]),
    `${P}a.go: local file header disagrees with the central directory (compression method)`,
  ],
  [
    "local flags that disagree (UTF-8 name flag only in the central directory)",
    () => rawZip([goMod, { name: P + "a.go", data: aGo, local: { flags: 0 } }]),
    `${P}a.go: local file header disagrees with the central directory (general purpose bit flag)`,
  ],
  [
    "data that runs into the central directory",
    () =>
      rawZip([goMod, {
        name: P + "a.go",
        data: aGo,
        central: { csize: 5000, size: 5000 },
        local: { csize: 5000, size: 5000 },
      }]),
    `${P}a.go: cannot read entry: Entry data out of bounds`,
  ],
  [
    "a data descriptor whose CRC-32 disagrees with the central directory",
    async () =>
      corruptDescriptor(
        await buildZip({ [P + "go.mod"]: "module example.com/m\n", [P + "a.go"]: "package a\n" }),
        P + "a.go",
      ),
    `${P}a.go: local file header disagrees with the central directory (crc32 or sizes)`,
  ],
];

for (const [what, build, reason] of cases) {
  Deno.test(`local headers: ${what} is refused naming the rule`, async () => {
    assertEquals(await verdict(await build()), reason);
  });
}

Deno.test("local headers: data descriptors (zip.js, Go) and zip64 local sizes are accepted with the same h1", async () => {
  const files = { [P + "go.mod"]: "module example.com/m\n", [P + "a.go"]: "package a\n" };
  const plain = await verdict(
    await rawZip([goMod, { name: P + "a.go", data: aGo }]),
  );
  assertEquals(plain.startsWith("h1:"), true, plain);
  assertEquals(await verdict(await buildZip(files)), plain);
  const zip64 = withZip64LocalSizes(
    await rawZip([goMod, { name: P + "a.go", data: aGo }]),
    P + "a.go",
    aGo.length,
  );
  assertEquals(await verdict(zip64), plain);
});
