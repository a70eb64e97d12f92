// The operator's side of the pull-through cache (issue 11): `cache list` and `cache evict`
// (CLI and admin API) show and drop exactly what fills stored, keep the byte counter exact,
// leave downloads in progress alone, are audited and admin-only; the packages API tells
// hosted from cached modules. The upstream is a second modyard behind a counting proxy.
import { readAudit } from "../src/registry/audit.ts";
import { sweepAbandonedUploads } from "../src/store/blob_store.ts";
import { keys } from "../src/store/keys.ts";
import { openStore } from "../src/store/open_store.ts";
import type { CachedFileRecord } from "../src/store/records.ts";
import { evictCached } from "../src/upstream/cache_admin.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import {
  type CountingUpstream,
  fetchBytes,
  type PullThroughServer,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { basic, runCli, startTestServer } from "./helpers/server.ts";
import { createToken, createUser } from "../src/registry/accounts.ts";
import { setPullThrough } from "../src/upstream/owner_settings.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const BUDGET = 1024 * 1024 * 1024;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** An upstream and a downstream over a store file (so the CLI can open it beside the server). */
async function withServers(
  test: (up: CountingUpstream, down: PullThroughServer, kvPath: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-cache-admin-" });
  const kvPath = `${dir}/modyard.kv`;
  const kv = await openStore(kvPath);
  const up = await startCountingUpstream();
  const down = await startPullThroughServer({ upstream: up.goproxy, kv, maxCacheBytes: BUDGET });
  try {
    await test(up, down, kvPath);
  } finally {
    await down.close();
    await up.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** An admin with a write token on the downstream store; returns the Basic header value. */
async function admin(kv: Deno.Kv, name = "root", scope: "read" | "write" = "write") {
  await createUser(kv, name, { admin: true });
  return basic(name, (await createToken(kv, name, { scope })).token);
}

/** Every cached file record, by `kind module@version`. */
async function cachedRecords(kv: Deno.Kv): Promise<Map<string, CachedFileRecord>> {
  const out = new Map<string, CachedFileRecord>();
  for await (const e of kv.list<CachedFileRecord>({ prefix: ["upstream"] })) {
    const [, kind, module, version] = e.key as string[];
    out.set(`${kind} ${module}@${version}`, e.value);
  }
  return out;
}

async function counter(kv: Deno.Kv): Promise<number> {
  return Number((await kv.get<Deno.KvU64>(keys.upstreamBytes())).value?.value ?? 0n);
}

/** Fetches files of module versions through an owner; fails unless each answers 200. */
async function fill(base: string, files: string[]): Promise<Map<string, Uint8Array>> {
  const got = new Map<string, Uint8Array>();
  for (const f of files) {
    const r = await fetchBytes(`${base}/${f}`);
    assertEquals(r.status, 200, `${f}: ${r.text.slice(0, 200)}`);
    got.set(f, r.bytes);
  }
  return got;
}

const ONE = "one.example/lib";
const TWO = "two.example/tool";
const FILES = [
  `${ONE}/@v/v1.0.0.info`,
  `${ONE}/@v/v1.0.0.mod`,
  `${ONE}/@v/v1.0.0.zip`,
  `${ONE}/@v/v1.1.0.info`,
  `${ONE}/@v/v1.1.0.mod`,
  `${TWO}/@v/v0.1.0.zip`,
];

/** Publishes ONE v1.0.0, v1.1.0 and TWO v0.1.0 upstream and fetches FILES through `acme`. */
async function fillThree(up: CountingUpstream, down: PullThroughServer) {
  await up.publish(ONE, "v1.0.0");
  await up.publish(ONE, "v1.1.0");
  await up.publish(TWO, "v0.1.0", { "go.mod": `module ${TWO}\n`, "big.go": "package tool\n" });
  await down.owner("acme");
  return await fill(down.proxy("acme"), FILES);
}

Deno.test("cache list (CLI and admin API) shows exactly the fetched versions, their files and bytes, the total and the budget", async () => {
  await withServers(async (up, down, kvPath) => {
    const served = await fillThree(up, down);
    const size = (f: string) => served.get(f)!.byteLength;
    const want = [
      {
        module: ONE,
        version: "v1.0.0",
        files: ["info", "mod", "zip"],
        bytes: size(FILES[0]) + size(FILES[1]) + size(FILES[2]),
      },
      {
        module: ONE,
        version: "v1.1.0",
        files: ["info", "mod"],
        bytes: size(FILES[3]) + size(FILES[4]),
      },
      { module: TWO, version: "v0.1.0", files: ["zip"], bytes: size(FILES[5]) },
    ];
    const total = want.reduce((n, v) => n + v.bytes, 0);
    // The bytes are those of the stored records and of what was served, and the counter agrees.
    let stored = 0;
    for (const r of (await cachedRecords(down.kv)).values()) stored += r.size;
    assertEquals([stored, await counter(down.kv)], [total, total]);

    const auth = await admin(down.kv);
    const api = await fetch(`${down.url}/api/v1/admin/cache`, { headers: { authorization: auth } });
    const body = await api.json();
    assertEquals(api.status, 200);
    assertEquals(
      body.versions.map((v: Record<string, unknown>) => ({
        module: v.module,
        version: v.version,
        files: v.files,
        bytes: v.bytes,
      })),
      want,
    );
    assertEquals([body.total_bytes, body.page_bytes, body.budget_bytes, body.next_cursor], [
      total,
      total,
      BUDGET,
      null,
    ]);
    assertEquals(body.versions[0].zip_size, size(FILES[2]));
    assertMatch(body.versions[0].h1, /^h1:/);

    // A pattern in GOPRIVATE syntax: the module and its subpaths, not a longer name.
    const only = await (await fetch(`${down.url}/api/v1/admin/cache?pattern=one.example`, {
      headers: { authorization: auth },
    })).json();
    assertEquals(only.versions.map((v: { version: string }) => v.version), ["v1.0.0", "v1.1.0"]);
    const glob = await (await fetch(`${down.url}/api/v1/admin/cache?pattern=*/tool`, {
      headers: { authorization: auth },
    })).json();
    assertEquals(glob.versions.map((v: { module: string }) => v.module), [TWO]);

    // Pages of one follow the cursor through every version exactly once.
    const seen: string[] = [];
    let url: string | null = `${down.url}/api/v1/admin/cache?limit=1`;
    while (url !== null) {
      const res: Response = await fetch(url, { headers: { authorization: auth } });
      const page = await res.json();
      assertEquals(page.versions.length, 1);
      seen.push(`${page.versions[0].module}@${page.versions[0].version}`);
      const link = res.headers.get("link");
      assertEquals(link !== null, page.next_cursor !== null);
      url = link === null ? null : `${down.url}${/^<([^>]+)>/.exec(link)![1]}`;
    }
    assertEquals(seen, [`${ONE}@v1.0.0`, `${ONE}@v1.1.0`, `${TWO}@v0.1.0`]);

    // The CLI on the same store: a table, then the listed bytes, the total and the budget.
    const out = await runCli(kvPath, [
      "cache",
      "list",
      "--upstream-cache-max-bytes",
      String(BUDGET),
    ]);
    assertEquals(out.code, 0, out.stderr);
    const lines = out.stdout.trimEnd().split("\n");
    assertEquals(lines.slice(0, 4).map((l) => l.split(/\s+/)), [
      ["MODULE", "VERSION", "FILES", "BYTES"],
      ...want.map((v) => [v.module, v.version, v.files.join(","), String(v.bytes)]),
    ]);
    assertEquals(lines[4], `listed: 3 version(s), ${total} bytes`);
    assertIncludes(lines[5], `total: ${total} bytes cached of a ${BUDGET}-byte budget`);
    const filtered = await runCli(kvPath, ["cache", "list", "two.example", "--limit", "5"]);
    assertEquals(filtered.stdout.split("\n").slice(1, 3), [
      `${TWO}  v0.1.0   zip    ${size(FILES[5])}`,
      `listed: 1 version(s), ${size(FILES[5])} bytes`,
    ]);
    const paged = await runCli(kvPath, ["cache", "list", "--limit", "2"]);
    assertIncludes(paged.stdout, `(more: --cursor '${ONE}@v1.1.0')`);
    const rest = await runCli(kvPath, ["cache", "list", "--cursor", `${ONE}@v1.1.0`]);
    assertEquals(rest.stdout.split("\n")[1].split(/\s+/)[0], TWO);
  });
});

Deno.test("cache evict MODULE@VERSION: the counter drops by its bytes, the next request fetches it from upstream again, and the eviction is audited", async () => {
  await withServers(async (up, down, kvPath) => {
    const served = await fillThree(up, down);
    const before = await counter(down.kv);
    const records = await cachedRecords(down.kv);
    const evicted = ["info", "mod", "zip"].reduce(
      (n, k) => n + records.get(`${k} ${ONE}@v1.0.0`)!.size,
      0,
    );
    const out = await runCli(kvPath, ["cache", "evict", `${ONE}@v1.0.0`]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(
      out.stdout.split("\n")[0],
      `evicted ${ONE}@v1.0.0: info,mod,zip, ${evicted} bytes`,
    );
    assertEquals(await counter(down.kv), before - evicted);
    // Only that version's records went; the other versions stay.
    assertEquals([...(await cachedRecords(down.kv)).keys()].sort(), [
      `info ${ONE}@v1.1.0`,
      `mod ${ONE}@v1.1.0`,
      `zip ${TWO}@v0.1.0`,
    ]);
    const [entry] = (await readAudit(down.kv, 1, 1)).entries;
    assertEquals([entry.action, entry.actor, entry.target, entry.detail], [
      "cache.evict",
      "cli",
      `${ONE}@v1.0.0`,
      { bytes: String(evicted), files: "info,mod,zip" },
    ]);

    // Asked again: exactly one new upstream request per file, the same bytes, counted again.
    const zipPath = `${ONE}/@v/v1.0.0.zip`;
    const asked = up.counts.get(zipPath);
    const again = await fill(down.proxy("acme"), [zipPath, `${ONE}/@v/v1.0.0.mod`]);
    assertEquals(again.get(zipPath), served.get(zipPath));
    assertEquals(up.counts.get(zipPath), asked! + 1);
    await fill(down.proxy("acme"), [zipPath]);
    assertEquals(up.counts.get(zipPath), asked! + 1);
    const refilled = await cachedRecords(down.kv);
    assertEquals(
      await counter(down.kv),
      before - evicted + refilled.get(`zip ${ONE}@v1.0.0`)!.size +
        refilled.get(`mod ${ONE}@v1.0.0`)!.size,
    );

    // A whole module over the admin API, by its percent-encoded path: every version, and its
    // list/@latest answers (asked upstream again next time, also within their TTL).
    await fill(down.proxy("acme"), [`${ONE}/@v/list`, `${ONE}/@latest`]);
    assertOk((await down.kv.get(keys.upstreamAnswer("list", ONE))).value);
    const listed = up.counts.get(`${ONE}/@v/list`)!;
    const auth = await admin(down.kv);
    const res = await fetch(`${down.url}/api/v1/admin/cache/${encodeURIComponent(ONE)}`, {
      method: "DELETE",
      headers: { authorization: auth },
    });
    const body = await res.json();
    assertEquals(res.status, 200);
    assertEquals(body.versions.map((v: { version: string; files: string[] }) => v), [
      { version: "v1.0.0", files: ["mod", "zip"], bytes: body.versions[0].bytes },
      { version: "v1.1.0", files: ["info", "mod"], bytes: body.versions[1].bytes },
    ]);
    assertEquals(await counter(down.kv), records.get(`zip ${TWO}@v0.1.0`)!.size);
    for (const kind of ["list", "latest"] as const) {
      assertEquals((await down.kv.get(keys.upstreamAnswer(kind, ONE))).value, null, kind);
    }
    const relisted = await fetchBytes(`${down.proxy("acme")}/${ONE}/@v/list`);
    assertEquals([relisted.text, up.counts.get(`${ONE}/@v/list`)], [
      "v1.0.0\nv1.1.0\n",
      listed + 1,
    ]);
    const [apiEntry] = (await readAudit(down.kv, 1, 1)).entries;
    assertEquals([apiEntry.action, apiEntry.actor, apiEntry.target, apiEntry.detail?.versions], [
      "cache.evict",
      "root",
      ONE,
      "v1.0.0,v1.1.0",
    ]);
  });
});

Deno.test("evicting what is not cached: exit 1 and 404 with the reason; a malformed target: exit 2 and 400", async () => {
  await withServers(async (up, down, kvPath) => {
    await fillThree(up, down);
    const before = await counter(down.kv);
    const missing = await runCli(kvPath, ["cache", "evict", "nothing.example/x"]);
    assertEquals([missing.code, missing.stderr.trim()], [
      1,
      "error: nothing.example/x: not in the pull-through cache",
    ]);
    const version = await runCli(kvPath, ["cache", "evict", `${ONE}@v9.0.0`]);
    assertEquals([version.code, version.stderr.trim()], [
      1,
      `error: ${ONE}@v9.0.0: not in the pull-through cache`,
    ]);
    const bad = await runCli(kvPath, ["cache", "evict", `${ONE}@v1`]);
    assertEquals(bad.code, 2);
    assertIncludes(bad.stderr, "not a canonical version");

    const auth = await admin(down.kv);
    const del = (path: string) =>
      fetch(`${down.url}/api/v1/admin/cache/${path}`, {
        method: "DELETE",
        headers: { authorization: auth },
      }).then(async (r) => [r.status, (await r.json()).message]);
    assertEquals(await del("nothing.example/x@v1.0.0"), [
      404,
      "nothing.example/x@v1.0.0: not in the pull-through cache",
    ]);
    assertEquals((await del(`${ONE}@latest`))[0], 400);
    assertEquals((await del(`@v1.0.0`))[0], 400);
    assertEquals(await counter(down.kv), before);
    assertEquals(
      (await readAudit(down.kv, 1, 10)).entries.filter((e) => e.action === "cache.evict"),
      [],
    );
  });
});

Deno.test("the cache admin API needs an admin with a write token (401, 403) and refuses bad input with 400", async () => {
  await withServers(async (_up, down) => {
    const writer = await down.owner("acme");
    const reader = await admin(down.kv, "auditor", "read");
    const root = await admin(down.kv);
    const list = `${down.url}/api/v1/admin/cache`;
    const evict = `${down.url}/api/v1/admin/cache/${ONE}@v1.0.0`;
    const status = async (url: string, method: string, auth?: string) => {
      const r = await fetch(url, { method, headers: auth ? { authorization: auth } : {} });
      await r.body?.cancel();
      return r.status;
    };
    assertEquals(await status(list, "GET"), 401);
    assertEquals(await status(list, "GET", writer), 403);
    assertEquals(await status(list, "GET", reader), 403);
    assertEquals(await status(list, "GET", root), 200);
    assertEquals(await status(evict, "DELETE"), 401);
    assertEquals(await status(evict, "DELETE", writer), 403);
    assertEquals(await status(evict, "DELETE", reader), 403);
    assertEquals(await status(evict, "DELETE", root), 404);
    for (
      const query of [
        "limit=0",
        "limit=1001",
        "limit=1e3x",
        "pattern=a%20b",
        "pattern=example.com/%5B",
        `cursor=${"x".repeat(3000)}%40v1.0.0`,
        "cursor=no-at-sign",
      ]
    ) {
      assertEquals(await status(`${list}?${query}`, "GET", root), 400, query);
    }
  });
});

Deno.test("evicting during a streaming download does not cut it off: the chunks go after the grace period", async () => {
  const up = await startCountingUpstream();
  // No hot-zip cache, so the download streams from the stored chunks.
  const down = await startTestServer({
    pullThrough: {
      upstream: up.goproxy,
      ttlSeconds: 60,
      maxCacheBytes: BUDGET,
      sumdbUpstream: "off",
    },
    zipCacheSize: 0,
    deleteGraceSeconds: 3,
  });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const module = "big.example/blob";
    const zip = await moduleZip(module, "v1.0.0", {
      "go.mod": `module ${module}\n`,
      "data.bin": randomBytes(16 * 1024 * 1024),
    });
    await up.publishZip(zip);
    await createUser(down.kv, "acme");
    await setPullThrough(down.kv, "acme", true);
    const url = `${down.proxy("acme")}/${module}/@v/v1.0.0.zip`;
    const filled = await fetchBytes(url);
    assertEquals(filled.status, 200, filled.text.slice(0, 400));
    assertOk(equalBytes(filled.bytes, zip)); // (a failing deep comparison of 16 MiB takes minutes)
    const record = (await down.kv.get<CachedFileRecord>(keys.upstreamFile("zip", module, "v1.0.0")))
      .value!;
    const chunkKeys = async () => {
      let n = 0;
      for await (const _ of down.kv.list({ prefix: keys.blob(record.blobId!) })) n++;
      return n;
    };
    const chunks = await chunkKeys();
    assertEquals(chunks, record.chunks);

    const download = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    reader = download.body!.getReader();
    const first = await reader.read();
    assertOk(!first.done && first.value.byteLength < zip.byteLength);
    const root = await admin(down.kv);
    const del = await fetch(`${down.url}/api/v1/admin/cache/${module}@v1.0.0`, {
      method: "DELETE",
      headers: { authorization: root },
    });
    assertEquals(del.status, 200, await del.text());
    // The sweep that runs now leaves the chunks: the grace period has not passed.
    await sweepAbandonedUploads(down.kv);
    assertEquals(await chunkKeys(), chunks);
    const parts = [first.value];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    const got = new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer());
    assertEquals(got.byteLength, zip.byteLength);
    assertOk(equalBytes(got, zip));
    // After the grace period the sweep reclaims them.
    await new Promise((r) => setTimeout(r, 3100));
    const swept = await sweepAbandonedUploads(down.kv);
    assertOk(swept.some((s) => s.blobId === record.blobId && s.chunks === chunks));
    assertEquals(await chunkKeys(), 0);
  } finally {
    await reader?.cancel().catch(() => {}); // else the server's shutdown waits for it
    await down.close();
    await up.close();
  }
});

Deno.test("racing evictions of one version: exactly one succeeds and the counter drops once; a counter already too low stops at zero", async () => {
  await withServers(async (up, down) => {
    await fillThree(up, down);
    const before = await counter(down.kv);
    const records = await cachedRecords(down.kv);
    const size = ["info", "mod", "zip"].reduce(
      (n, k) => n + records.get(`${k} ${ONE}@v1.0.0`)!.size,
      0,
    );
    const actor = { name: "t", client: "t" };
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => evictCached(down.kv, ONE, "v1.0.0", actor, 60_000)),
    );
    assertEquals(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assertEquals(r.reason.name, "NotFoundError");
    }
    assertEquals(await counter(down.kv), before - size);
    // An evict racing fills of other versions: both counted exactly.
    const refill = fill(down.proxy("acme"), [`${ONE}/@v/v1.0.0.info`, `${ONE}/@v/v1.0.0.mod`]);
    const evicted = await evictCached(down.kv, ONE, "v1.1.0", actor, 60_000);
    await refill;
    let stored = 0;
    for (const r of (await cachedRecords(down.kv)).values()) stored += r.size;
    assertEquals(await counter(down.kv), stored);
    assertOk(evicted.bytes > 0);
    // A fill that commits between an eviction's read and its commit (forced here: the first
    // commit of the eviction lets a fill's 1,000 bytes in first) is counted, not overwritten.
    let raced = false;
    const racy = new Proxy(down.kv, {
      get(target, prop) {
        if (prop === "atomic") {
          return () => {
            const op = target.atomic();
            if (raced) return op;
            const commit = op.commit.bind(op);
            op.commit = async () => {
              raced = true;
              await target.atomic().sum(keys.upstreamBytes(), 1000n).commit();
              return await commit();
            };
            return op;
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const beforeRace = await counter(down.kv);
    const raceEvicted = await evictCached(racy, ONE, "v1.0.0", actor, 60_000);
    assertOk(raced && raceEvicted.bytes > 0);
    assertEquals(await counter(down.kv), beforeRace + 1000 - raceEvicted.bytes);
    // A counter lower than the records (e.g. restored from an old backup) goes to zero, not
    // around to 2^64.
    await down.kv.set(keys.upstreamBytes(), new Deno.KvU64(5n));
    await evictCached(down.kv, TWO, null, actor, 60_000);
    assertEquals(await counter(down.kv), 0);
  });
});

Deno.test("packages API: hosted modules say source hosted; cached ones appear with source cached, only to the owner, its members and admins", async () => {
  await withServers(async (up, down) => {
    const zip = await up.publish("public.example/dep", "v1.2.0");
    await up.publish("shared.example/lib", "v1.0.0");
    const acme = await down.owner("acme");
    const other = await down.owner("other");
    const plain = await down.owner("plain", { pullThrough: false });
    await down.publish("acme", acme, "corp.example.com/lib", "v1.0.0");
    await fill(down.proxy("acme"), [
      "public.example/dep/@v/v1.2.0.info",
      "public.example/dep/@v/v1.2.0.mod",
      "public.example/dep/@v/v1.2.0.zip",
    ]);
    // Cached through another owner, then published by acme: acme serves it from hosting only.
    await fill(down.proxy("other"), ["shared.example/lib/@v/v1.0.0.zip"]);
    await down.publish("acme", acme, "shared.example/lib", "v1.1.0");
    const api = `${down.url}/api/v1/packages/acme`;
    const get = async (url: string, auth?: string) => {
      const r = await fetch(url, { headers: auth ? { authorization: auth } : {} });
      return { status: r.status, headers: r.headers, body: await r.json() };
    };

    // The Gitea listing: hosted modules only, each marked, counted as before.
    const hosted = await get(`${api}?type=go`, acme);
    assertEquals(hosted.headers.get("x-total-count"), "2");
    assertEquals(hosted.body.map((m: { name: string; source: string }) => [m.name, m.source]), [
      ["corp.example.com/lib", "hosted"],
      ["shared.example/lib", "hosted"],
    ]);
    const lib = await get(`${api}/go/${encodeURIComponent("shared.example/lib")}`, acme);
    assertEquals([lib.body.source, lib.body.versions.map((v: { version: string }) => v.version)], [
      "hosted",
      ["v1.1.0"],
    ]);

    // The owner sees what it serves from the cache (not the path it hosts).
    const cached = await get(`${api}?type=go&source=cached`, acme);
    assertEquals(cached.status, 200);
    assertEquals(cached.headers.get("cache-control"), "private, no-cache");
    const rec = (await cachedRecords(down.kv)).get("zip public.example/dep@v1.2.0")!;
    assertEquals(cached.body.length, 1);
    const { versions, ...module } = cached.body[0];
    assertEquals(module, {
      owner: "acme",
      type: "go",
      name: "public.example/dep",
      source: "cached",
    });
    assertEquals(versions.length, 1);
    assertEquals(
      [versions[0].version, versions[0].files, versions[0].size, versions[0].h1],
      ["v1.2.0", ["info", "mod", "zip"], zip.byteLength, rec.h1],
    );
    const one = await get(`${api}/go/${encodeURIComponent("public.example/dep")}`, acme);
    assertEquals([one.status, one.body.source, one.body.versions.length], [200, "cached", 1]);
    const ver = await get(`${api}/go/${encodeURIComponent("public.example/dep")}/v1.2.0`, acme);
    assertEquals([ver.status, ver.body.version, ver.body.sha256], [200, "v1.2.0", rec.sha256]);
    // Admins too.
    const root = await admin(down.kv);
    assertEquals((await get(`${api}?type=go&source=cached`, root)).body.length, 1);

    // Anonymous readers and other users of the public owner: nothing of the shared cache.
    for (const auth of [undefined, other, plain]) {
      assertEquals((await get(`${api}?type=go&source=cached`, auth)).body, []);
      assertEquals(
        (await get(`${api}/go/${encodeURIComponent("public.example/dep")}`, auth)).status,
        404,
      );
    }
    // An owner without pull-through lists nothing cached, even to itself.
    const none = await get(`${down.url}/api/v1/packages/plain?type=go&source=cached`, plain);
    assertEquals(none.body, []);
    assertEquals((await get(`${api}?type=go&source=elsewhere`, acme)).status, 400);
  });
});

Deno.test("evicting a module of more versions than one commit holds: every version, exact bytes, one audit entry per commit", async () => {
  const kv = await openStore(":memory:");
  try {
    const module = "many.example/m";
    let total = 0;
    for (let i = 0; i < 60; i++) {
      for (const kind of ["info", "mod"] as const) {
        const size = 10 + i + (kind === "mod" ? 1000 : 0);
        const record: CachedFileRecord = {
          module,
          version: `v1.0.${i}`,
          size,
          chunks: 0,
          sha256: "",
          h1: "",
          fetchedAt: new Date().toISOString(),
        };
        await kv.set(keys.upstreamFile(kind, module, record.version), record);
        total += size;
      }
    }
    await kv.set(keys.upstreamBytes(), new Deno.KvU64(BigInt(total + 7)));
    const eviction = await evictCached(kv, module, null, { name: "t", client: "t" }, 0);
    assertEquals([eviction.versions.length, eviction.bytes], [60, total]);
    assertEquals([await counter(kv), (await cachedRecords(kv)).size], [7, 0]);
    const audits = (await readAudit(kv, 1, 10)).entries;
    assertEquals(audits.map((a) => a.detail?.versions.split(",").length), [10, 25, 25]);
    assertEquals(audits.reduce((n, a) => n + Number(a.detail?.bytes), 0), total);
  } finally {
    kv.close();
  }
});
