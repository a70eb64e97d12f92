// The hot-zip cache (src/registry/zip_cache.ts): it never holds more than its byte budget, a
// cached zip is byte-for-byte the upload, a deleted version answers 410 within the one-second
// staleness bound even while its zip is hot (in one process, and when a second server on the
// same KV file deletes it), and a cache of size 0 still serves.
import { ZipCache } from "../src/registry/zip_cache.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { get, startAppServer } from "./helpers/app_server.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";
import { basic, runCli, spawnServer } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const MOD = "example.com/hot";

/** A filler that copies `source` in two steps (a fill in progress, then complete). */
function fillFrom(source: Uint8Array) {
  return async (target: Uint8Array, progress: (n: number) => void) => {
    const half = Math.floor(source.length / 2);
    target.set(source.subarray(0, half));
    progress(half);
    await new Promise((r) => setTimeout(r, 0));
    target.set(source.subarray(half), half);
    progress(source.length);
  };
}

/** Reads a stream to its end, copying each piece when it arrives (as a socket write would). */
async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream) pieces.push(piece.slice());
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("ZipCache: entries up to a quarter of the budget are cached, larger ones are not", async () => {
  const budget = 4 * 1024 * 1024;
  const cache = new ZipCache(budget);
  const overhead = 256; // per-entry bookkeeping charged by the cache
  const fits = randomBytes(budget / 4 - overhead);
  const tooBig = randomBytes(budget / 4 - overhead + 1);
  const a = cache.stream("fits", fits.length, fillFrom(fits));
  assertOk(a, "a zip of exactly a quarter of the budget is cached");
  assertEquals(await drain(a), fits);
  assertEquals(cache.used, budget / 4);
  assertEquals(cache.stream("big", tooBig.length, fillFrom(tooBig)), undefined);
  assertEquals(new ZipCache(0).stream("x", 10, fillFrom(new Uint8Array(10))), undefined);
});

Deno.test("ZipCache: under random sizes around the budget and held readers it never exceeds the budget", async () => {
  const seed = testSeed("MODYARD_ZIP_CACHE_SEED");
  const rand = seededRandom(seed);
  const budget = 1_000_000;
  const cache = new ZipCache(budget);
  const held: { key: string; reader: ReadableStreamDefaultReader<Uint8Array> }[] = [];
  const contents = new Map<string, Uint8Array>();
  let cached = 0, refused = 0;
  for (let step = 0; step < 400; step++) {
    const key = `blob${Math.floor(rand() * 40)}`;
    // Sizes cluster around the per-entry limit (budget / 4) and the budget itself.
    const size = contents.get(key)?.length ??
      Math.max(1, Math.floor(budget / 4 + (rand() - 0.6) * budget / 4));
    const bytes = contents.get(key) ?? randomBytes(size);
    contents.set(key, bytes);
    const stream = cache.stream(key, size, fillFrom(bytes));
    const message = `seed ${seed}, step ${step}: used ${cache.used} > budget ${budget}`;
    assertOk(cache.used <= budget, message);
    if (!stream) {
      refused++;
      continue;
    }
    cached++;
    if (rand() < 0.3) {
      // A slow download: reads one piece and keeps the entry busy (not evictable).
      const reader = stream.getReader();
      await reader.read();
      held.push({ key, reader });
    } else {
      assertEquals(await drain(stream), bytes, `seed ${seed}, step ${step}: bytes differ`);
    }
    if (held.length > 0 && rand() < 0.4) {
      await held.splice(Math.floor(rand() * held.length), 1)[0].reader.cancel();
    }
    assertOk(cache.used <= budget, message);
    // Zips being sent stay accounted: memory in use is within the budget too.
    for (const h of held) assertOk(cache.has(h.key), `seed ${seed}, step ${step}: ${h.key}`);
  }
  for (const h of held) await h.reader.cancel();
  assertOk(cached > 50 && refused > 20, `seed ${seed}: ${cached} cached, ${refused} refused`);
});

Deno.test("ZipCache: downloads that start while a zip fills get only filled bytes, in order", async () => {
  const cache = new ZipCache(10_000_000);
  const source = randomBytes(1_000_000);
  const slowFill = async (target: Uint8Array, progress: (n: number) => void) => {
    for (let at = 0; at < source.length; at += 100_000) {
      await new Promise((r) => setTimeout(r, 5));
      target.set(source.subarray(at, at + 100_000), at);
      progress(Math.min(source.length, at + 100_000));
    }
  };
  const first = cache.stream("slow", source.length, slowFill)!;
  const second = cache.stream("slow", source.length, () => {
    throw new Error("a zip being filled is not filled twice");
  })!;
  const [a, b] = await Promise.all([drain(first), drain(second)]);
  assertEquals(a, source);
  assertEquals(b, source);
});

