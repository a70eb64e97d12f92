// Archives with very many entries: the entry count and central directory size are read from
// the end records and refused above the documented limits before any entry is read; an
// archive with tens of thousands of entries is accepted, served byte for byte, and while it
// validates the server keeps answering other requests.
import { Uint8ArrayReader } from "@zip.js/zip.js";
import { createHash } from "node:crypto";
import { MAX_CENTRAL_DIRECTORY_SIZE, MAX_ZIP_ENTRIES } from "../src/gomod/zipcheck.ts";
import { inspectModuleZip } from "../src/registry/inspect_zip.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";

const PREFIX = "example.com/many@v1.0.0/";
const enc = new TextEncoder();

/** What to write into the end records, when it should differ from the real archive. */
interface EndOverrides {
  /** Entry count declared by the zip64 end record (and a saturated classic count). */
  zip64Entries?: number;
  /** Central directory size declared by the classic end record. */
  directorySize?: number;
  /** Leave the central directory out (its declared place holds no records). */
  noDirectory?: boolean;
  /** Zero bytes between the last entry and the central directory. */
  padding?: number;
}

/**
 * A module zip of `n` empty stored files (`d<k>/f<i>.go`), written byte by byte: with zip64
 * end records whenever the count does not fit in 16 bits (as Go's and Info-ZIP's writers do).
 */
function manyEntryZip(n: number, overrides: EndOverrides = {}): Uint8Array {
  const names = Array.from({ length: n }, (_, i) => enc.encode(`${PREFIX}d${i % 97}/f${i}.go`));
  const nameBytes = names.reduce((sum, name) => sum + name.length, 0);
  const padding = overrides.padding ?? 0;
  const buf = new Uint8Array(n * (30 + 46) + 2 * nameBytes + padding + 56 + 20 + 22);
  const v = new DataView(buf.buffer);
  let o = 0;
  const offsets: number[] = [];
  for (const name of names) {
    offsets.push(o);
    v.setUint32(o, 0x04034b50, true);
    v.setUint16(o + 4, 20, true);
    v.setUint16(o + 6, 0x800, true);
    v.setUint16(o + 26, name.length, true);
    buf.set(name, o + 30);
    o += 30 + name.length;
  }
  o += padding;
  const directoryStart = o;
  if (!overrides.noDirectory) {
    names.forEach((name, i) => {
      v.setUint32(o, 0x02014b50, true);
      v.setUint16(o + 4, 0x031e, true);
      v.setUint16(o + 6, 20, true);
      v.setUint16(o + 8, 0x800, true);
      v.setUint16(o + 28, name.length, true);
      v.setUint32(o + 38, (0o100644 << 16) >>> 0, true);
      v.setUint32(o + 42, offsets[i], true);
      buf.set(name, o + 46);
      o += 46 + name.length;
    });
  }
  const directorySize = o - directoryStart;
  const count = overrides.zip64Entries ?? n;
  if (count >= 0xffff) {
    const record = o;
    v.setUint32(o, 0x06064b50, true);
    v.setBigUint64(o + 4, 44n, true);
    v.setUint16(o + 12, 45, true);
    v.setUint16(o + 14, 45, true);
    v.setBigUint64(o + 24, BigInt(count), true);
    v.setBigUint64(o + 32, BigInt(count), true);
    v.setBigUint64(o + 40, BigInt(directorySize), true);
    v.setBigUint64(o + 48, BigInt(directoryStart), true);
    o += 56;
    v.setUint32(o, 0x07064b50, true);
    v.setBigUint64(o + 8, BigInt(record), true);
    v.setUint32(o + 16, 1, true);
    o += 20;
  }
  v.setUint32(o, 0x06054b50, true);
  v.setUint16(o + 8, Math.min(count, 0xffff), true);
  v.setUint16(o + 10, Math.min(count, 0xffff), true);
  v.setUint32(o + 12, overrides.directorySize ?? directorySize, true);
  v.setUint32(o + 16, directoryStart, true);
  o += 22;
  return buf.slice(0, o);
}

/** The go.sum hash of `n` empty files named as manyEntryZip names them (all ASCII). */
function expectedH1(n: number): string {
  const empty = createHash("sha256").digest("hex");
  const names = Array.from({ length: n }, (_, i) => `${PREFIX}d${i % 97}/f${i}.go`).sort();
  const summary = createHash("sha256");
  for (const name of names) summary.update(`${empty}  ${name}\n`);
  return "h1:" + summary.digest("base64");
}

async function refusal(zip: Uint8Array): Promise<{ status: number; text: string; ms: number }> {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const started = performance.now();
    const res = await server.upload("alice", zip, auth);
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  } finally {
    await server.close();
  }
}

