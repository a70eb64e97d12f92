// The scan that digests entries while an upload is received (src/registry/zip_prescan.ts)
// may only save work: every archive gets the same verdict, hash and reason with it as
// without it, and with it validation reads no entry data back from the store.
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { ZipRuleError } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { ZipPrescan } from "../src/registry/zip_prescan.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { rawZip } from "./helpers/raw_zip.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";
import { buildZip, randomBytes } from "./helpers/zip.ts";

const P = "example.com/m@v1.0.0/";
const text = (s: string) => new TextEncoder().encode(s);

/** A reader over bytes that counts how many it hands out. */
class CountingReader extends Uint8ArrayReader {
  read = 0;
  override async readUint8Array(offset: number, length: number): Promise<Uint8Array> {
    const bytes = await super.readUint8Array(offset, length);
    this.read += bytes.length;
    return bytes;
  }
}

/** Scans `zip` as an upload would deliver it, in pieces of `piece` bytes. */
async function scanned(zip: Uint8Array, piece = 65_536): Promise<ZipPrescan> {
  const scan = new ZipPrescan();
  for (let at = 0; at < zip.length; at += piece) await scan.write(zip.subarray(at, at + piece));
  await scan.close();
  return scan;
}

type Outcome = { h1: string } | { refused: string };

async function outcome(zip: Uint8Array, scan?: ZipPrescan): Promise<Outcome> {
  try {
    const inspection = await inspectModuleZip(new Uint8ArrayReader(zip), {
      scanned: scan && ((offset) => scan.lookup(offset)),
    });
    return { h1: inspection.h1 };
  } catch (err) {
    if (err instanceof ZipRuleError) return { refused: err.message };
    throw err;
  }
}

const goMod = text("module example.com/m\n\ngo 1.21\n");
const archives: [string, () => Promise<Uint8Array>][] = [
  ["zip.js (deflate with data descriptors)", () =>
    buildZip({
      [P + "go.mod"]: goMod,
      [P + "a.go"]: "package a\n".repeat(500),
      [P + "random.bin"]: randomBytes(3 * 1024 * 1024 + 17),
      [P + "empty.txt"]: "",
    })],
  ["raw: stored and deflate with sizes in the local headers", () =>
    rawZip([
      { name: P + "go.mod", data: goMod },
      { name: P + "a.go", data: text("package a\n".repeat(300)), method: 8 },
      { name: P + "b.bin", data: randomBytes(200_000), method: 0 },
      { name: P + "c.bin", data: randomBytes(1_500_000), method: 8 },
    ])],
];

for (const [what, build] of archives) {
  Deno.test(`scan: ${what}: every entry digested while received, same h1, no entry data read back`, async () => {
    const zip = await build();
    for (const piece of [1, 7, 65_536, zip.length]) {
      if (piece === 1 && zip.length > 100_000) continue;
      const scan = await scanned(zip, piece);
      const plain = await outcome(zip);
      assertOk("h1" in plain, JSON.stringify(plain));
      assertEquals(await outcome(zip, scan), plain, `pieces of ${piece} bytes`);
      assertEquals(scan.size, 4, `entries scanned in pieces of ${piece} bytes`);
    }
    const scan = await scanned(zip);
    const reader = new CountingReader(zip);
    await inspectModuleZip(reader, { scanned: (offset) => scan.lookup(offset) });
    const without = new CountingReader(zip);
    await inspectModuleZip(without);
    console.log(
      `bytes read: ${reader.read} with the scan, ${without.read} without (zip ${zip.length})`,
    );
    assertOk(
      without.read > zip.length * 0.9,
      `without the scan only ${without.read} bytes were read`,
    );
    // The go.mod (kept for its text), the headers, the central directory and the two
    // searches for the end record (up to 64 KiB each) are still read.
    assertOk(reader.read < 256 * 1024, `with the scan ${reader.read} bytes were read`);
  });
}

Deno.test("scan: seeded mutants of valid archives get the same verdict and reason with the scan as without", async () => {
  const seed = testSeed("MODYARD_SCAN_SEED");
  const random = seededRandom(seed);
  const bases = await Promise.all(archives.map(([, build]) => build()));
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const base = bases[i % bases.length];
    const zip = base.slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let f = 0; f < flips; f++) {
      // Most flips land in headers and descriptors, where the scan makes its decisions.
      const at = random() < 0.5
        ? Math.floor(random() * Math.min(zip.length, 400))
        : Math.floor(random() * zip.length);
      zip[at] ^= 1 << Math.floor(random() * 8);
    }
    const scan = await scanned(zip, 1 + Math.floor(random() * 100_000));
    const expected = await outcome(zip);
    if ("refused" in expected) refused++;
    assertEquals(await outcome(zip, scan), expected, `seed ${seed}, mutant ${i}`);
  }
  console.log(`seed ${seed}: 300 mutants, ${refused} refused, all alike with and without the scan`);
});

