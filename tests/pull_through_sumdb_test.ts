// Pull-through and the upstream checksum database (issue 11): every .mod and .zip a fill
// stores matches the database's record, proven against a signed head consistent with the
// heads trusted before; refusals are 502s that store nothing; `--upstream-nosumdb` exempts
// paths; `/sumdb/<name>/…` is passed through for owners with pull-through on. The database is
// tools/sumdbfixture (x/mod's sumdb.Server); the upstream proxy a counting modyard.
import { countKvKeys } from "./helpers/server.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { keys } from "../src/store/keys.ts";
import type { SumdbHeadRecord } from "../src/store/records.ts";
import { generateKey, SUM_GOLANG_ORG_KEY } from "../src/sumdb/note_key.ts";
import { checkFillAgainstSumdb } from "../src/upstream/sumdb_fill_check.ts";
import { parseSumdbUpstream } from "../src/upstream/sumdb_upstream_config.ts";
import { UpstreamError } from "../src/upstream/upstream_error.ts";
import type { UpstreamSumdb } from "../src/upstream/upstream_sumdb.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import {
  type CountingUpstream,
  fetchBytes,
  type PullThroughServer,
  type PullThroughServerOptions,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { recordOf, startSumdbFixture, type SumdbFixture } from "./helpers/sumdb_fixture.ts";
import { moduleZip } from "./helpers/zip.ts";

const ignore = !goPrerequisites(["golang.org/x/mod/sumdb"]);

/**
 * Runs a test against a fixture database, a counting upstream and a downstream server that
 * verifies with the database's key, at its URL (or, with `viaUpstream`, through the first
 * upstream's `/sumdb/<name>/`).
 */
async function withDatabase(
  options: Omit<PullThroughServerOptions, "upstream"> & { viaUpstream?: boolean },
  test: (db: SumdbFixture, up: CountingUpstream, down: PullThroughServer) => Promise<void>,
  /** The --sumdb-upstream value for this database, when neither default fits. */
  sumdbFor?: (db: SumdbFixture) => string,
): Promise<void> {
  const db = await startSumdbFixture();
  const up = await startCountingUpstream();
  const down = await startPullThroughServer({
    ...options,
    sumdbUpstream: sumdbFor?.(db) ??
      (options.viaUpstream ? db.vkey : `${db.vkey} ${db.url}`),
    upstream: up.goproxy,
  });
  try {
    await test(db, up, down);
  } finally {
    await down.close();
    await up.close();
    await db.close();
  }
}

/** Nothing of a refused fill is left: no cached file, chunk or upload lease. */
async function assertNothingStored(kv: Deno.Kv): Promise<void> {
  for (const kind of ["mod", "zip"]) assertEquals(await countKvKeys(kv, ["upstream", kind]), 0);
  assertEquals(await countKvKeys(kv, ["blob"]), 0);
  assertEquals(await countKvKeys(kv, ["upload"]), 0);
}

Deno.test("sumdb config: sum.golang.org by default, GOSUMDB syntax, off, GONOSUMDB patterns; bad values refused at startup", () => {
  const { config } = loadConfig([], () => undefined);
  assertEquals([config.sumdbUpstream, config.upstreamNoSumdb], ["sum.golang.org", ""]);
  assertEquals(parseSumdbUpstream(config.sumdbUpstream), {
    name: "sum.golang.org",
    vkey: SUM_GOLANG_ORG_KEY,
    url: null,
  });
  assertEquals(parseSumdbUpstream("off"), null);
  const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const env = loadConfig(
    ["--upstream-nosumdb=corp.example.com,*.internal"],
    (name) => name === "MODYARD_SUMDB_UPSTREAM" ? `${vkey} https://sumdb.example/x/` : undefined,
  ).config;
  assertEquals(env.upstreamNoSumdb, "corp.example.com,*.internal");
  assertEquals(parseSumdbUpstream(env.sumdbUpstream), {
    name: "PeterNeumann",
    vkey,
    url: "https://sumdb.example/x",
  });
  const refusals: [string[], string][] = [
    [["--sumdb-upstream", "sumdb.example"], "is refused"],
    [["--sumdb-upstream", vkey.replace("+c74f20a3+", "+c74f20a4+")], "wrong hash"],
    [["--sumdb-upstream", `${vkey} ftp://x.example`], "not an http(s) URL"],
    [["--sumdb-upstream", `${vkey} sumdb.example`], "not a URL"],
    [["--sumdb-upstream", `${vkey} https://a.example https://b.example`], "at most one URL"],
    [["--sumdb-upstream", ""], `"off"`],
    [["--upstream-nosumdb", "corp.example.com/["], "malformed"],
  ];
  for (const [args, reason] of refusals) {
    let message = "";
    try {
      loadConfig(args, () => undefined);
    } catch (err) {
      assertOk(err instanceof ConfigError, String(err));
      message = err.message;
    }
    assertIncludes(message, `--${args[0].slice(2)} / MODYARD_`, args.join(" "));
    assertIncludes(message, reason, args.join(" "));
  }
});