const tooMany = `zip file has too many entries (${
  MAX_ZIP_ENTRIES + 1
}; limit is ${MAX_ZIP_ENTRIES})`;

Deno.test(`an archive of ${MAX_ZIP_ENTRIES + 1} entries is refused with 400 naming the count and the limit`, async () => {
  const { status, text, ms } = await refusal(manyEntryZip(MAX_ZIP_ENTRIES + 1));
  assertEquals(status, 400, text);
  assertEquals(text.trim(), tooMany);
  console.log(`refused in ${ms.toFixed(0)} ms`);
});

Deno.test("the count comes from the end records: a declared count above the limit with no central directory is refused for its count", async () => {
  const { status, text } = await refusal(
    manyEntryZip(3, { zip64Entries: MAX_ZIP_ENTRIES + 1, noDirectory: true }),
  );
  assertEquals(status, 400, text);
  assertEquals(text.trim(), tooMany);
});

Deno.test("a zip64 entry count beyond 2^53 is refused for its count, not a crash", async () => {
  const { status, text } = await refusal(manyEntryZip(3, { zip64Entries: 2 ** 60 }));
  assertEquals(status, 400, text);
  assertIncludes(text, "zip file has too many entries");
  assertIncludes(text, `limit is ${MAX_ZIP_ENTRIES}`);
});

Deno.test("a declared central directory above its limit is refused before it is read", async () => {
  const { status, text } = await refusal(
    manyEntryZip(3, {
      directorySize: MAX_CENTRAL_DIRECTORY_SIZE + 1,
      noDirectory: true,
      padding: MAX_CENTRAL_DIRECTORY_SIZE + 1024,
    }),
  );
  assertEquals(status, 400, text);
  assertEquals(
    text.trim(),
    `zip central directory is too large (${
      MAX_CENTRAL_DIRECTORY_SIZE + 1
    } bytes; limit is ${MAX_CENTRAL_DIRECTORY_SIZE})`,
  );
});

Deno.test("a 70,000-entry archive (zip64 end records) is published and served byte for byte; /healthz answers meanwhile", async () => {
  const n = 70_000;
  const zip = manyEntryZip(n);
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    let uploading = true;
    const latencies: number[] = [];
    const probe = (async () => {
      while (uploading) {
        const started = performance.now();
        const res = await fetch(`${server.url}/healthz`);
        await res.body?.cancel();
        latencies.push(performance.now() - started);
        assertEquals(res.status, 200);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const started = performance.now();
    const res = await server.upload("alice", zip, auth);
    const text = await res.text();
    const ms = performance.now() - started;
    uploading = false;
    await probe;
    assertEquals(res.status, 201, text);
    assertEquals(JSON.parse(text).h1, expectedH1(n));
    const max = Math.max(...latencies);
    console.log(
      `${n} entries validated in ${
        ms.toFixed(0)
      } ms; ${latencies.length} /healthz answers, slowest ${max.toFixed(0)} ms`,
    );
    assertOk(latencies.length >= 5, `only ${latencies.length} /healthz answers during the upload`);
    // Loose on purpose (2 shared cores); without pauses the slowest answer took the whole run.
    assertOk(max < 1000, `/healthz took ${max.toFixed(0)} ms during the validation`);
    const download = await fetch(`${server.proxy("alice")}/example.com/many/@v/v1.0.0.zip`);
    assertEquals(download.status, 200);
    assertEquals(new Uint8Array(await download.arrayBuffer()), zip);
  } finally {
    await server.close();
  }
});

Deno.test("validating 70,000 entries from memory (no I/O to wait on) still lets timers run", async () => {
  const n = 70_000;
  const zip = manyEntryZip(n);
  let last = performance.now(), slowest = 0, ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    slowest = Math.max(slowest, now - last);
    last = now;
    ticks++;
  }, 10);
  try {
    const started = performance.now();
    const inspection = await inspectModuleZip(new Uint8ArrayReader(zip));
    const ms = performance.now() - started;
    slowest = Math.max(slowest, performance.now() - last);
    assertEquals(inspection.h1, expectedH1(n));
    console.log(
      `${n} entries in ${ms.toFixed(0)} ms; ${ticks} timer turns, longest wait ${
        slowest.toFixed(0)
      } ms`,
    );
    // Without the pauses the timer never runs until the end (one wait as long as the run).
    assertOk(slowest < 1000, `the event loop was held for ${slowest.toFixed(0)} ms`);
  } finally {
    clearInterval(timer);
  }
});
