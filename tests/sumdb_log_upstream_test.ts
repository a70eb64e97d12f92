// Public modules in an owner's own checksum log (issue 12): a lookup the log cannot answer is
// filled from the upstream checksum database (verified there), appended once as the same two
// go.sum lines and answered from the log, for owners with pull-through on or off; hosted and
// private paths never reach the database; no upstream, an unknown version, an outage and a
// fork answer 404/404/5xx/502 with nothing appended; appends are bounded per owner (429).
import { createUser } from "../src/registry/accounts.ts";
import { parseLookup } from "../src/sumdb/records.ts";
import type { GoSumLine } from "../src/sumdb/records.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import type { LoggedVersion, LogHead } from "../src/store/records.ts";
import {
  appendCountKey,
  type RecordSource,
  UpstreamAppends,
} from "../src/sumdb_log/upstream_append.ts";
import { UpstreamError } from "../src/upstream/upstream_error.ts";
import { NotInSumdbError } from "../src/upstream/upstream_sumdb.ts";
import { openStore } from "../src/store/open_store.ts";
import { keys } from "../src/store/keys.ts";
import type { SumdbHeadRecord } from "../src/store/records.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import { fetchBytes } from "./helpers/pull_through.ts";
import { startTestServer } from "./helpers/server.ts";
import { type FixtureRecord, recordOf } from "./helpers/sumdb_fixture.ts";
import { moduleZip } from "./helpers/zip.ts";
import {
  logOwner,
  type RigOptions,
  startUpstreamLogRig,
  type UpstreamLogRig,
  verifyOwnerLookup,
} from "./helpers/sumdb_log_upstream.ts";

const ignore = !goPrerequisites(["golang.org/x/mod/sumdb"]);

async function withRig(
  options: RigOptions,
  test: (rig: UpstreamLogRig) => Promise<void>,
): Promise<void> {
  const rig = await startUpstreamLogRig(options);
  try {
    await test(rig);
  } finally {
    await rig.close();
  }
}

/** The record text sum.golang.org (and the fixture) logs for a fixture record. */
function textOf(r: FixtureRecord): string {
  return `${r.path} ${r.version} ${r.zip}\n${r.path} ${r.version}/go.mod ${r.mod}\n`;
}

async function logSize(kv: Deno.Kv, owner: string): Promise<number> {
  return (await kv.get<LogHead>(keys.logHead(owner))).value?.n ?? 0;
}

async function entry(kv: Deno.Kv, owner: string, r: { path: string; version: string }) {
  return (await kv.get<LoggedVersion>(keys.logEntry(owner, r.path, r.version))).value;
}

/** Lookups the fixture database saw for paths containing `part`. */
async function lookupsOf(rig: UpstreamLogRig, part: string): Promise<number> {
  let n = 0;
  for (const [path, count] of Object.entries(await rig.db.counts())) {
    if (path.startsWith("lookup/") && path.includes(part)) n += count;
  }
  return n;
}

