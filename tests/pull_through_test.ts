// Pull-through cache (issue 11, without the checksum database): what an owner with
// pull-through on serves from hosting, what from the upstream, how often the upstream is
// asked, and what happens when it fails or sends garbage. The upstream is a second modyard
// behind a proxy that counts requests per path.
import { countKvKeys } from "./helpers/server.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  type CountingUpstream,
  fetchBytes,
  type PullThroughServer,
  type PullThroughServerOptions,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { rawZip } from "./helpers/raw_zip.ts";
import { buildZip, moduleZip } from "./helpers/zip.ts";

async function withServers(
  options: Omit<PullThroughServerOptions, "upstream">,
  test: (up: CountingUpstream, down: PullThroughServer) => Promise<void>,
): Promise<void> {
  const up = await startCountingUpstream();
  const down = await startPullThroughServer({ ...options, upstream: up.goproxy });
  try {
    await test(up, down);
  } finally {
    await down.close();
    await up.close();
  }
}

Deno.test("pull-through: hosted and upstream modules through one owner; the second fetch asks the upstream nothing", async () => {
  await withServers({}, async (up, down) => {
    const zip = await up.publish("public.example/dep", "v1.2.0");
    const auth = await down.owner("acme");
    await down.publish("acme", auth, "corp.example.com/lib", "v1.0.0");
    const base = down.proxy("acme");

    // Hosted: answered from hosting, the upstream never asked.
    assertEquals((await fetchBytes(`${base}/corp.example.com/lib/@v/list`)).text, "v1.0.0\n");
    assertEquals(up.total("corp.example.com/"), 0);

    // Upstream: list, info, mod, zip, byte for byte.
    const list = await fetchBytes(`${base}/public.example/dep/@v/list`);
    assertEquals([list.status, list.text], [200, "v1.2.0\n"]);
    const info = await fetchBytes(`${base}/public.example/dep/@v/v1.2.0.info`);
    assertEquals([info.status, JSON.parse(info.text).Version], [200, "v1.2.0"]);
    const mod = await fetchBytes(`${base}/public.example/dep/@v/v1.2.0.mod`);
    assertEquals([mod.status, mod.text], [200, "module public.example/dep\n"]);
    const got = await fetchBytes(`${base}/public.example/dep/@v/v1.2.0.zip`);
    assertEquals([got.status, got.headers.get("content-type")], [200, "application/zip"]);
    assertEquals(got.bytes, zip);
    const before = up.total();
    assertEquals(before, 4);

    // Immutable files again: zero new upstream requests.
    for (const ext of ["info", "mod", "zip"]) {
      const again = await fetchBytes(`${base}/public.example/dep/@v/v1.2.0.${ext}`);
      assertEquals(again.status, 200, ext);
      if (ext === "zip") assertEquals(again.bytes, zip);
    }
    // The list within its TTL too.
    assertEquals((await fetchBytes(`${base}/public.example/dep/@v/list`)).text, "v1.2.0\n");
    assertEquals(up.total(), before);

    // One copy per module version, shared by owners: another owner gets it without a fetch.
    await down.owner("other");
    const other = await fetchBytes(`${down.proxy("other")}/public.example/dep/@v/v1.2.0.zip`);
    assertEquals(other.bytes, zip);
    assertEquals(up.total(), before);
    assertEquals(await countKvKeys(down.kv, ["upstream", "zip"]), 1);
  });
});

Deno.test("pull-through: 50 concurrent first requests for each file cause exactly one upstream request per file", async () => {
  await withServers({}, async (up, down) => {
    const zip = await up.publish("public.example/hot", "v0.1.0");
    await down.owner("acme");
    const base = `${down.proxy("acme")}/public.example/hot/@v/v0.1.0`;
    const results = await Promise.all(
      ["info", "mod", "zip"].flatMap((ext) =>
        Array.from({ length: 50 }, () => fetchBytes(`${base}.${ext}`).then((r) => ({ ext, ...r })))
      ),
    );
    for (const r of results) {
      assertEquals(r.status, 200, `${r.ext}: ${r.text.slice(0, 200)}`);
      if (r.ext === "zip") assertEquals(r.bytes, zip);
    }
    assertEquals(up.counts.get("public.example/hot/@v/v0.1.0.info"), 1);
    assertEquals(up.counts.get("public.example/hot/@v/v0.1.0.mod"), 1);
    assertEquals(up.counts.get("public.example/hot/@v/v0.1.0.zip"), 1);
  });
});