Deno.test({
  name: "sumdb: a fill whose h1s match the log is stored and served; one lookup per version",
  ignore,
  async fn() {
    await withDatabase({}, async (db, up, down) => {
      const zip = await up.publish("public.example/dep", "v1.0.0");
      await db.add(await recordOf("public.example/dep", "v1.0.0"));
      await db.filler(300); // record 0 is then proven by a full tile, kept in KV
      await down.owner("acme");
      const base = `${down.proxy("acme")}/public.example/dep/@v/v1.0.0`;
      const mod = await fetchBytes(`${base}.mod`);
      assertEquals([mod.status, mod.text], [200, "module public.example/dep\n"]);
      const got = await fetchBytes(`${base}.zip`);
      assertEquals([got.status, got.bytes], [200, zip]);
      assertEquals((await fetchBytes(`${base}.info`)).status, 200);
      const counts = await db.counts();
      assertEquals(counts["lookup/public.example/dep@v1.0.0"], 1);
      assertEquals(await countKvKeys(down.kv, ["upstream_sumdb_record"]), 1);
      assertEquals(await countKvKeys(down.kv, ["upstream_sumdb_tile", db.name, 0]), 1);
      const head = (await down.kv.get<SumdbHeadRecord>(keys.sumdbHead(db.name))).value;
      assertEquals(head?.n, 301);
      // Served from KV ever after, with no new lookup.
      assertEquals((await fetchBytes(`${base}.zip`)).bytes, zip);
      assertEquals((await db.counts())["lookup/public.example/dep@v1.0.0"], 1);
    });
  },
});

Deno.test({
  name:
    "sumdb: an upstream zip or go.mod that differs from the log is refused (502), nothing stored or served later",
  ignore,
  async fn() {
    await withDatabase({}, async (db, up, down) => {
      await up.publish("public.example/swapped", "v1.0.0");
      await db.add(await recordOf("public.example/swapped", "v1.0.0"));
      // The upstream serves other bytes after the log recorded the original.
      up.overrides.set(
        "public.example/swapped/@v/v1.0.0.zip",
        await moduleZip("public.example/swapped", "v1.0.0", {
          "go.mod": "module public.example/swapped\n",
          "a.go": "package a // with a backdoor\n",
        }),
      );
      // And a go.mod that the log records with other content.
      await up.publish("public.example/modlie", "v1.0.0");
      await db.add(
        await recordOf("public.example/modlie", "v1.0.0", {
          "go.mod": "module public.example/modlie\n\ngo 1.19\n",
          "a.go": "package a\n",
        }),
      );
      await down.owner("acme");
      const zipUrl = `${down.proxy("acme")}/public.example/swapped/@v/v1.0.0.zip`;
      const modUrl = `${down.proxy("acme")}/public.example/modlie/@v/v1.0.0.mod`;
      for (let i = 1; i <= 2; i++) {
        const r = await fetchBytes(zipUrl);
        assertEquals(r.status, 502, r.text);
        assertIncludes(r.text, "public.example/swapped@v1.0.0");
        assertIncludes(r.text, "checksum mismatch");
        assertIncludes(r.text, "must match the upstream checksum database");
        const m = await fetchBytes(modUrl);
        assertEquals(m.status, 502, m.text);
        assertIncludes(m.text, "upstream mod of public.example/modlie@v1.0.0 refused");
        assertIncludes(m.text, "checksum mismatch");
        await assertNothingStored(down.kv);
        // Refused again next time: asked upstream again, never served from a cache.
        assertEquals(up.counts.get("public.example/swapped/@v/v1.0.0.zip"), i);
      }
      assertEquals((await fetchBytes(zipUrl.replace(".zip", ".mod"))).status, 200);
    });
  },
});

