// Pull-through `list` and `@latest` answers (issue 11): a list larger than one KV value is
// kept whole (in parts, switched atomically, never torn) and served stale during an outage;
// and when the upstream deletes a module, what modyard cached of it is still listed.
import { keys } from "../src/store/keys.ts";
import type { UpstreamAnswerRecord } from "../src/store/records.ts";
import {
  INLINE_LIMIT,
  loadAnswer,
  MAX_LIST_SIZE,
  PART_SIZE,
  storeAnswer,
} from "../src/upstream/upstream_answers.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  type CountingUpstream,
  fetchBytes,
  type PullThroughServer,
  startCountingUpstream,
  startPullThroughServer,
  UPSTREAM_OWNER,
} from "./helpers/pull_through.ts";

const enc = new TextEncoder();

async function withServers(
  ttlSeconds: number,
  test: (up: CountingUpstream, down: PullThroughServer) => Promise<void>,
): Promise<void> {
  const up = await startCountingUpstream();
  const down = await startPullThroughServer({ upstream: up.goproxy, ttlSeconds });
  try {
    await test(up, down);
  } finally {
    await down.close();
    await up.close();
  }
}

/** A list of canonical versions `vMAJOR.MINOR.0`, at most `bytes` long, sorted. */
function bigList(bytes: number, major = 1): string {
  const lines: string[] = [];
  let size = 0;
  for (let minor = 0;; minor++) {
    const line = `v${major}.${minor}.0\n`;
    if (size + line.length > bytes) break;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

async function partKeys(kv: Deno.Kv, kind: "list" | "latest", module: string) {
  const out: Deno.KvKey[] = [];
  for await (const e of kv.list({ prefix: keys.upstreamAnswerParts(kind, module) })) {
    out.push(e.key);
  }
  return out;
}

Deno.test("pull-through answers: a list of ~1 MiB is kept in parts and served stale, byte for byte, during an outage", async () => {
  await withServers(0, async (up, down) => {
    await down.owner("acme");
    for (const size of [150_000, MAX_LIST_SIZE]) {
      const module = `public.example/big${size}`;
      const list = bigList(size);
      assertOk(list.length > INLINE_LIMIT, "the list must not fit one value");
      up.overrides.set(`${module}/@v/list`, enc.encode(list));
      const url = `${down.proxy("acme")}/${module}/@v/list`;
      const fresh = await fetchBytes(url);
      assertEquals([fresh.status, fresh.text.length, fresh.headers.get("x-modyard-cache")], [
        200,
        list.length,
        null,
      ]);
      assertEquals(fresh.text, list);
      // Kept in parts of at most 64,000 bytes, none inside the head record.
      const head = (await down.kv.get<UpstreamAnswerRecord>(keys.upstreamAnswer("list", module)))
        .value!;
      assertEquals(head.body, undefined);
      assertEquals(head.parts?.count, Math.ceil(list.length / PART_SIZE));
      assertEquals((await partKeys(down.kv, "list", module)).length, head.parts!.count);

      up.down = true;
      const stale = await fetchBytes(url);
      up.down = false;
      assertEquals([stale.status, stale.headers.get("x-modyard-cache")], [200, "stale"]);
      assertEquals(stale.text, list);
      assertEquals(stale.headers.get("content-length"), String(list.length));
    }
  });
});

Deno.test("pull-through answers: a list above 1 MiB is refused with 502 and nothing is kept", async () => {
  await withServers(0, async (up, down) => {
    await down.owner("acme");
    up.overrides.set("public.example/huge/@v/list", enc.encode(bigList(MAX_LIST_SIZE + 20)));
    const r = await fetchBytes(`${down.proxy("acme")}/public.example/huge/@v/list`);
    assertEquals(r.status, 502, r.text);
    assertEquals(
      (await down.kv.get(keys.upstreamAnswer("list", "public.example/huge"))).value,
      null,
    );
    assertEquals((await partKeys(down.kv, "list", "public.example/huge")).length, 0);
  });
});

Deno.test("pull-through answers: a changed large list replaces the kept one and its old parts are deleted; an unchanged one is not rewritten", async () => {
  await withServers(0, async (up, down) => {
    await down.owner("acme");
    const module = "public.example/moving";
    const url = `${down.proxy("acme")}/${module}/@v/list`;
    const first = bigList(200_000);
    up.overrides.set(`${module}/@v/list`, enc.encode(first));
    assertEquals((await fetchBytes(url)).text, first);
    const before = await partKeys(down.kv, "list", module);
    const stamps = await down.kv.getMany(before);

    // The same body again: only the head's time is renewed, the parts stay as they were.
    assertEquals((await fetchBytes(url)).text, first);
    assertEquals(await partKeys(down.kv, "list", module), before);
    assertEquals(
      (await down.kv.getMany(before)).map((e) => e.versionstamp),
      stamps.map((e) => e.versionstamp),
    );

    // A new body: served, kept under new parts, the old ones gone; small again: inline.
    const second = bigList(130_000, 2);
    up.overrides.set(`${module}/@v/list`, enc.encode(second));
    assertEquals((await fetchBytes(url)).text, second);
    const after = await partKeys(down.kv, "list", module);
    assertEquals(after.length, Math.ceil(second.length / PART_SIZE));
    assertEquals(after.some((k) => before.some((b) => b[3] === k[3])), false);
    up.overrides.set(`${module}/@v/list`, enc.encode("v3.0.0\n"));
    assertEquals((await fetchBytes(url)).text, "v3.0.0\n");
    assertEquals((await partKeys(down.kv, "list", module)).length, 0);
    up.down = true;
    const stale = await fetchBytes(url);
    assertEquals([stale.text, stale.headers.get("x-modyard-cache")], ["v3.0.0\n", "stale"]);
  });
});

Deno.test("pull-through answers: readers racing writers of large answers see one whole answer, never a mix", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const module = "public.example/race";
    // Same length, different bytes: a torn read would have the right size. Over 12 parts, so
    // the parts of one answer take two commits.
    const a = enc.encode(bigList(800_000, 1));
    const b = a.map((x) => x === 0x31 ? 0x37 : x); // every "1" becomes "7"
    const name = (body: Uint8Array | undefined) =>
      body === undefined
        ? "nothing"
        : body.byteLength === a.byteLength && body.every((x, i) => x === a[i])
        ? "a"
        : body.byteLength === b.byteLength && body.every((x, i) => x === b[i])
        ? "b"
        : "torn";
    await storeAnswer(kv, "list", module, a, null);
    const seen = new Map<string, number>();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 16; i++) {
        const previous = await loadAnswer(kv, "list", module);
        await storeAnswer(kv, "list", module, i % 2 ? a : b, previous);
      }
      writing = false;
    })();
    const readers = Array.from({ length: 4 }, async () => {
      while (writing) {
        const got = name((await loadAnswer(kv, "list", module))?.body);
        seen.set(got, (seen.get(got) ?? 0) + 1);
      }
    });
    await Promise.all([writer, ...readers]);
    assertEquals(seen.get("torn"), undefined, JSON.stringify([...seen]));
    assertEquals(seen.get("nothing"), undefined, JSON.stringify([...seen]));
    assertOk((seen.get("a") ?? 0) > 0 && (seen.get("b") ?? 0) > 0, JSON.stringify([...seen]));
    // Only the parts of the answer the head names are left.
    const head = (await kv.get<UpstreamAnswerRecord>(keys.upstreamAnswer("list", module))).value!;
    const left = await partKeys(kv, "list", module);
    assertEquals(left.length, head.parts!.count);
    assertEquals(left.every((k) => k[3] === head.parts!.id), true);
  } finally {
    kv.close();
  }
});