Deno.test("pull-through: a path the owner ever published is never asked upstream (dependency confusion), nor a private pattern", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("corp.example.com/lib", "v1.0.0");
    // The upstream also offers v9.9.9 (served verbatim by the fixture: modyard itself would
    // refuse to publish a v9 of a path without /v9).
    const enc = new TextEncoder();
    up.overrides.set("corp.example.com/lib/@v/list", enc.encode("v1.0.0\nv9.9.9\n"));
    up.overrides.set("corp.example.com/lib/@latest", enc.encode(`{"Version":"v9.9.9"}`));
    for (const ext of ["info", "mod", "zip"]) {
      up.overrides.set(`corp.example.com/lib/@v/v9.9.9.${ext}`, enc.encode(`{"Version":"v9.9.9"}`));
    }
    await up.publish("secret.corp.example/tool", "v1.0.0");
    const auth = await down.owner("acme", { privatePaths: "*.corp.example" });
    await down.publish("acme", auth, "corp.example.com/lib", "v1.0.0");
    const base = down.proxy("acme");

    assertEquals((await fetchBytes(`${base}/corp.example.com/lib/@v/list`)).text, "v1.0.0\n");
    assertEquals(
      JSON.parse((await fetchBytes(`${base}/corp.example.com/lib/@latest`)).text).Version,
      "v1.0.0",
    );
    for (const ext of ["info", "mod", "zip"]) {
      const r = await fetchBytes(`${base}/corp.example.com/lib/@v/v9.9.9.${ext}`);
      assertEquals(r.status, 404, ext);
    }
    // A private pattern never published: 404 for every file, nothing asked.
    for (const file of ["@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip"]) {
      assertEquals(
        (await fetchBytes(`${base}/secret.corp.example/tool/${file}`)).status,
        404,
        file,
      );
    }
    assertEquals(up.total("corp.example.com/"), 0);
    assertEquals(up.total("secret.corp.example/"), 0);
    assertEquals(up.total(), 0);
  });
});

Deno.test("pull-through: deleting the only hosted version keeps the path hosted (410, never upstream)", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("corp.example.com/gone", "v1.0.0");
    const auth = await down.owner("acme");
    await down.publish("acme", auth, "corp.example.com/gone", "v1.0.0");
    const del = await fetch(
      `${down.url}/api/v1/packages/acme/go/corp.example.com/gone/v1.0.0`,
      { method: "DELETE", headers: { authorization: auth } },
    );
    assertEquals(del.status, 204, await del.text());
    const base = `${down.proxy("acme")}/corp.example.com/gone`;
    assertEquals((await fetchBytes(`${base}/@v/v1.0.0.zip`)).status, 410);
    assertEquals((await fetchBytes(`${base}/@v/list`)).status, 404);
    assertEquals(up.total(), 0);
  });
});