Deno.test({
  name:
    "sumdb log upstream: a public version is appended once (one upstream lookup across repeated and 20 concurrent lookups) and answered from the log with the upstream's h1s",
  ignore,
  async fn() {
    await withRig({}, async (rig) => {
      const dep = await recordOf("public.example/dep", "v1.0.0");
      const other = await recordOf("public.example/other", "v1.2.0");
      await rig.db.add(dep, other);
      await rig.db.filler(300);
      // Pull-through off: the go command sends every lookup to this log all the same.
      const plain = await rig.owner("plain");
      const first = await fetchBytes(`${plain.log}/lookup/public.example/dep@v1.0.0`);
      assertEquals(first.status, 200, first.text);
      const verified = await verifyOwnerLookup(plain, first.bytes);
      assertEquals([verified.id, new TextDecoder().decode(verified.text)], [0, textOf(dep)]);
      assertEquals(verified.tree.n, 1);
      assertEquals(await lookupsOf(rig, "public.example/dep"), 1);
      // Repeated: from the log, byte for byte; the database is not asked again.
      for (let i = 0; i < 3; i++) {
        const again = await fetchBytes(`${plain.log}/lookup/public.example/dep@v1.0.0`);
        assertEquals([again.status, again.text], [200, first.text]);
      }
      // 20 at once of a version not yet logged: one append, one upstream lookup.
      const all = await Promise.all(
        Array.from(
          { length: 20 },
          () => fetchBytes(`${plain.log}/lookup/public.example/other@v1.2.0`),
        ),
      );
      assertEquals(all.map((r) => r.status), Array(20).fill(200), all[0].text);
      assertEquals(new Set(all.map((r) => r.text)).size, 1);
      const second = await verifyOwnerLookup(plain, all[0].bytes, verified.latest);
      assertEquals([second.id, new TextDecoder().decode(second.text)], [1, textOf(other)]);
      assertEquals(await lookupsOf(rig, "public.example/other"), 1);
      assertEquals(await logSize(rig.server.kv, "plain"), 2);
      assertEquals(await entry(rig.server.kv, "plain", other), { id: 1, text: textOf(other) });
      // An owner with pull-through on gets its own record in its own log.
      const acme = await rig.owner("acme", { pullThrough: true });
      const own = await fetchBytes(`${acme.log}/lookup/public.example/other@v1.2.0`);
      assertEquals(own.status, 200, own.text);
      const mine = await verifyOwnerLookup(acme, own.bytes);
      assertEquals([mine.id, new TextDecoder().decode(mine.text)], [0, textOf(other)]);
      assertEquals(await logSize(rig.server.kv, "acme"), 1);
    });
  },
});

Deno.test({
  name:
    "sumdb log upstream: a logged version is answered from the log during an upstream outage; two servers on one store append a version once",
  ignore,
  async fn() {
    await withRig({ viaUpstream: true }, async (rig) => {
      const dep = await recordOf("public.example/dep", "v1.0.0");
      const more = await Promise.all(
        [1, 2, 3, 4, 5].map((i) => recordOf(`public.example/m${i}`, "v1.0.0")),
      );
      await rig.db.add(dep, ...more);
      const plain = await rig.owner("plain");
      const url = `${plain.log}/lookup/public.example/dep@v1.0.0`;
      const first = await fetchBytes(url);
      assertEquals(first.status, 200, first.text);
      rig.up.down = true;
      const during = await fetchBytes(url);
      assertEquals([during.status, during.text], [200, first.text]);
      rig.up.down = false;
      // A second server on the same store; both asked for the same new versions at once.
      const twin = await startTestServer({
        store: rig.server.kv,
        pullThrough: {
          upstream: rig.up.goproxy,
          ttlSeconds: 60,
          maxCacheBytes: 1 << 30,
          sumdbUpstream: rig.db.vkey,
        },
      });
      try {
        const twinLog = plain.log.replace(rig.server.url, twin.url);
        const answers = await Promise.all(
          more.flatMap((r) =>
            [plain.log, twinLog, plain.log, twinLog].map((base) =>
              fetchBytes(`${base}/lookup/${r.path}@${r.version}`)
            )
          ),
        );
        assertEquals(answers.map((r) => r.status), Array(20).fill(200), answers[0].text);
        assertEquals(await logSize(rig.server.kv, "plain"), 6);
        const ids = new Set<number>();
        for (const r of more) {
          const e = await entry(rig.server.kv, "plain", r);
          assertEquals(e?.text, textOf(r));
          ids.add(e!.id);
        }
        assertEquals([...ids].sort(), [1, 2, 3, 4, 5]);
        // Every answer proves its record, with a head consistent with the final tree. A server
        // may answer from its reply cache with a head up to the one-second staleness bound old
        // (still a valid proof); past it, the head is the final one.
        await new Promise((r) => setTimeout(r, 1100));
        const final = await verifyOwnerLookup(plain, (await fetchBytes(url)).bytes);
        assertEquals(final.tree.n, 6);
        for (const [i, a] of answers.entries()) {
          const v = await verifyOwnerLookup(plain, a.bytes, final.tree);
          assertEquals(new TextDecoder().decode(v.text), textOf(more[Math.floor(i / 4)]));
        }
      } finally {
        await twin.close();
      }
    });
  },
});