Deno.test("pull-through answers: parts a crashed writer left are deleted by a later write once they are old", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const module = "public.example/crashed";
    const old = `${(Date.now() - 3600_000).toString(36).padStart(9, "0")}-dead`;
    const young = `${Date.now().toString(36).padStart(9, "0")}-live`;
    await kv.set(keys.upstreamAnswerPart("list", module, old, 0), new Uint8Array(10));
    await kv.set(keys.upstreamAnswerPart("list", module, young, 0), new Uint8Array(10));
    await storeAnswer(kv, "list", module, enc.encode(bigList(70_000)), null);
    const ids = new Set((await partKeys(kv, "list", module)).map((k) => k[3]));
    assertEquals(ids.has(old), false);
    assertEquals(ids.has(young), true); // may be a live writer's, about to switch the head
    assertEquals(ids.size, 2);
  } finally {
    kv.close();
  }
});

/** Deletes a version from the upstream owner (as its admin). */
async function deleteUpstream(up: CountingUpstream, admin: string, module: string, v: string) {
  const res = await fetch(
    `${up.server.url}/api/v1/packages/${UPSTREAM_OWNER}/go/${module}/${v}`,
    { method: "DELETE", headers: { authorization: admin } },
  );
  assertEquals(res.status, 204, await res.text());
}