Deno.test("pull-through: during an upstream outage cached versions are served, list/@latest stale with the header, the uncached answer 502", async () => {
  await withServers({ ttlSeconds: 0 }, async (up, down) => {
    const zip = await up.publish("public.example/dep", "v1.0.0");
    await up.publish("public.example/uncached", "v1.0.0");
    await down.owner("acme");
    const base = `${down.proxy("acme")}/public.example/dep`;
    for (const file of ["@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip"]) {
      assertEquals((await fetchBytes(`${base}/${file}`)).status, 200, file);
    }
    up.down = true;
    const zipAgain = await fetchBytes(`${base}/@v/v1.0.0.zip`);
    assertEquals([zipAgain.status, zipAgain.bytes], [200, zip]);
    const list = await fetchBytes(`${base}/@v/list`);
    assertEquals([list.status, list.text, list.headers.get("x-modyard-cache")], [
      200,
      "v1.0.0\n",
      "stale",
    ]);
    const latest = await fetchBytes(`${base}/@latest`);
    assertEquals([latest.status, latest.headers.get("x-modyard-cache")], [200, "stale"]);
    assertEquals(JSON.parse(latest.text).Version, "v1.0.0");
    // Nothing cached: 502 with the upstream's failure, never a 404 that makes go fall through.
    const uncachedBase = `${down.proxy("acme")}/public.example/uncached`;
    for (const file of ["@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.zip"]) {
      const r = await fetchBytes(`${uncachedBase}/${file}`);
      assertEquals(r.status, 502, file);
      assertIncludes(r.text, "answered 503");
    }
    // A real upstream 404 stays a 404.
    up.down = false;
    assertEquals(
      (await fetchBytes(`${down.proxy("acme")}/public.example/nope/@v/list`)).status,
      404,
    );
    // And once the upstream is back, list is fresh again (no header).
    const fresh = await fetchBytes(`${base}/@v/list`);
    assertEquals([fresh.status, fresh.headers.get("x-modyard-cache")], [200, null]);
  });
});