Deno.test({
  name:
    "sumdb log upstream: hosted paths (and paths above or below them) and private paths answer 404 and never reach the database",
  ignore,
  async fn() {
    await withRig({}, async (rig) => {
      const paths = [
        "corp.example.com/lib@v1.1.0", // hosted module, unpublished version
        "corp.example.com/lib/sub@v1.0.0", // below a hosted module
        "corp.example.com@v1.0.0", // above it
        "secret.example/x@v1.0.0", // private pattern
        "secret.example@v1.0.0", // the private pattern's own path
      ];
      // The database knows them all: only modyard's rule keeps them away.
      for (const p of paths) {
        const [path, version] = p.split("@");
        await rig.db.add(await recordOf(path, version));
      }
      for (const pullThrough of [false, true]) {
        const name = pullThrough ? "acme" : "plain";
        const owner = await rig.owner(name, { pullThrough, privatePaths: "secret.example" });
        const zip = await moduleZip(
          "corp.example.com/lib",
          "v1.0.0",
          { "go.mod": "module corp.example.com/lib\n", "lib.go": "package lib\n" },
        );
        const res = await rig.server.upload(name, zip, owner.auth);
        assertEquals(res.status, 201, await res.text());
        for (const p of paths) {
          const r = await fetchBytes(`${owner.log}/lookup/${p}`);
          assertEquals(r.status, 404, `${name} ${p}: ${r.text}`);
          assertIncludes(r.text, `is hosted by or private to ${name}, so it is never looked up`);
        }
        // The hosted version itself is in the log (published).
        const hosted = await fetchBytes(`${owner.log}/lookup/corp.example.com/lib@v1.0.0`);
        assertEquals(hosted.status, 200, hosted.text);
        assertEquals(await logSize(rig.server.kv, name), 1);
      }
      assertEquals(await lookupsOf(rig, "corp.example.com"), 0);
      assertEquals(await lookupsOf(rig, "secret.example"), 0);
    });
  },
});

Deno.test("sumdb log upstream: without an upstream database a miss is a 404 saying what to configure", async () => {
  const server = await startTestServer();
  const off = await startTestServer({
    pullThrough: {
      upstream: "http://127.0.0.1:9/none",
      ttlSeconds: 60,
      maxCacheBytes: 1 << 30,
      sumdbUpstream: "off",
    },
  });
  try {
    for (const [s, how] of [[server, "no --upstream"], [off, "--sumdb-upstream is off"]] as const) {
      const owner = await logOwner(s, "plain");
      const r = await fetchBytes(`${owner.log}/lookup/public.example/dep@v1.0.0`);
      assertEquals(r.status, 404, r.text);
      assertIncludes(
        r.text,
        `public.example/dep@v1.0.0 is not in checksum database ${owner.meta.name}`,
      );
      assertIncludes(r.text, how);
      assertIncludes(r.text, "--upstream with --sumdb-upstream");
      assertIncludes(r.text, "GONOSUMDB");
      assertEquals(await logSize(s.kv, "plain"), 0);
    }
  } finally {
    await off.close();
    await server.close();
  }
});

