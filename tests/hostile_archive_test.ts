// A corpus of hostile archives, one per rule, built byte by byte. Each upload must get 400
// naming its rule (not just some 4xx), leave nothing in the store, and leave the server healthy.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { rawZip, unicodePathExtra } from "./helpers/raw_zip.ts";
import { testSeed } from "./helpers/seed.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const P = "example.com/m@v1.0.0/";
const text = (s: string) => new TextEncoder().encode(s);
const goMod = { name: P + "go.mod", data: text("module example.com/m\n") };

async function keysUnder(server: TestServer, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of server.kv.list({ prefix: [prefix] })) n++;
  return n;
}

Deno.test("the raw archive writer produces archives modyard accepts (control case)", async () => {
  const server = await startTestServer();
  try {
    const zip = await rawZip([goMod, { name: P + "a.go", data: text("package a\n"), method: 8 }]);
    const res = await server.upload("alice", zip, await server.user("alice"));
    assertEquals(res.status, 201, await res.clone().text());
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

const zeros = new Uint8Array(8 * 1024 * 1024);
const corpus: [string, () => Promise<Uint8Array>, string][] = [
  [
    "a directory entry",
    () => rawZip([goMod, { name: P + "sub/" }]),
    "directory entries are not allowed",
  ],
  [
    "data before the archive",
    () => rawZip([goMod], { prefix: text("#!/bin/sh\nexit 0\n") }),
    "data before the archive",
  ],
  [
    "data after the archive",
    () => rawZip([goMod], { suffix: text("trailing garbage") }),
    "data after the archive",
  ],
  [
    "a local header name that disagrees with the central directory",
    () =>
      rawZip([goMod, {
        name: P + "b.go",
        data: text("package b\n"),
        local: { name: P + "a/../b.go" },
      }]),
    "local file header disagrees with the central directory",
  ],
  [
    "local header sizes that disagree with the central directory",
    () => rawZip([goMod, { name: P + "b.go", data: text("package b\n"), local: { size: 3 } }]),
    "local file header disagrees with the central directory",
  ],
  [
    "overlapping entries",
    async () => {
      // b.go's central record points into a.go's stored data, where a copy of b's local
      // header and content sits: the same bytes would be read as two files.
      const inner = await rawZip([{ name: P + "b.go", data: text("package b\n") }]);
      const localB = inner.subarray(0, 30 + (P + "b.go").length + 10);
      const prefixLen = 30 + (P + "go.mod").length + goMod.data.length;
      const aHeader = 30 + (P + "a.go").length;
      return await rawZip([
        goMod,
        { name: P + "a.go", data: localB },
        {
          name: P + "b.go",
          data: text("package b\n"),
          noLocal: true,
          central: { offset: prefixLen + aHeader },
        },
      ]);
    },
    "entry overlaps another entry",
  ],
  [
    "an encrypted entry",
    () => rawZip([goMod, { name: P + "a.go", data: text("package a\n"), flags: 0x801 }]),
    "encrypted entries are not allowed",
  ],
  [
    "compression method 12 (bzip2)",
    () => rawZip([goMod, { name: P + "a.go", data: text("package a\n"), method: 12 }]),
    "compression method 12 is not allowed",
  ],
  [
    "a zip bomb whose declared size lies",
    () =>
      rawZip([goMod, {
        name: P + "bomb.bin",
        data: zeros,
        method: 8,
        central: { size: 100 },
        local: { size: 100 },
      }]),
    "bomb.bin: entry inflates to more than its declared size",
  ],
  [
    "content that does not match its CRC-32",
    () =>
      rawZip([goMod, {
        name: P + "a.go",
        data: text("package a\n"),
        central: { crc: 1234 },
        local: { crc: 1234 },
      }]),
    "a.go: CRC-32 does not match the content",
  ],
  [
    "deflate data that does not inflate",
    () =>
      rawZip([goMod, {
        name: P + "a.go",
        data: text("package a\n"),
        method: 8,
        payload: text("\xff\xff\xff\xff not deflate"),
      }]),
    "a.go: cannot read entry",
  ],
  [
    "zip64 records that disagree with the classic ones",
    () => rawZip([goMod, { name: P + "a.go", data: text("package a\n") }], { zip64EntryCount: 7 }),
    "zip64 end of central directory record disagrees",
  ],
  [
    "a raw name a/../b.go hidden behind a Unicode Path extra field saying b.go",
    () =>
      rawZip([goMod, {
        name: P + "a/../b.go",
        data: text("package b\n"),
        central: { extra: unicodePathExtra(P + "a/../b.go", P + "b.go") },
      }]),
    "example.com/m@v1.0.0/a/../b.go: file path is not clean",
  ],
  [
    "a name that is not UTF-8 (CP437 bytes)",
    () =>
      rawZip([goMod, {
        name: new Uint8Array([...text(P), 0x82, 0x2e, 0x67, 0x6f]),
        data: text("package x\n"),
        flags: 0,
      }]),
    "zip entry name is not valid UTF-8",
  ],
  [
    "truncated archive",
    async () => (await rawZip([goMod])).subarray(0, 40),
    "not a valid zip file",
  ],
];

for (const [what, build, reason] of corpus) {
  Deno.test(`hostile archive: ${what} → 400 naming the rule`, async () => {
    const server = await startTestServer();
    try {
      const res = await server.upload("alice", await build(), await server.user("alice"));
      const body = await res.text();
      assertEquals(res.status, 400, body);
      assertIncludes(body, reason);
      for (const prefix of ["blob", "upload", "reclaim", "version"]) {
        assertEquals(await keysUnder(server, prefix), 0, prefix);
      }
      const health = await fetch(`${server.url}/healthz`);
      assertEquals([health.status, await health.text()], [200, "ok\n"]);
    } finally {
      await server.close();
    }
  });
}

Deno.test("random byte strings never produce a 5xx", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const seed = testSeed("MODYARD_FUZZ_SEED"); // fixed default: a failure replays exactly
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
    const valid = await rawZip([goMod, { name: P + "a.go", data: text("package a\n"), method: 8 }]);
    for (let i = 0; i < 200; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = new Uint8Array(next() % 2000);
        for (let k = 0; k < bytes.length; k++) bytes[k] = next() & 0xff;
      } else {
        bytes = valid.slice();
        for (let k = 0; k < 1 + (next() % 8); k++) bytes[next() % bytes.length] = next() & 0xff;
      }
      const res = await server.upload("alice", bytes, auth);
      const body = await res.text();
      if (res.status >= 500) throw new Error(`seed ${seed}, case ${i}: ${res.status} ${body}`);
      if (res.status === 201) {
        await server.kv.delete(["version", "alice", "example.com/m", "v1.0.0"]);
      }
    }
  } finally {
    await server.close();
  }
});