Deno.test("pull-through: an unreachable upstream answers 502 for what is not cached", async () => {
  const down = await startPullThroughServer({ upstream: "http://127.0.0.1:1/go" });
  try {
    await down.owner("acme");
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/dep/@v/list`);
    assertEquals(r.status, 502);
    assertIncludes(r.text, "unreachable");
  } finally {
    await down.close();
  }
});

Deno.test("pull-through: a corrupt upstream zip answers 502 with the reason and stores nothing", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("public.example/bad", "v1.0.0");
    await up.publish("public.example/wrong", "v1.0.0");
    await up.publish("public.example/bomb", "v1.0.0");
    await down.owner("acme");
    const P = "public.example/bomb@v1.0.0/";
    const cases: [string, Uint8Array, string][] = [
      ["public.example/bad", new TextEncoder().encode("this is not a zip"), "not a valid zip"],
      [
        "public.example/bomb",
        await rawZip([
          { name: P + "go.mod", data: new TextEncoder().encode("module public.example/bomb\n") },
          {
            name: P + "bomb.bin",
            data: new Uint8Array(1 << 20),
            method: 8,
            central: { size: 100 },
            local: { size: 100 },
          },
        ]),
        "inflates to more than its declared size",
      ],
      [
        "public.example/wrong",
        await buildZip({ "other.example/m@v1.0.0/go.mod": "module other.example/m\n" }),
        "other.example/m",
      ],
    ];
    for (const [module, bytes, reason] of cases) {
      up.overrides.set(`${module}/@v/v1.0.0.zip`, bytes);
      const r = await fetchBytes(`${down.proxy("acme")}/${module}/@v/v1.0.0.zip`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, reason);
      // Nothing stored: asked again next time, refused again.
      const again = await fetchBytes(`${down.proxy("acme")}/${module}/@v/v1.0.0.zip`);
      assertEquals(again.status, 502);
      assertEquals(up.counts.get(`${module}/@v/v1.0.0.zip`), 2);
    }
    assertEquals(await countKvKeys(down.kv, ["upstream", "zip"]), 0);
    assertEquals(await countKvKeys(down.kv, ["upload"]), 0);
    assertEquals(await countKvKeys(down.kv, ["blob"]), 0);
    assertEquals((await down.kv.get(keys.upstreamBytes())).value, null);
  });
});

Deno.test("pull-through: an owner with pull-through off behaves as before (404, upstream never asked)", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("public.example/dep", "v1.0.0");
    const auth = await down.owner("plain", { pullThrough: false });
    await down.publish("plain", auth, "corp.example.com/lib", "v1.0.0");
    const base = down.proxy("plain");
    assertEquals((await fetchBytes(`${base}/corp.example.com/lib/@v/list`)).text, "v1.0.0\n");
    for (const file of ["@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.zip"]) {
      const r = await fetchBytes(`${base}/public.example/dep/${file}`);
      assertEquals(r.status, 404, file);
    }
    assertEquals(up.total(), 0);
  });
});

Deno.test("pull-through: credentials of a private owner's readers are never sent upstream; anonymous readers get 401", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("public.example/dep", "v1.0.0");
    const auth = await down.owner("secret", { private: true });
    const url = `${down.proxy("secret")}/public.example/dep/@v/v1.0.0.zip`;
    assertEquals((await fetchBytes(url)).status, 401);
    assertEquals(up.total(), 0);
    const r = await fetchBytes(url, { headers: { authorization: auth } });
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("cache-control")?.startsWith("private"), true);
    assertEquals(up.total(), 1);
    assertEquals(up.sawAuthorization, false);
  });
});

Deno.test("pull-through: a full cache budget refuses new fills with 503 and keeps what is cached", async () => {
  const up = await startCountingUpstream();
  const zip = await up.publish("public.example/small", "v1.0.0");
  await up.publish("public.example/more", "v1.0.0");
  // Room for one zip, not two.
  const down = await startPullThroughServer({
    upstream: up.goproxy,
    maxCacheBytes: zip.byteLength + 10,
  });
  try {
    await down.owner("acme");
    const base = down.proxy("acme");
    const first = await fetchBytes(`${base}/public.example/small/@v/v1.0.0.zip`);
    assertEquals([first.status, first.bytes], [200, zip]);
    const r = await fetchBytes(`${base}/public.example/more/@v/v1.0.0.zip`);
    assertEquals(r.status, 503, r.text);
    assertIncludes(r.text, "cache is full");
    assertEquals(await countKvKeys(down.kv, ["upstream", "zip"]), 1);
    assertEquals(await countKvKeys(down.kv, ["blob"]), 1 * Math.ceil(zip.byteLength / 64_000));
    // What is cached is still served.
    assertEquals((await fetchBytes(`${base}/public.example/small/@v/v1.0.0.zip`)).bytes, zip);
  } finally {
    await down.close();
    await up.close();
  }
});

Deno.test("pull-through: an upstream that stalls past the read timeout answers 504", async () => {
  const stall = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () =>
    new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("v1.0.0\n"));
        },
      }),
    ));
  const down = await startPullThroughServer({
    upstream: `http://127.0.0.1:${stall.addr.port}`,
    limits: { connectTimeoutMs: 2000, readTimeoutMs: 300 },
  });
  try {
    await down.owner("acme");
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/slow/@v/list`);
    assertEquals(r.status, 504, r.text);
    assertIncludes(r.text, "stalled");
  } finally {
    await down.close();
    await stall.shutdown();
  }
});

Deno.test("pull-through: an upstream zip is judged by x/mod's rules, not modyard's publish policy (a go.mod naming another module is served)", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("public.example/renamed", "v1.0.0");
    // What proxy.golang.org may serve for a fork: its go.mod names the original path.
    const zip = await moduleZip("public.example/renamed", "v1.0.0", {
      "go.mod": "module original.example/renamed\n",
      "a.go": "package renamed\n",
    });
    up.overrides.set("public.example/renamed/@v/v1.0.0.zip", zip);
    await down.owner("acme");
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/renamed/@v/v1.0.0.zip`);
    assertEquals([r.status, r.bytes], [200, zip]);
    // The same zip uploaded for hosting is refused by the publish policy.
    const auth = await down.owner("host");
    const res = await fetch(`${down.url}/api/packages/host/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { authorization: auth },
    });
    assertEquals(res.status, 400);
    assertIncludes(await res.text(), "module line says");
  });
});

Deno.test("pull-through: first fetches are limited per client (429 with Retry-After); cached files and other clients are not held up", async () => {
  await withServers({
    firstFetches: { perWindow: 2, windowMs: 600_000 },
    trustedProxies: ["127.0.0.1"],
  }, async (up, down) => {
    const zip = await up.publish("public.example/dep", "v1.0.0");
    await down.owner("acme");
    const base = `${down.proxy("acme")}/public.example/dep/@v/v1.0.0`;
    const from = (client: string) => ({ headers: { "x-forwarded-for": client } });
    assertEquals((await fetchBytes(`${base}.info`, from("10.0.0.1"))).status, 200);
    assertEquals((await fetchBytes(`${base}.mod`, from("10.0.0.1"))).status, 200);
    const limited = await fetchBytes(`${base}.zip`, from("10.0.0.1"));
    assertEquals(limited.status, 429, limited.text);
    assertIncludes(limited.text, "new files from upstream");
    assertEquals(Number(limited.headers.get("retry-after")) > 0, true);
    assertEquals(up.counts.get("public.example/dep/@v/v1.0.0.zip"), undefined);
    // Cached files do not count: still served to the limited client.
    assertEquals((await fetchBytes(`${base}.info`, from("10.0.0.1"))).status, 200);
    // Another client may still cause the fetch; then the limited client gets it from the cache.
    assertEquals((await fetchBytes(`${base}.zip`, from("10.0.0.2"))).bytes, zip);
    assertEquals((await fetchBytes(`${base}.zip`, from("10.0.0.1"))).bytes, zip);
    assertEquals(up.counts.get("public.example/dep/@v/v1.0.0.zip"), 1);
  });
});

Deno.test("pull-through: an .info naming another version is refused (502, nothing stored); an upstream that never answers is a 504", async () => {
  await withServers({}, async (up, down) => {
    await up.publish("public.example/liar", "v1.0.0");
    up.overrides.set(
      "public.example/liar/@v/v1.0.0.info",
      new TextEncoder().encode(`{"Version":"v1.0.1","Time":"2020-01-01T00:00:00Z"}`),
    );
    await down.owner("acme");
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/liar/@v/v1.0.0.info`);
    assertEquals(r.status, 502, r.text);
    assertIncludes(r.text, `names version "v1.0.1"`);
    assertEquals(await countKvKeys(down.kv, ["upstream"]), 0);
    assertEquals((await down.kv.get(keys.upstreamBytes())).value, null);
  });
  const { promise: never, resolve: release } = Promise.withResolvers<Response>();
  const silent = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => never);
  const down = await startPullThroughServer({
    upstream: `http://127.0.0.1:${silent.addr.port}`,
    limits: { connectTimeoutMs: 300, readTimeoutMs: 2000 },
  });
  try {
    await down.owner("acme");
    const started = Date.now();
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/silent/@v/v1.0.0.info`);
    assertEquals(r.status, 504, r.text);
    assertOk(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
    assertIncludes(r.text, "did not answer within 300 ms");
  } finally {
    await down.close();
    release(new Response("late"));
    await silent.shutdown();
  }
});

Deno.test("pull-through: a cached zip is served through the hot-zip cache, as hosted zips are", async () => {
  await withServers({}, async (up, down) => {
    const zip = await up.publish("public.example/hot", "v1.0.0");
    await down.owner("acme");
    const url = `${down.proxy("acme")}/public.example/hot/@v/v1.0.0.zip`;
    assertEquals((await fetchBytes(url)).bytes, zip);
    assertEquals((await fetchBytes(url)).bytes, zip);
    // With its chunks gone from the store, only the in-memory copy can answer.
    for await (const e of down.kv.list({ prefix: ["blob"] })) await down.kv.delete(e.key);
    assertEquals((await fetchBytes(url)).bytes, zip);
    assertEquals(up.counts.get("public.example/hot/@v/v1.0.0.zip"), 1);
  });
});
