// /metrics and /readyz: exact request counts by route kind and status, the duration histogram,
// uploads by outcome, store totals after publish and delete, who may scrape, and readiness.

import { basic, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";
import {
  fetchBytes,
  startCountingUpstream,
  startPullThroughServer,
} from "./helpers/pull_through.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { createToken, createUser } from "../src/registry/accounts.ts";
import { openStore } from "../src/store/open_store.ts";

/** Samples of a scrape: `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Samples of one family whose name matches exactly, by their label text. */
function family(samples: Map<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of samples) {
    if (k === name) out[""] = v;
    else if (k.startsWith(name + "{")) out[k.slice(name.length)] = v;
  }
  return out;
}

async function scrape(server: TestServer, headers: HeadersInit = {}): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`, { headers });
  const text = await res.text();
  assertEquals(res.status, 200, text);
  assertEquals(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parse(text);
}

async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

const MOD = "example.com/obs";

Deno.test("/metrics counts exactly the requests made, by route kind and status, with one histogram observation each", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", {
      "go.mod": `module ${MOD}\n`,
      "a.go": "package obs\n",
    });
    const proxy = `${server.url}/api/packages/alice/go/${MOD}`;
    assertEquals((await server.upload("alice", zip, auth)).status, 201);
    let res = await server.upload("alice", zip, auth);
    await res.body?.cancel();
    assertEquals(res.status, 409);
    res = await server.upload("alice", new TextEncoder().encode("not a zip"), auth);
    await res.body?.cancel();
    assertEquals(res.status, 400);
    res = await server.upload("alice", zip);
    await res.body?.cancel();
    assertEquals(res.status, 401);
    assertEquals(await status(`${proxy}/@v/v1.0.0.info`), 200);
    assertEquals(await status(`${proxy}/@v/v1.0.0.info`), 200); // from the reply cache
    assertEquals(await status(`${proxy}/@v/list`), 200);
    assertEquals(await status(`${proxy}/@v/v1.0.0.zip`), 200);
    assertEquals(await status(`${proxy}/@v/v9.9.9.mod`), 404);
    assertEquals(await status(`${server.url}/api/no/such/path`), 404);
    assertEquals(await status(`${server.url}/healthz`, { method: "POST" }), 405);
    assertEquals(await status(`${server.url}/healthz`), 200);

    const samples = await scrape(server);
    assertEquals(family(samples, "modyard_http_requests_total"), {
      '{route="goproxy_info",status="200"}': 2,
      '{route="goproxy_list",status="200"}': 1,
      '{route="goproxy_mod",status="404"}': 1,
      '{route="goproxy_zip",status="200"}': 1,
      '{route="healthz",status="200"}': 1,
      '{route="healthz",status="405"}': 1,
      '{route="not_found",status="404"}': 1,
      '{route="upload",status="201"}': 1,
      '{route="upload",status="400"}': 1,
      '{route="upload",status="401"}': 1,
      '{route="upload",status="409"}': 1,
    });
    assertEquals(family(samples, "modyard_http_request_duration_seconds_count"), {
      '{route="goproxy_info"}': 2,
      '{route="goproxy_list"}': 1,
      '{route="goproxy_mod"}': 1,
      '{route="goproxy_zip"}': 1,
      '{route="healthz"}': 2,
      '{route="not_found"}': 1,
      '{route="upload"}': 4,
    });
    assertEquals(
      samples.get('modyard_http_request_duration_seconds_bucket{route="upload",le="+Inf"}'),
      4,
    );
    assertEquals(family(samples, "modyard_uploads_total"), {
      '{outcome="accepted"}': 1,
      '{outcome="invalid_zip"}': 1,
      '{outcome="unauthenticated"}': 1,
      '{outcome="version_exists"}': 1,
    });
    assertEquals(samples.get('modyard_cache_requests_total{cache="reply",result="hit"}'), 1);
    assertEquals(samples.get('modyard_cache_requests_total{cache="zip",result="miss"}'), 1);
    assertEquals(samples.get('modyard_http_response_bytes_total{route="goproxy_zip"}'), zip.length);
    assertEquals(
      samples.get('modyard_http_request_bytes_total{route="upload"}'),
      3 * zip.length + "not a zip".length,
    );
    assertOk(
      (samples.get('modyard_kv_operation_duration_seconds_count{op="publish_commit"}') ?? 0) >= 1,
    );
    assertOk(
      (samples.get('modyard_kv_operation_duration_seconds_count{op="chunk_read"}') ?? 0) >= 1,
    );
    assertEquals(samples.get("modyard_store_up"), 1);
  } finally {
    await server.close();
  }
});

Deno.test("/metrics counts uploads refused for size and quota apart", async () => {
  const server = await startTestServer({ maxZipSize: 2000, quota: 600 });
  try {
    const auth = await server.user("alice");
    const small = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    const big = await moduleZip(MOD, "v1.0.1", {
      "go.mod": `module ${MOD}\n`,
      "x.bin": randomBytes(4000),
    });
    assertOk(small.length < 600 && big.length > 2000, `${small.length} ${big.length}`);
    assertEquals((await server.upload("alice", small, auth)).status, 201);
    const second = await moduleZip(MOD, "v1.0.2", {
      "go.mod": `module ${MOD}\n`,
      "b.go": "package obs\n",
    });
    let res = await server.upload("alice", second, auth);
    assertIncludes(await res.text(), "quota");
    assertEquals(res.status, 413);
    res = await server.upload("alice", big, auth);
    assertIncludes(await res.text(), "too large");
    assertEquals(res.status, 413);
    const samples = await scrape(server);
    assertEquals(family(samples, "modyard_uploads_total"), {
      '{outcome="accepted"}': 1,
      '{outcome="over_quota"}': 1,
      '{outcome="too_large"}': 1,
    });
  } finally {
    await server.close();
  }
});

Deno.test("/metrics store totals follow publish and delete (from the usage counters)", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const bob = await server.user("bob");
    const a1 = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    const a2 = await moduleZip(MOD, "v1.1.0", {
      "go.mod": `module ${MOD}\n`,
      "a.go": "package obs\n",
    });
    const b1 = await moduleZip("example.com/b", "v0.1.0", { "go.mod": "module example.com/b\n" });
    for (
      const [owner, zip, who] of [["alice", a1, auth], ["alice", a2, auth], [
        "bob",
        b1,
        bob,
      ]] as const
    ) {
      const res = await server.upload(owner, zip, who);
      await res.body?.cancel();
      assertEquals(res.status, 201);
    }
    let samples = await scrape(server);
    assertEquals(samples.get("modyard_store_versions"), 3);
    assertEquals(samples.get("modyard_store_modules"), 2);
    assertEquals(samples.get("modyard_store_bytes"), a1.length + a2.length + b1.length);
    assertEquals(samples.get("modyard_store_owners"), 2);

    const api = `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}`;
    assertEquals(
      await status(`${api}/v1.1.0`, { method: "DELETE", headers: { authorization: auth } }),
      204,
    );
    samples = await scrape(server);
    assertEquals(samples.get("modyard_store_versions"), 2);
    assertEquals(samples.get("modyard_store_modules"), 2);
    assertEquals(samples.get("modyard_store_bytes"), a1.length + b1.length);
    assertEquals(
      await status(`${api}/v1.0.0`, { method: "DELETE", headers: { authorization: auth } }),
      204,
    );
    samples = await scrape(server);
    assertEquals(samples.get("modyard_store_versions"), 1);
    assertEquals(samples.get("modyard_store_modules"), 1);
    assertEquals(samples.get("modyard_store_bytes"), b1.length);
  } finally {
    await server.close();
  }
});

Deno.test("/metrics access: open to loopback without forwarding headers; else the metrics token or an admin", async () => {
  const token = "m".repeat(8) + "etrics-token-123";
  const server = await startTestServer({ metricsToken: token, trustedProxies: ["127.0.0.1"] });
  try {
    const user = await server.user("carol");
    await createUser(server.kv, "root", { admin: true });
    const admin = basic("root", (await createToken(server.kv, "root", { scope: "read" })).token);
    const url = `${server.url}/metrics`;
    const xff = { "x-forwarded-for": "203.0.113.9" };
    const cases: [string, HeadersInit, number][] = [
      ["loopback, no forwarding header", {}, 200],
      ["forwarded by the proxy, no credentials", xff, 401],
      ["Forwarded header, no credentials", { forwarded: "for=203.0.113.9" }, 401],
      ["forwarded, metrics token", { ...xff, authorization: `Bearer ${token}` }, 200],
      ["forwarded, wrong bearer token", { ...xff, authorization: `Bearer ${token}x` }, 403],
      [
        "forwarded, wrong basic credentials",
        { ...xff, authorization: basic("carol", "nope") },
        403,
      ],
      ["forwarded, a non-admin user", { ...xff, authorization: user }, 403],
      ["forwarded, an admin", { ...xff, authorization: admin }, 200],
    ];
    for (const [what, headers, want] of cases) {
      const res = await fetch(url, { headers });
      const text = await res.text();
      assertEquals(res.status, want, `${what}: ${text}`);
      if (want === 200) assertIncludes(text, "# TYPE modyard_http_requests_total counter");
      else assertOk(!text.includes("modyard_"), `${what}: ${text}`);
      if (want === 401) assertEquals(res.headers.get("www-authenticate"), 'Basic realm="modyard"');
    }
  } finally {
    await server.close();
  }
});

Deno.test("/metrics without a configured token refuses any bearer token from a non-loopback view", async () => {
  const server = await startTestServer({ trustedProxies: ["127.0.0.1"] });
  try {
    const res = await fetch(`${server.url}/metrics`, {
      headers: { "x-forwarded-for": "203.0.113.9", authorization: "Bearer " + "x".repeat(20) },
    });
    assertEquals([res.status, await res.text()], [
      403,
      "/metrics needs the metrics token or an admin's credentials\n",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("/readyz: 200 while the store answers; 503 with the reason when a read hangs past the deadline", async () => {
  let hang = false;
  const server = await startTestServer({
    readyDeadlineMs: 150,
    readyProbe: () => hang ? new Promise(() => {}) : Promise.resolve(),
  });
  try {
    let res = await fetch(`${server.url}/readyz`);
    assertEquals([res.status, await res.text()], [200, "ready\n"]);
    hang = true;
    const started = Date.now();
    res = await fetch(`${server.url}/readyz`);
    assertEquals(
      [res.status, await res.text()],
      [503, "not ready: store did not answer a read within 150 ms\n"],
    );
    assertOk(Date.now() - started < 2000);
    res = await fetch(`${server.url}/healthz`);
    assertEquals([res.status, await res.text()], [200, "ok\n"]);
  } finally {
    await server.close();
  }
});

Deno.test("/readyz: 503 when the store is closed", async () => {
  const kv = await openStore(":memory:");
  const server = await startTestServer({ store: kv });
  try {
    let res = await fetch(`${server.url}/readyz`);
    assertEquals([res.status, await res.text()], [200, "ready\n"]);
    kv.close();
    res = await fetch(`${server.url}/readyz`);
    const text = await res.text();
    assertEquals(res.status, 503, text);
    assertIncludes(text, "not ready: store read failed");
  } finally {
    await server.close();
  }
});

Deno.test("/metrics counts pull-through hits, fetches, fills and refusals of a full cache (process-wide)", async () => {
  const up = await startCountingUpstream();
  const zip = await up.publish("public.example/small", "v1.0.0");
  await up.publish("public.example/more", "v1.0.0");
  const down = await startPullThroughServer({
    upstream: up.goproxy,
    maxCacheBytes: zip.byteLength + 10,
  });
  try {
    await down.owner("acme");
    const read = async () => {
      const res = await fetch(`${down.url}/metrics`);
      const s = parse(await res.text());
      return ["hits", "fetches", "fills", "cache_full"].map((n) =>
        s.get(`modyard_pull_through_${n}_total`) ?? NaN
      );
    };
    const before = await read();
    const base = down.proxy("acme");
    assertEquals((await fetchBytes(`${base}/public.example/small/@v/v1.0.0.zip`)).status, 200);
    assertEquals((await fetchBytes(`${base}/public.example/small/@v/v1.0.0.zip`)).status, 200);
    assertEquals((await fetchBytes(`${base}/public.example/more/@v/v1.0.0.zip`)).status, 503);
    const after = await read();
    // The second download is a hit; the third is refused (full).
    assertEquals(after.map((n, i) => n - before[i]), [1, 2, 1, 1]);
  } finally {
    await down.close();
    await up.close();
  }
});