Deno.test({
  name:
    "sumdb: a module the log lacks is refused naming --upstream-nosumdb; a nosumdb pattern exempts it without asking the database",
  ignore,
  async fn() {
    await withDatabase({}, async (db, up, down) => {
      await up.publish("unlogged.example/m", "v1.0.0");
      await down.owner("acme");
      const r = await fetchBytes(`${down.proxy("acme")}/unlogged.example/m/@v/v1.0.0.zip`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "unlogged.example/m@v1.0.0");
      assertIncludes(r.text, "does not know this module version");
      assertIncludes(r.text, "--upstream-nosumdb");
      await assertNothingStored(down.kv);
      assertEquals((await db.counts())["lookup/unlogged.example/m@v1.0.0"], 1);
    });
    await withDatabase({ upstreamNoSumdb: "unlogged.example" }, async (db, up, down) => {
      const zip = await up.publish("unlogged.example/m", "v1.0.0");
      await down.owner("acme");
      const r = await fetchBytes(`${down.proxy("acme")}/unlogged.example/m/@v/v1.0.0.zip`);
      assertEquals([r.status, r.bytes], [200, zip]);
      assertEquals(await db.counts(), {});
    });
  },
});

Deno.test({
  name:
    "sumdb: a head that forks from the trusted one is refused and the trusted head kept; a head signed by another key is refused",
  ignore,
  async fn() {
    await withDatabase({}, async (db, up, down) => {
      await up.publish("public.example/first", "v1.0.0");
      await up.publish("public.example/second", "v1.0.0");
      await db.add(await recordOf("public.example/first", "v1.0.0"));
      await down.owner("acme");
      const first = await fetchBytes(`${down.proxy("acme")}/public.example/first/@v/v1.0.0.mod`);
      assertEquals(first.status, 200, first.text);
      const trusted = (await down.kv.get<SumdbHeadRecord>(keys.sumdbHead(db.name))).value!;
      assertEquals(trusted.n, 1);
      // Same key, another history: record 0 is now something else.
      await db.replace(
        await recordOf("public.example/rewritten", "v1.0.0"),
        await recordOf("public.example/second", "v1.0.0"),
      );
      const r = await fetchBytes(`${down.proxy("acme")}/public.example/second/@v/v1.0.0.mod`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "public.example/second@v1.0.0");
      assertIncludes(r.text, "inconsistent with the head modyard trusts (tree 1)");
      const kept = (await down.kv.get<SumdbHeadRecord>(keys.sumdbHead(db.name))).value!;
      assertEquals([kept.n, kept.hash], [trusted.n, trusted.hash]);
      // The first .mod stays cached; the second was not stored.
      assertEquals(await countKvKeys(down.kv, ["upstream", "mod"]), 1);
      assertEquals(
        (await down.kv.get(keys.upstreamFile("mod", "public.example/second", "v1.0.0"))).value,
        null,
      );
    });
    // The configured key differs from the one that signs (same name).
    const db = await startSumdbFixture();
    const up = await startCountingUpstream();
    const other = (await generateKey(db.name)).verifierKey;
    const down = await startPullThroughServer({
      upstream: up.goproxy,
      sumdbUpstream: `${other} ${db.url}`,
    });
    try {
      await up.publish("public.example/dep", "v1.0.0");
      await db.add(await recordOf("public.example/dep", "v1.0.0"));
      await down.owner("acme");
      const r = await fetchBytes(`${down.proxy("acme")}/public.example/dep/@v/v1.0.0.zip`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "does not verify with the configured key");
      await assertNothingStored(down.kv);
      assertEquals((await down.kv.get(keys.sumdbHead(db.name))).value, null);
    } finally {
      await down.close();
      await up.close();
      await db.close();
    }
  },
});