Deno.test("ZipCache: a failed fill errors its readers and leaves nothing behind", async () => {
  const cache = new ZipCache(1_000_000);
  const stream = cache.stream("gone", 1000, async (_target, progress) => {
    progress(500);
    await Promise.resolve();
    throw new Error("chunk missing");
  })!;
  let failed = false;
  try {
    await drain(stream);
  } catch {
    failed = true;
  }
  assertOk(failed, "the download must fail, not end short");
  assertEquals([cache.size, cache.used], [0, 0]);
});

Deno.test("a cached zip is byte-identical to the upload, also for downloads that arrive while it fills", async () => {
  const server = await startAppServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", {
      "go.mod": `module ${MOD}\n`,
      "data.bin": randomBytes(3_000_000),
    });
    assertEquals(await server.upload("alice", zip, auth), 201);
    const url = `${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`;
    const first = await Promise.all(Array.from({ length: 6 }, () => get(url)));
    for (const d of first) {
      assertEquals([d.status, d.bytes.length, d.bytes], [200, zip.length, zip]);
    }
    // Remove the stored chunks: what still downloads correctly comes from the cache.
    await removeChunks(server.kv);
    const hot = await get(url);
    assertEquals([hot.status, hot.bytes.length], [200, zip.length]);
    assertEquals(hot.bytes, zip);
  } finally {
    await server.close();
  }
});

Deno.test("with --zip-cache-size 0 zips are still served, every time from the store", async () => {
  const server = await startAppServer({ zipCacheSize: 0 });
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", {
      "go.mod": `module ${MOD}\n`,
      "data.bin": randomBytes(700_000),
    });
    assertEquals(await server.upload("alice", zip, auth), 201);
    const url = `${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`;
    for (let i = 0; i < 2; i++) {
      const d = await get(url);
      assertEquals([d.status, d.bytes], [200, zip]);
    }
    await removeChunks(server.kv);
    let complete = false;
    try {
      complete = (await get(url)).bytes.length === zip.length;
    } catch { /* the body is cut off: nothing was cached */ }
    assertOk(!complete, "with the cache disabled the zip must come from the (now empty) store");
  } finally {
    await server.close();
  }
});

Deno.test("a deleted version whose zip is hot answers 410 at once in the process that deleted it", async () => {
  const server = await startAppServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals(await server.upload("alice", zip, auth), 201);
    const url = `${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`;
    for (let i = 0; i < 3; i++) assertEquals((await get(url)).bytes, zip);
    const del = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
      { method: "DELETE", headers: { authorization: auth } },
    );
    await del.body?.cancel();
    assertEquals(del.status, 204);
    assertEquals((await get(url)).status, 410);
  } finally {
    await server.close();
  }
});

Deno.test({
  name:
    "a zip hot in one server answers 410 within one second after a second server on the same KV file deletes the version",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/modyard.kv`;
    const created = await runCli(kvPath, ["user", "create", "alice"]);
    assertEquals(created.code, 0, created.stderr);
    const token = await runCli(kvPath, ["token", "create", "alice", "--scope", "write"]);
    const auth = basic("alice", token.stdout.trim());
    const serving = await spawnServer(kvPath);
    const deleting = await spawnServer(kvPath);
    try {
      const zip = await moduleZip(MOD, "v1.0.0", {
        "go.mod": `module ${MOD}\n`,
        "data.bin": randomBytes(200_000),
      });
      const up = await fetch(`${serving.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      await up.body?.cancel();
      assertEquals(up.status, 201);
      const url = `${serving.url}/api/packages/alice/go/${MOD}/@v/v1.0.0.zip`;
      for (let i = 0; i < 3; i++) assertEquals((await get(url)).bytes, zip);

      const del = await fetch(
        `${deleting.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
        { method: "DELETE", headers: { authorization: auth } },
      );
      await del.body?.cancel();
      assertEquals(del.status, 204);
      const deletedAt = Date.now();
      let status = 200;
      while (Date.now() - deletedAt <= 1000) {
        status = (await get(url)).status;
        if (status === 410) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const took = Date.now() - deletedAt;
      assertEquals(status, 410, `still ${status} ${took} ms after the delete`);
      assertOk(took <= 1000, `410 only after ${took} ms`);
    } finally {
      await serving.stop();
      await deleting.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Deletes every stored blob chunk (as if reclaimed), leaving version records in place. */
async function removeChunks(kv: Deno.Kv): Promise<void> {
  for await (const e of kv.list({ prefix: keys.blobs() })) await kv.delete(e.key);
}
