// Pull-through configuration and control: the settings and their refusals, the per-owner
// switches through the admin API and the CLI (with `main.ts serve --upstream`), single-flight
// across two servers sharing one store, a crashed fetcher's lease taken over, redirects.
import { loadConfig } from "../src/config.ts";
import { createToken, createUser } from "../src/registry/accounts.ts";
import { openStore } from "../src/store/open_store.ts";
import type { UserRecord } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import { NO_UPSTREAM_WARNING } from "../src/upstream/owner_settings.ts";
import { parseUpstreamList } from "../src/upstream/upstream_list.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { cliStore } from "./helpers/cli_store.ts";
import {
  fetchBytes,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { basic, eventually, startTestServer } from "./helpers/server.ts";

Deno.test("pull-through config: off by default, TTL 60 s, GOPROXY syntax, direct and non-http(s) refused", () => {
  const { config } = loadConfig([], () => undefined);
  assertEquals(
    [config.upstream, config.upstreamTtlSeconds, config.upstreamCacheMaxBytes],
    ["off", 60, 10737418240],
  );
  const flags = loadConfig(
    ["--upstream", "https://a.example/go|http://b.example", "--upstream-ttl=5"],
    (name) => name === "MODYARD_UPSTREAM_CACHE_MAX_BYTES" ? "1000" : undefined,
  ).config;
  assertEquals([flags.upstreamTtlSeconds, flags.upstreamCacheMaxBytes], [5, 1000]);
  assertEquals(parseUpstreamList(flags.upstream), [
    { url: "https://a.example/go", fallThroughOnError: true },
    { url: "http://b.example", fallThroughOnError: false },
  ]);
  assertEquals(parseUpstreamList("https://a.example/,https://b.example"), [
    { url: "https://a.example", fallThroughOnError: false },
    { url: "https://b.example", fallThroughOnError: false },
  ]);
  assertEquals(parseUpstreamList(""), []);
  assertEquals(parseUpstreamList("off"), []);
  const refusals: [string, string][] = [
    ["https://proxy.golang.org,direct", "does not run version-control tools"],
    ["direct", "does not run version-control tools"],
    ["ftp://mirror.example", "is not an http(s) URL"],
    ["proxy.golang.org", "is not an http(s) URL"],
    ["https://a.example,off", `"off" must stand alone`],
  ];
  for (const [value, reason] of refusals) {
    let message = "";
    try {
      loadConfig(["--upstream", value], () => undefined);
    } catch (err) {
      message = (err as Error).message;
    }
    assertIncludes(message, "--upstream / MODYARD_UPSTREAM", value);
    assertIncludes(message, reason, value);
  }
  let ttl = "";
  try {
    loadConfig(["--upstream-ttl", "86401"], () => undefined);
  } catch (err) {
    ttl = (err as Error).message;
  }
  assertIncludes(ttl, "--upstream-ttl");
});

Deno.test("pull-through admin API: pull_through and private_paths are validated, stored, and take effect", async () => {
  const up = await startCountingUpstream();
  await up.publish("public.example/dep", "v1.0.0");
  await up.publish("corp.example.com/tool", "v1.0.0");
  const down = await startPullThroughServer({ upstream: up.goproxy });
  try {
    await createUser(down.kv, "root", { admin: true });
    const root = basic("root", (await createToken(down.kv, "root", { scope: "write" })).token);
    await createUser(down.kv, "acme", {});
    const patch = (b: unknown) =>
      fetch(`${down.url}/api/v1/admin/owners/acme`, {
        method: "PATCH",
        body: JSON.stringify(b),
        headers: { authorization: root, "content-type": "application/json" },
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const url = `${down.proxy("acme")}/public.example/dep/@v/list`;
    assertEquals((await fetchBytes(url)).status, 404);
    for (
      const [b, reason] of [
        [{ pull_through: "yes" }, `"pull_through" must be a boolean`],
        [{ pull_through: 1 }, `"pull_through" must be a boolean`],
        [{ private_paths: 7 }, `"private_paths" must be a string`],
        [{ private_paths: "corp.example.com/[" }, "is malformed"],
        [{ private_paths: "a b" }, "spaces"],
        [{ private_paths: "x".repeat(5000) }, "at most 4096"],
      ] as const
    ) {
      const r = await patch(b);
      assertEquals(r.status, 400, JSON.stringify(b).slice(0, 60));
      assertIncludes(JSON.parse(r.text).message, reason);
    }
    const on = await patch({ pull_through: true, private_paths: "corp.example.com" });
    assertEquals([on.status, JSON.parse(on.text)], [200, { warnings: [] }]);
    const record = (await down.kv.get<UserRecord>(keys.user("acme"))).value!;
    assertEquals([record.pullThrough, record.privatePaths], [true, "corp.example.com"]);
    assertEquals((await fetchBytes(url)).text, "v1.0.0\n");
    assertEquals(
      (await fetchBytes(`${down.proxy("acme")}/corp.example.com/tool/@v/list`)).status,
      404,
    );
    assertEquals(up.total("corp.example.com/"), 0);
    // Clearing the patterns lets that path go upstream; switching off restores hosting only.
    assertEquals((await patch({ private_paths: "" })).status, 200);
    assertEquals(
      (await fetchBytes(`${down.proxy("acme")}/corp.example.com/tool/@v/list`)).text,
      "v1.0.0\n",
    );
    assertEquals((await patch({ pull_through: false })).status, 200);
    assertEquals((await fetchBytes(url)).status, 404);
  } finally {
    await down.close();
    await up.close();
  }
  // A server without an upstream says so when pull-through is switched on.
  const plain = await startTestServer();
  try {
    const root = await plain.user("root", { admin: true });
    await plain.user("acme");
    const res = await fetch(`${plain.url}/api/v1/admin/owners/acme`, {
      method: "PATCH",
      body: JSON.stringify({ pull_through: true }),
      headers: { authorization: root, "content-type": "application/json" },
    });
    assertEquals([res.status, await res.json()], [200, { warnings: [NO_UPSTREAM_WARNING] }]);
  } finally {
    await plain.close();
  }
});

Deno.test("pull-through CLI: owner pull-through and private-paths against main.ts serve --upstream", async () => {
  const up = await startCountingUpstream();
  await up.publish("public.example/dep", "v1.0.0");
  const store = await cliStore("modyard-pull-cli-");
  try {
    await store.ok(["user", "create", "acme"]);
    const server = await store.serve(["--upstream", up.goproxy]);
    const url = `${server.url}/api/packages/acme/go/public.example/dep/@v/list`;
    assertEquals((await fetchBytes(url)).status, 404);
    assertEquals(
      await store.ok(["owner", "pull-through", "acme", "on"]),
      "pull-through of acme is now on",
    );
    assertOk(await eventually(async () => (await fetchBytes(url)).text === "v1.0.0\n"));
    const bad = await store.cli(["owner", "private-paths", "acme", "x/["]);
    assertEquals(bad.code === 0, false);
    assertIncludes(bad.stderr, "malformed");
    await store.ok(["owner", "private-paths", "acme", "public.example"]);
    assertOk(await eventually(async () => (await fetchBytes(url)).status === 404));
    const wrong = await store.cli(["owner", "pull-through", "acme", "maybe"]);
    assertIncludes(wrong.stderr, "pull-through must be on or off");
  } finally {
    await store.cleanup();
    await up.close();
  }
});

// Two apps (each with its own in-process single-flight) over one store handle: only the lease
// in the store keeps them to one upstream request. (Two processes on one SQLite file work too:
// openStore retries calls SQLite refuses with "database is locked", tests/multi_instance_test.ts.)
Deno.test("pull-through: two servers sharing one store make one upstream request per file", async () => {
  const up = await startCountingUpstream();
  const zip = await up.publish("public.example/shared", "v1.0.0");
  const kv = await openStore(":memory:");
  const a = await startPullThroughServer({ upstream: up.goproxy, kv, lease: { pollMs: 20 } });
  const b = await startPullThroughServer({ upstream: up.goproxy, kv, lease: { pollMs: 20 } });
  try {
    await a.owner("acme");
    const paths = ["info", "mod", "zip"].map((ext) => `public.example/shared/@v/v1.0.0.${ext}`);
    const results = await Promise.all(
      paths.flatMap((p) =>
        Array.from({ length: 20 }, (_, i) => fetchBytes(`${(i % 2 ? a : b).proxy("acme")}/${p}`))
      ),
    );
    for (const r of results) assertEquals(r.status, 200, r.text);
    assertEquals(results[results.length - 1].bytes, zip);
    for (const p of paths) assertEquals(up.counts.get(p), 1, p);
  } finally {
    await a.close();
    await b.close();
    kv.close();
    await up.close();
  }
});

Deno.test("pull-through: a crashed fetcher's lease expires and another takes over; a live one is waited for, within a bound", async () => {
  const up = await startCountingUpstream();
  const zip = await up.publish("public.example/lease", "v1.0.0");
  const down = await startPullThroughServer({
    upstream: up.goproxy,
    lease: { pollMs: 20, waitMs: 5000 },
  });
  try {
    await down.owner("acme");
    const url = `${down.proxy("acme")}/public.example/lease/@v/v1.0.0.zip`;
    // A lease left by a process that died mid-fetch, 400 ms before it expires.
    const leaseKey = keys.upstreamFill("zip", "public.example/lease", "v1.0.0");
    await down.kv.set(leaseKey, { holder: "crashed", deadline: Date.now() + 400 });
    const started = Date.now();
    const r = await fetchBytes(url);
    assertEquals([r.status, r.bytes], [200, zip]);
    assertOk(Date.now() - started >= 350, `took over after ${Date.now() - started} ms`);
    assertEquals(up.counts.get("public.example/lease/@v/v1.0.0.zip"), 1);
    assertEquals((await down.kv.get(leaseKey)).value, null);
  } finally {
    await down.close();
  }
  // A lease that stays alive longer than the wait bound: 504, and the upstream not asked.
  const waiting = await startPullThroughServer({
    upstream: up.goproxy,
    lease: { pollMs: 20, waitMs: 300 },
  });
  try {
    await waiting.owner("acme");
    await up.publish("public.example/held", "v1.0.0");
    await waiting.kv.set(keys.upstreamFill("zip", "public.example/held", "v1.0.0"), {
      holder: "alive",
      deadline: Date.now() + 60_000,
    });
    const r = await fetchBytes(`${waiting.proxy("acme")}/public.example/held/@v/v1.0.0.zip`);
    assertEquals(r.status, 504, r.text);
    assertIncludes(r.text, "another modyard process");
    assertEquals(up.counts.get("public.example/held/@v/v1.0.0.zip"), undefined);
  } finally {
    await waiting.close();
    await up.close();
  }
});

Deno.test("pull-through: redirects are followed to http(s) only", async () => {
  const up = await startCountingUpstream();
  await up.publish("public.example/dep", "v1.0.0");
  const redirector = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/bad/")) {
      return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
    }
    return Response.redirect(`${up.goproxy}${path.slice("/good".length)}`, 302);
  });
  const base = `http://127.0.0.1:${redirector.addr.port}`;
  const good = await startPullThroughServer({ upstream: `${base}/good` });
  const bad = await startPullThroughServer({ upstream: `${base}/bad` });
  try {
    await good.owner("acme");
    await bad.owner("acme");
    assertEquals(
      (await fetchBytes(`${good.proxy("acme")}/public.example/dep/@v/list`)).text,
      "v1.0.0\n",
    );
    const r = await fetchBytes(`${bad.proxy("acme")}/public.example/dep/@v/list`);
    assertEquals(r.status, 502);
    assertIncludes(r.text, "non-http(s) location");
  } finally {
    await good.close();
    await bad.close();
    await redirector.shutdown();
    await up.close();
  }
});