Deno.test({
  name:
    "sumdb log upstream: a version the upstream database does not know is a 404 with its reason; invalid paths and versions are 404s never asked",
  ignore,
  async fn() {
    await withRig({}, async (rig) => {
      const plain = await rig.owner("plain");
      const r = await fetchBytes(`${plain.log}/lookup/unknown.example/m@v1.0.0`);
      assertEquals(r.status, 404, r.text);
      assertIncludes(r.text, "unknown.example/m@v1.0.0 is not in checksum database");
      assertIncludes(r.text, `checksum database ${rig.db.name} does not know this module version`);
      assertIncludes(r.text, "answered 404: "); // followed by the database's own words
      assertIncludes(r.text, "file does not exist");
      assertEquals(await lookupsOf(rig, "unknown.example"), 1);
      assertEquals(await logSize(rig.server.kv, "plain"), 0);
      // Known later (sum.golang.org adds records on first lookup): appended then.
      const rec = await recordOf("unknown.example/m", "v1.0.0");
      await rig.db.add(rec);
      const later = await fetchBytes(`${plain.log}/lookup/unknown.example/m@v1.0.0`);
      assertEquals(later.status, 200, later.text);
      assertEquals(new TextDecoder().decode(parseLookup(later.bytes).text), textOf(rec));
      // Not a module path, or not canonical: never asked.
      for (
        const [bad, why] of [
          ["-x.example/m@v1.0.0", "malformed module path"],
          ["bad.example/m@v01.0.0", "not canonical"],
          ["bad.example/m@v1.0.0-rc+meta", "not canonical"],
        ]
      ) {
        const b = await fetchBytes(`${plain.log}/lookup/${bad}`);
        assertEquals(b.status, 404, `${bad}: ${b.text}`);
        assertIncludes(b.text, why);
      }
      assertEquals(await lookupsOf(rig, "x.example"), 0);
      assertEquals(await lookupsOf(rig, "bad.example"), 0);
    });
  },
});

Deno.test({
  name:
    "sumdb log upstream: an outage is a 502 (down) or 504 (no answer in time), never a 404, and appends nothing",
  ignore,
  async fn() {
    await withRig({ viaUpstream: true }, async (rig) => {
      const rec = await recordOf("public.example/dep", "v1.0.0");
      await rig.db.add(rec);
      const plain = await rig.owner("plain");
      rig.up.down = true;
      const url = `${plain.log}/lookup/public.example/dep@v1.0.0`;
      const r = await fetchBytes(url);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "could not be asked");
      assertIncludes(r.text, "answered 503");
      assertEquals(await logSize(rig.server.kv, "plain"), 0);
      rig.up.down = false; // nothing of the failure is kept
      assertEquals((await fetchBytes(url)).status, 200);
    });
    // A database that accepts connections but answers too late.
    const hang = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      () => new Promise<Response>((ok) => setTimeout(() => ok(new Response("late")), 1500)),
    );
    const hangUrl = `http://127.0.0.1:${hang.addr.port}`;
    try {
      await withRig(
        { limits: { connectTimeoutMs: 300 } },
        async (rig) => {
          const again = await startTestServer({
            store: rig.server.kv,
            pullThrough: {
              upstream: rig.up.goproxy,
              ttlSeconds: 60,
              maxCacheBytes: 1 << 30,
              sumdbUpstream: `${rig.db.vkey} ${hangUrl}`,
              limits: { connectTimeoutMs: 300 },
            },
          });
          try {
            await rig.db.add(await recordOf("public.example/dep", "v1.0.0"));
            const plain = await logOwner(again, "plain");
            const r = await fetchBytes(`${plain.log}/lookup/public.example/dep@v1.0.0`);
            assertEquals(r.status, 504, r.text);
            assertIncludes(r.text, "did not answer within 300 ms");
            assertEquals(await logSize(again.kv, "plain"), 0);
          } finally {
            await again.close();
          }
        },
      );
    } finally {
      await hang.shutdown();
    }
  },
});