/**
 * A zip whose second entry has a data descriptor (sizes unknown to the local header) and
 * whose stored data is a deflate stream followed by `junk`: the central directory and the
 * descriptor count the junk in the stored size, so the scan sees the stream end early.
 */
async function descriptorZipWithJunk(content: Uint8Array, junk: Uint8Array): Promise<Uint8Array> {
  const deflated = new Uint8Array(
    await new Response(
      new Blob([content as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
        new CompressionStream("deflate-raw"),
      ),
    ).arrayBuffer(),
  );
  const { crc32 } = await import("./helpers/raw_zip.ts");
  const crc = crc32(content);
  const stored = deflated.length + junk.length;
  const modName = text(P + "go.mod"), binName = text(P + "big.bin");
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const bytes = (b: Uint8Array) => out.push(...b);
  const local = (
    name: Uint8Array,
    flags: number,
    method: number,
    c: number,
    cs: number,
    s: number,
  ) => {
    u32(0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0x21);
    u32(c), u32(cs), u32(s), u16(name.length), u16(0), bytes(name);
  };
  local(modName, 0x800, 0, crc32(goMod), goMod.length, goMod.length);
  bytes(goMod);
  const second = out.length;
  local(binName, 0x808, 8, 0, 0, 0);
  for (let i = 0; i < deflated.length; i += 65536) bytes(deflated.subarray(i, i + 65536));
  bytes(junk);
  u32(0x08074b50), u32(crc), u32(stored), u32(content.length);
  const directory = out.length;
  const central = (
    name: Uint8Array,
    flags: number,
    method: number,
    c: number,
    cs: number,
    s: number,
    at: number,
  ) => {
    u32(0x02014b50), u16(0x031e), u16(20), u16(flags), u16(method), u16(0), u16(0x21);
    u32(c), u32(cs), u32(s), u16(name.length), u16(0), u16(0), u16(0), u16(0);
    u32((0o100644 << 16) >>> 0), u32(at), bytes(name);
  };
  central(modName, 0x800, 0, crc32(goMod), goMod.length, goMod.length, 0);
  central(binName, 0x808, 8, crc, stored, content.length, second);
  const size = out.length - directory;
  u32(0x06054b50), u16(0), u16(0), u16(2), u16(2), u32(size), u32(directory), u16(0);
  return new Uint8Array(out);
}

Deno.test("scan: content that fails its checks is never taken from the scan", async () => {
  const cases: [string, Uint8Array][] = [
    [
      "bad CRC",
      await rawZip([{ name: P + "go.mod", data: goMod }, {
        name: P + "a.go",
        data: text("package a\n"),
        method: 8,
        central: { crc: 1234 },
        local: { crc: 1234 },
      }]),
    ],
    [
      "bomb",
      await rawZip([{ name: P + "go.mod", data: goMod }, {
        name: P + "z.bin",
        data: new Uint8Array(1 << 20),
        method: 8,
        central: { size: 100 },
        local: { size: 100 },
      }]),
    ],
    [
      "junk after the deflate data",
      await rawZip([{ name: P + "go.mod", data: goMod }, {
        name: P + "a.go",
        data: text("package a\n"),
        method: 8,
        payload: new Uint8Array([
          ...new Uint8Array(
            await new Response(
              new Blob([text("package a\n")]).stream().pipeThrough(
                new CompressionStream("deflate-raw"),
              ),
            ).arrayBuffer(),
          ),
          1,
          2,
          3,
        ]),
      }]),
    ],
    [
      "junk after a large deflate stream, counted in the stored size by the local header",
      await (async () => {
        const content = randomBytes(2 * 1024 * 1024);
        const deflated = new Uint8Array(
          await new Response(
            new Blob([content as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
              new CompressionStream("deflate-raw"),
            ),
          ).arrayBuffer(),
        );
        return rawZip([{ name: P + "go.mod", data: goMod }, {
          name: P + "big.bin",
          data: content,
          method: 8,
          payload: new Uint8Array([...deflated, ...text("junk")]),
        }]);
      })(),
    ],
    [
      "junk after a large deflate stream, counted in the stored size by the descriptor",
      await descriptorZipWithJunk(randomBytes(2 * 1024 * 1024), text("junk")),
    ],
  ];
  for (const [what, zip] of cases) {
    const scan = await scanned(zip);
    assertEquals(await outcome(zip, scan), await outcome(zip), what);
  }
});