Deno.test("pull-through answers: after the upstream deletes a module, list names the versions whose .info is cached and @latest is the newest one's .info", async () => {
  await withServers(0, async (up, down) => {
    const module = "public.example/deleted";
    const versions = ["v1.0.0", "v1.2.0", "v1.3.0", "v1.10.0", "v1.11.0-rc.1"];
    for (const v of versions) await up.publish(module, v);
    await down.owner("acme");
    const base = `${down.proxy("acme")}/${module}`;
    // The upstream's list is kept, naming every version.
    assertEquals((await fetchBytes(`${base}/@v/list`)).text, versions.join("\n") + "\n");
    // Cached: the .info of v1.0.0, v1.2.0, v1.10.0 and v1.11.0-rc.1; v1.3.0 only its .mod;
    // the zip of v1.2.0.
    const infos = new Map<string, string>();
    for (const v of ["v1.10.0", "v1.0.0", "v1.2.0", "v1.11.0-rc.1"]) {
      const r = await fetchBytes(`${base}/@v/${v}.info`);
      assertEquals(r.status, 200, r.text);
      infos.set(v, r.text);
    }
    const mod = await fetchBytes(`${base}/@v/v1.3.0.mod`);
    assertEquals(mod.status, 200, mod.text);
    const zip = await fetchBytes(`${base}/@v/v1.2.0.zip`);
    assertEquals(zip.status, 200);

    const admin = await up.server.user("root", { admin: true });
    for (const v of versions) await deleteUpstream(up, admin, module, v);
    assertEquals((await fetchBytes(`${up.goproxy}/${module}/@v/list`)).status, 404);

    const list = await fetchBytes(`${base}/@v/list`);
    assertEquals([list.status, list.headers.get("x-modyard-cache")], [200, "stale"]);
    // Semver order (not the store's byte order), pre-release included, v1.3.0 not (no .info).
    assertEquals(list.text, "v1.0.0\nv1.2.0\nv1.10.0\nv1.11.0-rc.1\n");
    const latest = await fetchBytes(`${base}/@latest`);
    assertEquals([latest.status, latest.text], [200, infos.get("v1.10.0")]);
    const latestInfo = await fetchBytes(`${base}/@v/latest.info`);
    assertEquals([latestInfo.status, latestInfo.text], [200, infos.get("v1.10.0")]);
    // What was cached is still served.
    assertEquals((await fetchBytes(`${base}/@v/v1.2.0.zip`)).bytes, zip.bytes);
    assertEquals((await fetchBytes(`${base}/@v/v1.0.0.info`)).text, infos.get("v1.0.0"));
    // Nothing cached of a module the upstream does not have: its 404 stands.
    const none = await fetchBytes(`${down.proxy("acme")}/public.example/never/@v/list`);
    assertEquals(none.status, 404, none.text);
    assertEquals(
      (await fetchBytes(`${down.proxy("acme")}/public.example/never/@latest`)).status,
      404,
    );
  });
});

Deno.test("pull-through answers: gone upstream, pseudo-versions are never listed but may be @latest (a pre-release wins over them)", async () => {
  await withServers(0, async (up, down) => {
    const pseudo = "v0.0.0-20200101000000-abcdefabcdef";
    for (const module of ["public.example/pseudo", "public.example/pre"]) {
      await up.publish(module, pseudo);
    }
    await up.publish("public.example/pre", "v0.1.0-beta.1");
    await down.owner("acme");
    const admin = await up.server.user("root", { admin: true });
    const infos = new Map<string, string>();
    for (
      const [module, v] of [
        ["public.example/pseudo", pseudo],
        ["public.example/pre", pseudo],
        ["public.example/pre", "v0.1.0-beta.1"],
      ]
    ) {
      const r = await fetchBytes(`${down.proxy("acme")}/${module}/@v/${v}.info`);
      assertEquals(r.status, 200, r.text);
      infos.set(`${module}@${v}`, r.text);
      await deleteUpstream(up, admin, module, v);
    }
    const at = (module: string, file: string) =>
      fetchBytes(`${down.proxy("acme")}/${module}/${file}`);
    const empty = await at("public.example/pseudo", "@v/list");
    assertEquals([empty.status, empty.text], [200, ""]);
    assertEquals(
      (await at("public.example/pseudo", "@latest")).text,
      infos.get(`public.example/pseudo@${pseudo}`),
    );
    assertEquals((await at("public.example/pre", "@v/list")).text, "v0.1.0-beta.1\n");
    assertEquals(
      (await at("public.example/pre", "@latest")).text,
      infos.get("public.example/pre@v0.1.0-beta.1"),
    );
  });
});

Deno.test("pull-through answers: an outage before any list was kept answers from the cached .info files, else 502", async () => {
  await withServers(0, async (up, down) => {
    await up.publish("public.example/pinned", "v1.4.0");
    await up.publish("public.example/other", "v1.0.0");
    await down.owner("acme");
    const base = `${down.proxy("acme")}/public.example/pinned`;
    const info = await fetchBytes(`${base}/@v/v1.4.0.info`);
    assertEquals(info.status, 200);
    up.down = true;
    const list = await fetchBytes(`${base}/@v/list`);
    assertEquals([list.status, list.text, list.headers.get("x-modyard-cache")], [
      200,
      "v1.4.0\n",
      "stale",
    ]);
    const latest = await fetchBytes(`${base}/@latest`);
    assertEquals([latest.status, latest.text], [200, info.text]);
    const other = await fetchBytes(`${down.proxy("acme")}/public.example/other/@v/list`);
    assertEquals(other.status, 502, other.text);
    assertIncludes(other.text, "answered 503");
  });
});