Deno.test({
  name:
    "sumdb log upstream: a forked upstream database is a 502 naming the inconsistency, nothing appended, the trusted head kept",
  ignore,
  async fn() {
    await withRig({}, async (rig) => {
      await rig.db.add(await recordOf("public.example/first", "v1.0.0"));
      const plain = await rig.owner("plain");
      const first = await fetchBytes(`${plain.log}/lookup/public.example/first@v1.0.0`);
      assertEquals(first.status, 200, first.text);
      // Same key, another history: record 0 is something else now.
      await rig.db.replace(
        await recordOf("public.example/rewritten", "v1.0.0"),
        await recordOf("public.example/second", "v1.0.0"),
      );
      const r = await fetchBytes(`${plain.log}/lookup/public.example/second@v1.0.0`);
      assertEquals(r.status, 502, r.text);
      assertIncludes(r.text, "public.example/second@v1.0.0");
      assertIncludes(r.text, "inconsistent with the head modyard trusts (tree 1)");
      assertEquals(await logSize(rig.server.kv, "plain"), 1);
      assertEquals(
        await entry(rig.server.kv, "plain", { path: "public.example/second", version: "v1.0.0" }),
        null,
      );
      const trusted = (await rig.server.kv.get<SumdbHeadRecord>(keys.sumdbHead(rig.db.name)))
        .value;
      assertEquals(trusted?.n, 1);
      // The version logged before the fork still answers, from the log.
      const kept = await fetchBytes(`${plain.log}/lookup/public.example/first@v1.0.0`);
      assertEquals([kept.status, kept.text], [200, first.text]);
    });
  },
});

Deno.test({
  name:
    "sumdb log upstream: appends beyond an owner's bound answer 429 with Retry-After without asking the database; other owners and logged versions unaffected",
  ignore,
  async fn() {
    await withRig({ logAppends: { perWindow: 2, windowSeconds: 3600 } }, async (rig) => {
      const recs = await Promise.all(
        [1, 2, 3].map((i) => recordOf(`public.example/m${i}`, "v1.0.0")),
      );
      await rig.db.add(...recs);
      const plain = await rig.owner("plain");
      const url = (o: { log: string }, i: number) => `${o.log}/lookup/public.example/m${i}@v1.0.0`;
      assertEquals((await fetchBytes(url(plain, 1))).status, 200);
      assertEquals((await fetchBytes(url(plain, 2))).status, 200);
      const r = await fetchBytes(url(plain, 3));
      assertEquals(r.status, 429, r.text);
      assertIncludes(r.text, "took 2 module versions from checksum database");
      const retry = Number(r.headers.get("retry-after"));
      assertOk(retry >= 1 && retry <= 3600, `retry-after ${retry}`);
      assertEquals(await lookupsOf(rig, "public.example/m3"), 0);
      assertEquals(await logSize(rig.server.kv, "plain"), 2);
      // Logged versions keep answering; another owner has its own bound.
      assertEquals((await fetchBytes(url(plain, 1))).status, 200);
      const other = await rig.owner("other");
      assertEquals((await fetchBytes(url(other, 3))).status, 200);
      assertEquals(await lookupsOf(rig, "public.example/m3"), 1);
    });
  },
});

Deno.test({
  name:
    "sumdb log upstream: a private owner's log takes public records only for readers it admits (401/403 never ask the database)",
  ignore,
  async fn() {
    await withRig({}, async (rig) => {
      await rig.db.add(await recordOf("public.example/dep", "v1.0.0"));
      const corp = await rig.owner("corp", { private: true });
      const stranger = await rig.server.user("stranger");
      const url = `${corp.log}/lookup/public.example/dep@v1.0.0`;
      const anonymous = await fetchBytes(url);
      assertEquals(anonymous.status, 401, anonymous.text);
      const other = await fetchBytes(url, { headers: { authorization: stranger } });
      assertEquals(other.status, 403, other.text);
      assertEquals(await lookupsOf(rig, "public.example/dep"), 0);
      assertEquals(await logSize(rig.server.kv, "corp"), 0);
      const own = await fetchBytes(url, { headers: { authorization: corp.auth } });
      assertEquals(own.status, 200, own.text);
      const v = await verifyOwnerLookup(corp, own.bytes, null, corp.auth);
      assertEquals(v.id, 0);
      assertEquals(await lookupsOf(rig, "public.example/dep"), 1);
    });
  },
});