Deno.test("sumdb: a record without the go.mod line (or the zip line) refuses the fill", async () => {
  const fake = (text: string) =>
    ({
      name: "sum.example",
      record: () =>
        Promise.resolve(
          text.trim().split("\n").map((l) => {
            const [path, version, hash] = l.split(" ");
            return { path, version, hash };
          }),
        ),
    }) as unknown as UpstreamSumdb;
  const zipOnly = fake("example.com/m v1.0.0 h1:zip=\n");
  await checkFillAgainstSumdb(zipOnly, "zip", "example.com/m", "v1.0.0", "h1:zip=");
  for (
    const [db, kind, line] of [
      [zipOnly, "mod", "example.com/m v1.0.0/go.mod h1:…"],
      [fake("example.com/m v1.0.0/go.mod h1:mod=\n"), "zip", "example.com/m v1.0.0 h1:…"],
      [fake("example.com/other v1.0.0 h1:zip=\n"), "zip", "example.com/m v1.0.0 h1:…"],
    ] as const
  ) {
    let err: unknown;
    try {
      await checkFillAgainstSumdb(db, kind, "example.com/m", "v1.0.0", "h1:zip=");
    } catch (e) {
      err = e;
    }
    assertOk(err instanceof UpstreamError, String(err));
    assertEquals(err.status, 502);
    assertIncludes(err.message, `has no line "${line}"`);
  }
});

Deno.test({
  name:
    "sumdb passthrough: supported only for the configured name, pull-through owners, and a database reachable through modyard",
  ignore,
  async fn() {
    // Without a URL: through the first upstream, which does not offer the database.
    await withDatabase({ viaUpstream: true }, async (db, up, down) => {
      await down.owner("acme");
      await down.owner("plain", { pullThrough: false });
      const supported = (owner: string, name = db.name) =>
        fetchBytes(`${down.proxy(owner)}/sumdb/${name}/supported`);
      const off = await supported("acme");
      assertEquals(off.status, 404, off.text);
      assertIncludes(off.text, "not offered by the upstream proxy");
      assertEquals(up.counts.get(`sumdb/${db.name}/supported`), 1);
      // Once the upstream offers it (after the cached answer expires: a fresh server).
      up.sumdb = { name: db.name, url: db.url };
      assertEquals((await supported("acme")).status, 404); // still the cached answer
      const again = await startPullThroughServer({
        upstream: up.goproxy,
        sumdbUpstream: db.vkey,
        kv: down.kv,
      });
      try {
        const on = await fetchBytes(`${again.proxy("acme")}/sumdb/${db.name}/supported`);
        assertEquals([on.status, on.text], [200, ""]);
        assertEquals(
          (await fetchBytes(`${again.proxy("acme")}/sumdb/${db.name}/supported`)).status,
          200,
        );
        assertEquals(up.counts.get(`sumdb/${db.name}/supported`), 2);
        assertEquals((await db.counts())["supported"], 1);
        // Other names, and owners without pull-through: 404 as before.
        for (
          const [owner, name] of [["acme", "sum.golang.org"], ["acme", "other.example"], [
            "plain",
            db.name,
          ]]
        ) {
          const r = await fetchBytes(`${again.proxy(owner)}/sumdb/${name}/supported`);
          assertEquals([r.status, r.text], [404, "modyard does not proxy checksum databases\n"]);
        }
      } finally {
        await again.close();
      }
    });
  },
});

