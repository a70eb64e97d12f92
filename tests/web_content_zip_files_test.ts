import { BlobWriter, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { filesFromDir } from "../src/cli/module_source.ts";
import { treeListing } from "../src/web/content/file_tree.ts";
import {
  listZipFiles,
  readZipFile,
  storedZip,
  StoredZipError,
  streamZipFile,
  type ZipSource,
} from "../src/web/content/zip_files.ts";
import { bytesRange } from "../src/web/content/zip_range_reader.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";
import { openContentStore } from "./helpers/web_content_store.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const TAIL = `${GOCODE}/github.com/nxadm/tail`;

/** A source that counts the bytes read from the store. */
function counting(source: ZipSource): ZipSource & { bytesRead: () => number } {
  let n = 0;
  return {
    ...source,
    read: async (offset, length) => {
      const out = await source.read(offset, length);
      n += out.length;
      return out;
    },
    bytesRead: () => n,
  };
}

Deno.test({
  name: "zip files: a Debian module's files, sizes and contents read back from the store",
  ignore: !goPrerequisites(["github.com/nxadm/tail"]),
  async fn() {
    const store = await openContentStore();
    try {
      const record = await store.publishDir(TAIL, "github.com/nxadm/tail", "v1.4.8");
      const source = storedZip(store.kv, record);
      const files = await listZipFiles(source);
      const selection = (await filesFromDir(TAIL)).selection;
      const want = [];
      for (const f of selection.valid) {
        want.push({ path: f.path, size: (await Deno.stat(`${TAIL}/${f.path}`)).size });
      }
      want.sort((a, b) => a.path < b.path ? -1 : 1);
      assertEquals(files, want);
      assertOk(files.some((f) => f.path === "watch/watch.go"), "subdirectory files listed");
      for (const f of files) {
        const disk = await Deno.readFile(`${TAIL}/${f.path}`);
        const read = await readZipFile(source, f.path, 1 << 20);
        assertEquals(read, { path: f.path, bytes: disk, size: disk.length, truncated: false });
      }
      const head = await readZipFile(source, "tail.go", 100);
      const disk = await Deno.readFile(`${TAIL}/tail.go`);
      assertEquals(head, {
        path: "tail.go",
        bytes: disk.subarray(0, 100),
        size: disk.length,
        truncated: true,
      });
      const streamed = await streamZipFile(source, "tail_test.go");
      assertEquals(streamed?.size, (await Deno.stat(`${TAIL}/tail_test.go`)).size);
      assertEquals(
        new Uint8Array(await new Response(streamed!.stream).arrayBuffer()),
        await Deno.readFile(`${TAIL}/tail_test.go`),
      );
      assertEquals(await readZipFile(source, "nope.go", 10), null);
      assertEquals(await streamZipFile(source, "watch"), null, "a directory is not a file");
      assertEquals(await readZipFile(source, "../tail.go", 10), null);
    } finally {
      store.close();
    }
  },
});

Deno.test("zip files: entries spanning many store chunks, stored and deflated, read exactly", async () => {
  const store = await openContentStore();
  try {
    const noise = randomBytes(300_000); // incompressible: spans five 64,000-byte chunks
    const text = new TextEncoder().encode("line of text\n".repeat(40_000)); // 520,000 bytes
    const record = await store.publishFiles("example.com/big", "v1.0.0", {
      "go.mod": "module example.com/big\n",
      "a/noise.bin": noise,
      "b/text.txt": text,
      "empty.txt": "",
    });
    assertOk(record.chunks >= 5, `zip of ${record.size} bytes in ${record.chunks} chunks`);
    const source = storedZip(store.kv, record);
    assertEquals(await listZipFiles(source), [
      { path: "a/noise.bin", size: 300_000 },
      { path: "b/text.txt", size: 520_000 },
      { path: "empty.txt", size: 0 },
      { path: "go.mod", size: 23 },
    ]);
    assertEquals((await readZipFile(source, "a/noise.bin", 1e9))?.bytes, noise);
    assertEquals((await readZipFile(source, "b/text.txt", 1e9))?.bytes, text);
    const cut = await readZipFile(source, "a/noise.bin", 70_001);
    assertEquals(cut, {
      path: "a/noise.bin",
      bytes: noise.subarray(0, 70_001),
      size: 300_000,
      truncated: true,
    });
    assertEquals(await readZipFile(source, "empty.txt", 10), {
      path: "empty.txt",
      bytes: new Uint8Array(0),
      size: 0,
      truncated: false,
    });
    const whole = await streamZipFile(source, "b/text.txt");
    assertEquals(new Uint8Array(await new Response(whole!.stream).arrayBuffer()), text);
  } finally {
    store.close();
  }
});

Deno.test("zip files: reading the start of a large file reads a bounded part of the zip", async () => {
  const store = await openContentStore();
  try {
    const big = new TextEncoder().encode("0123456789abcdef".repeat(1 << 20)); // 16 MiB, compresses well
    const noise = randomBytes(2_000_000);
    const record = await store.publishFiles("example.com/huge", "v1.0.0", {
      "go.mod": "module example.com/huge\n",
      "big.txt": big,
      "noise.bin": noise,
    });
    const source = counting(storedZip(store.kv, record));
    const first = await readZipFile(source, "noise.bin", 1000);
    assertEquals(first?.bytes, noise.subarray(0, 1000));
    assertOk(
      source.bytesRead() < 400_000,
      `read ${source.bytesRead()} bytes of a ${record.size}-byte zip`,
    );
    const before = source.bytesRead();
    const head = await readZipFile(source, "big.txt", 4096);
    assertEquals(head?.bytes, big.subarray(0, 4096));
    assertEquals(head?.size, 16 << 20);
    assertOk(
      source.bytesRead() - before < 300_000,
      `read ${source.bytesRead() - before} for 4 KiB`,
    );
    const again = source.bytesRead();
    await listZipFiles(source);
    assertEquals(source.bytesRead(), again, "the directory comes from the cache");
  } finally {
    store.close();
  }
});

Deno.test("zip files: a zip64 archive is listed and read", async () => {
  const writer = new ZipWriter(new BlobWriter("application/zip"), { useWebWorkers: false });
  const content = new TextEncoder().encode("package z\n");
  await writer.add(
    "example.com/z@v1.0.0/go.mod",
    new Uint8ArrayReader(new TextEncoder().encode("module example.com/z\n")),
    { zip64: true },
  );
  await writer.add("example.com/z@v1.0.0/z.go", new Uint8ArrayReader(content), { zip64: true });
  const zip = new Uint8Array(await (await writer.close(undefined, { zip64: true })).arrayBuffer());
  const source: ZipSource = {
    key: "zip64-test",
    size: zip.length,
    prefix: "example.com/z@v1.0.0/",
    read: bytesRange(zip),
  };
  assertEquals(await listZipFiles(source), [{ path: "go.mod", size: 21 }, {
    path: "z.go",
    size: 10,
  }]);
  assertEquals((await readZipFile(source, "z.go", 100))?.bytes, content);
});

Deno.test("zip files: bytes that are not the stored archive are refused with StoredZipError", async () => {
  const garbage = randomBytes(5000);
  const source: ZipSource = {
    key: "garbage-test",
    size: garbage.length,
    prefix: "x@v1.0.0/",
    read: bytesRange(garbage),
  };
  let caught: unknown;
  try {
    await listZipFiles(source);
  } catch (err) {
    caught = err;
  }
  assertOk(caught instanceof StoredZipError, String(caught));
});

Deno.test("file tree: one directory level with subdirectory totals", () => {
  const files = [
    { path: "LICENSE", size: 1000 },
    { path: "go.mod", size: 30 },
    { path: "internal/a/a.go", size: 10 },
    { path: "internal/b.go", size: 5 },
    { path: "watch/watch.go", size: 7 },
  ];
  assertEquals(treeListing(files, ""), {
    path: "",
    directories: [
      { name: "internal", path: "internal", size: 15, files: 2 },
      { name: "watch", path: "watch", size: 7, files: 1 },
    ],
    files: [
      { name: "LICENSE", path: "LICENSE", size: 1000 },
      { name: "go.mod", path: "go.mod", size: 30 },
    ],
  });
  assertEquals(treeListing(files, "internal/"), {
    path: "internal",
    directories: [{ name: "a", path: "internal/a", size: 10, files: 1 }],
    files: [{ name: "b.go", path: "internal/b.go", size: 5 }],
  });
  assertEquals(treeListing(files, "inter"), null, "a name prefix is not a directory");
  assertEquals(treeListing(files, "nowhere"), null);
});

Deno.test("zip files: an entry inflating past its declared size stops at that size", async () => {
  const zip = await moduleZip("example.com/bomb", "v1.0.0", { "a.txt": "a".repeat(100_000) });
  // Declare 10 bytes in the central directory (the one record the reader goes by).
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let at = zip.length - 22;
  at = view.getUint32(at + 16, true);
  assertEquals(view.getUint32(at, true), 0x02014b50);
  view.setUint32(at + 24, 10, true);
  const source: ZipSource = {
    key: "bomb-test",
    size: zip.length,
    prefix: "example.com/bomb@v1.0.0/",
    read: bytesRange(zip),
  };
  assertEquals(await listZipFiles(source), [{ path: "a.txt", size: 10 }]);
  assertEquals(
    (await readZipFile(source, "a.txt", 1e9))?.bytes,
    new TextEncoder().encode("a".repeat(10)),
  );
  const whole = await streamZipFile(source, "a.txt");
  assertEquals(new Uint8Array(await new Response(whole!.stream).arrayBuffer()).length, 10);
});

Deno.test("zip files: a zip whose chunks are gone (a reclaimed version) is a StoredZipError", async () => {
  const store = await openContentStore();
  try {
    const record = await store.publishFiles("example.com/gone", "v1.0.0", {
      "go.mod": "module example.com/gone\n",
      "a.go": "package a\n",
    });
    const { deleteBlob } = await import("../src/store/blob_store.ts");
    await deleteBlob(store.kv, record.blobId);
    let caught: unknown;
    try {
      await listZipFiles(storedZip(store.kv, { ...record, blobId: record.blobId }));
    } catch (err) {
      caught = err;
    }
    assertOk(caught instanceof StoredZipError, String(caught));
  } finally {
    store.close();
  }
});