/** A record source over fixed records, counting lookups. */
function fakeSource(records: Record<string, string>): RecordSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    name: "sum.example",
    asked,
    record(module: string, version: string): Promise<GoSumLine[]> {
      asked.push(`${module}@${version}`);
      const text = records[`${module}@${version}`];
      if (text === undefined) {
        return Promise.reject(new NotInSumdbError("unknown", "upstream answered 404: not found"));
      }
      return Promise.resolve(
        text.trim().split("\n").map((l) => {
          const [path, v, hash] = l.split(" ");
          return { path, version: v, hash };
        }),
      );
    },
  };
}

async function appendError(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error("no error");
}

Deno.test("sumdb log upstream: the bound counts per clock-aligned window and resets with the next; records lacking a line are refused", async () => {
  const kv = await openStore(":memory:");
  try {
    await createUser(kv, "alice", {});
    await enableLog(kv, "alice", { name: "modyard.test/alice" });
    const line = (m: string, v: string, suffix = "") => `${m} ${v}${suffix} h1:${m.length}${v}=`;
    const records: Record<string, string> = {};
    for (const m of ["a.example/m", "b.example/m", "c.example/m", "d.example/m"]) {
      records[`${m}@v1.0.0`] = `${line(m, "v1.0.0")}\n${line(m, "v1.0.0", "/go.mod")}\n`;
    }
    records["zip.example/only@v1.0.0"] = `${line("zip.example/only", "v1.0.0")}\n`;
    records["mod.example/only@v1.0.0"] = `${line("mod.example/only", "v1.0.0", "/go.mod")}\n`;
    const source = fakeSource(records);
    let now = 10 * 60_000 + 15_000; // 15 s into the 11th one-minute window
    const appends = new UpstreamAppends(
      kv,
      source,
      { perWindow: 2, windowSeconds: 60 },
      () => now,
    );
    assertEquals((await appends.append("alice", "a.example/m", "v1.0.0")).id, 0);
    assertEquals((await appends.append("alice", "b.example/m", "v1.0.0")).id, 1);
    // Logged already: returned, not asked, not counted.
    assertEquals((await appends.append("alice", "a.example/m", "v1.0.0")).id, 0);
    const full = await appendError(appends.append("alice", "c.example/m", "v1.0.0"));
    assertEquals([full.status, full.retryAfter], [429, 45]);
    assertEquals(source.asked, ["a.example/m@v1.0.0", "b.example/m@v1.0.0"]);
    assertEquals((await kv.get(appendCountKey("alice", 10 * 60_000))).value, 2);
    now += 45_000; // the next window
    assertEquals((await appends.append("alice", "c.example/m", "v1.0.0")).id, 2);
    // Unknown upstream: 404 with the upstream's words; a record lacking a line: 502.
    const unknown = await appendError(appends.append("alice", "x.example/m", "v1.0.0"));
    assertEquals(unknown.status, 404);
    assertMatch(
      unknown.message,
      /does not know this module version \(upstream answered 404: not found\)/,
    );
    for (
      const [m, missing] of [
        ["zip.example/only", "zip.example/only v1.0.0/go.mod h1:…"],
        ["mod.example/only", "mod.example/only v1.0.0 h1:…"],
      ]
    ) {
      const e = await appendError(appends.append("alice", m, "v1.0.0"));
      assertEquals(e.status, 502);
      assertIncludes(e.message, `has no line "${missing}"`);
    }
    assertEquals((await kv.get<LogHead>(keys.logHead("alice"))).value?.n, 3);
    // Twenty at once of one version: one lookup, one record.
    const asked = source.asked.length;
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => appends.append("alice", "d.example/m", "v1.0.0")),
    );
    assertEquals(new Set(ids.map((e) => e.id)), new Set([3]));
    assertEquals(source.asked.length, asked + 1);
  } finally {
    kv.close();
  }
});