Deno.test({
  name:
    "sumdb passthrough: lookups and tiles forwarded, full tiles from KV, the owner's hosted and private paths never looked up",
  ignore,
  async fn() {
    await withDatabase({}, async (db, up, down) => {
      await up.publish("public.example/dep", "v1.0.0");
      await db.add(await recordOf("public.example/dep", "v1.0.0"));
      await db.filler(600);
      const auth = await down.owner("acme", { privatePaths: "secret.example" });
      await down.publish("acme", auth, "corp.example.com/lib", "v1.0.0");
      const base = `${down.proxy("acme")}/sumdb/${db.name}`;
      assertEquals((await fetchBytes(`${base}/supported`)).status, 200);
      // A fill proves record 0 with tile 8/0/000 and keeps it.
      assertEquals(
        (await fetchBytes(`${down.proxy("acme")}/public.example/dep/@v/v1.0.0.zip`)).status,
        200,
      );
      const lookup = await fetchBytes(`${base}/lookup/public.example/dep@v1.0.0`);
      const direct = await fetchBytes(`${db.url}/lookup/public.example/dep@v1.0.0`);
      assertEquals([lookup.status, lookup.text], [200, direct.text]);
      assertEquals((await db.counts())["lookup/public.example/dep@v1.0.0"], 3);
      // Full tiles: 000 from KV (fetched once, by the fill); 001 fetched, authenticated, kept.
      const want = new Map<string, Uint8Array>();
      for (const n of ["000", "001"]) {
        want.set(n, (await fetchBytes(`${db.url}/tile/8/0/${n}`)).bytes);
      }
      for (const n of ["000", "000", "001", "001"]) {
        const tile = await fetchBytes(`${base}/tile/8/0/${n}`);
        assertEquals([tile.status, tile.bytes], [200, want.get(n)]);
        assertIncludes(tile.headers.get("cache-control") ?? "", "immutable");
      }
      const counts = await db.counts();
      assertEquals([counts["tile/8/0/000"], counts["tile/8/0/001"]], [2, 2]); // ours + direct
      // Partial tiles and latest: forwarded, reused for a few seconds.
      const seen = async () => {
        const c = await db.counts();
        return [c["tile/8/0/002.p/89"] ?? 0, c["latest"] ?? 0];
      };
      const before = await seen();
      for (let i = 0; i < 2; i++) {
        assertEquals((await fetchBytes(`${base}/tile/8/0/002.p/89`)).bytes.byteLength, 89 * 32);
        assertIncludes((await fetchBytes(`${base}/latest`)).text, "go.sum database tree\n601\n");
      }
      assertEquals(await seen(), [before[0] + 1, before[1] + 1]);
      assertEquals((await fetchBytes(`${base}/tile/8/0/009`)).status, 404);
      // The owner's hosted and private paths never reach the database.
      for (const path of ["corp.example.com/lib@v1.0.0", "secret.example/x@v1.0.0"]) {
        const r = await fetchBytes(`${base}/lookup/${path}`);
        assertEquals(r.status, 404, r.text);
        assertIncludes(r.text, "never looked up");
      }
      assertEquals(
        Object.keys(await db.counts()).filter((p) => /corp|secret/.test(p)),
        [],
      );
      // Bad paths: 4xx with the reason.
      for (const bad of ["lookup/nonsense", "tile/8/0/1", "tile/8/x/000", "other"]) {
        const r = await fetchBytes(`${base}/${bad}`);
        assertOk(r.status >= 400 && r.status < 500, `${bad}: ${r.status}`);
      }
    });
  },
});

Deno.test({
  name: "sumdb passthrough: a private owner's database answers need its credentials",
  ignore,
  async fn() {
    await withDatabase({}, async (db, _up, down) => {
      const auth = await down.owner("secret", { private: true });
      const url = `${down.proxy("secret")}/sumdb/${db.name}/supported`;
      assertEquals((await fetchBytes(url)).status, 401);
      const r = await fetchBytes(url, { headers: { authorization: auth } });
      assertEquals(r.status, 200);
      assertIncludes(r.headers.get("cache-control") ?? "", "private");
    });
  },
});

Deno.test({
  name: "sumdb: the database client never follows a redirect to another host",
  ignore,
  async fn() {
    const db = await startSumdbFixture();
    const redirector = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      (req) => Response.redirect(`${db.url}${new URL(req.url).pathname}`, 302),
    );
    await withDatabase({}, async (_db, up, down) => {
      await up.publish("public.example/dep", "v1.0.0");
      await db.add(await recordOf("public.example/dep", "v1.0.0"));
      await down.owner("acme");
      const r = await fetchBytes(`${down.proxy("acme")}/public.example/dep/@v/v1.0.0.zip`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "redirected to another host");
      assertEquals(await db.counts(), {});
      await assertNothingStored(down.kv);
    }, () => `${db.vkey} http://127.0.0.1:${redirector.addr.port}`).finally(async () => {
      await redirector.shutdown();
      await db.close();
    });
  },
});
