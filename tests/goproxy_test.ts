// GOPROXY reads asserted on raw HTTP: order, latest, escaping, caching headers, 404s.
import { createToken } from "../src/registry/accounts.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goModHash1Of, hash1Of } from "./helpers/h1_oracle.ts";
import { basic, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

async function publish(
  server: TestServer,
  owner: string,
  auth: string,
  path: string,
  version: string,
  files?: Record<string, string>,
) {
  const zip = await moduleZip(
    path,
    version,
    files ?? { "go.mod": `module ${path}\n`, "a.go": "package a\n" },
  );
  const res = await server.upload(owner, zip, auth);
  assertEquals(res.status, 201, await res.clone().text());
  await res.body?.cancel();
  return zip;
}

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

Deno.test("list is in semver order and @latest is the highest release", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    for (const v of ["v1.10.0", "v1.9.0", "v1.11.0-rc.1"]) {
      await publish(server, "alice", auth, "example.com/order", v);
    }
    const base = `${server.proxy("alice")}/example.com/order`;
    assertEquals((await get(`${base}/@v/list`)).text, "v1.9.0\nv1.10.0\nv1.11.0-rc.1\n");
    assertEquals(JSON.parse((await get(`${base}/@latest`)).text).Version, "v1.10.0");
    assertEquals(JSON.parse((await get(`${base}/@v/latest.info`)).text).Version, "v1.10.0");
  } finally {
    await server.close();
  }
});

Deno.test("list leaves out pseudo-versions of all three forms; @latest prefers releases, then pre-releases", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const published = [
      "v1.2.4-0.20250101000000-abcdef123456", // vX.Y.(Z+1)-0.timestamp-hash, after v1.2.3
      "v1.2.3",
      "v1.2.3-pre.0.20240101000000-abcdef123456", // vX.Y.Z-pre.0.timestamp-hash
      "v1.2.3-pre",
      "v0.0.0-20230101000000-abcdef123456", // vX.0.0-timestamp-hash
      "v1.3.0-rc.1",
    ];
    for (const v of published) await publish(server, "alice", auth, "example.com/pv", v);
    const base = `${server.proxy("alice")}/example.com/pv`;
    const list = await get(`${base}/@v/list`);
    assertEquals([list.status, list.text], [200, "v1.2.3-pre\nv1.2.3\nv1.3.0-rc.1\n"]);
    assertEquals(JSON.parse((await get(`${base}/@latest`)).text).Version, "v1.2.3");

    // Only a pre-release beside pseudo-versions that sort above it: the pre-release wins.
    for (const v of ["v1.0.0-rc.1", "v1.0.1-0.20250101000000-abcdef123456"]) {
      await publish(server, "alice", auth, "example.com/pre", v);
    }
    const pre = `${server.proxy("alice")}/example.com/pre`;
    assertEquals((await get(`${pre}/@v/list`)).text, "v1.0.0-rc.1\n");
    assertEquals(JSON.parse((await get(`${pre}/@latest`)).text).Version, "v1.0.0-rc.1");

    // Only pseudo-versions of the two longer forms: empty list, newest timestamp is latest.
    const newest = "v1.2.3-pre.0.20250601000000-bbbbbbbbbbbb";
    for (const v of ["v1.2.4-0.20250101000000-aaaaaaaaaaaa", newest]) {
      await publish(server, "alice", auth, "example.com/onlypseudo", v);
    }
    const only = `${server.proxy("alice")}/example.com/onlypseudo`;
    assertEquals((await get(`${only}/@v/list`)).text, "");
    assertEquals(JSON.parse((await get(`${only}/@latest`)).text).Version, newest);
  } finally {
    await server.close();
  }
});

Deno.test("a module with only pseudo-versions: empty list, @latest is the newest timestamp", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const older = "v0.0.0-20240101000000-cccccccccccc";
    const newer = "v0.0.0-20250101000000-aaaaaaaaaaaa";
    await publish(server, "alice", auth, "example.com/pseudo", newer);
    await publish(server, "alice", auth, "example.com/pseudo", older);
    const base = `${server.proxy("alice")}/example.com/pseudo`;
    assertEquals((await get(`${base}/@v/list`)).text, "");
    const latest = await get(`${base}/@latest`);
    assertEquals(JSON.parse(latest.text).Version, newer);
  } finally {
    await server.close();
  }
});

Deno.test("uppercase module paths and versions are served through the ! case-encoding", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zip = await publish(server, "alice", auth, "github.com/BurntSushi/toml", "v1.2.0-RC1");
    const base = `${server.proxy("alice")}/github.com/%21burnt%21sushi/toml`;
    assertEquals((await get(`${base}/@v/list`)).text, "v1.2.0-RC1\n");
    const info = await get(`${base}/@v/v1.2.0-%21r%21c1.info`);
    assertEquals([info.status, JSON.parse(info.text).Version], [200, "v1.2.0-RC1"]);
    const raw = await get(
      `${server.proxy("alice")}/github.com/!burnt!sushi/toml/@v/v1.2.0-!r!c1.mod`,
    );
    assertEquals(raw.text, "module github.com/BurntSushi/toml\n");
    const res = await fetch(`${base}/@v/v1.2.0-%21r%21c1.zip`);
    assertEquals(new Uint8Array(await res.arrayBuffer()), zip);
    // The unescaped (uppercase) form is not something the go command sends.
    const bad = await get(`${server.proxy("alice")}/github.com/BurntSushi/toml/@v/list`);
    assertEquals(bad.status, 404);
    assertIncludes(bad.text, "invalid escaped module path");
  } finally {
    await server.close();
  }
});

Deno.test(".mod of a zip without go.mod is exactly 'module <path>\\n'; .zip has its length", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zip = await publish(server, "alice", auth, "github.com/pkg/errors", "v0.9.1", {
      "errors.go": "package errors\n",
    });
    const base = `${server.proxy("alice")}/github.com/pkg/errors/@v/v0.9.1`;
    const mod = await get(`${base}.mod`);
    assertEquals([mod.status, mod.text], [200, "module github.com/pkg/errors\n"]);
    const res = await fetch(`${base}.zip`);
    assertEquals(res.headers.get("content-length"), String(zip.length));
    assertEquals(res.headers.get("content-type"), "application/zip");
    assertEquals(new Uint8Array(await res.arrayBuffer()), zip);
  } finally {
    await server.close();
  }
});

Deno.test("caching headers: immutable + ETag + 304 for public files, private + Vary for private ones, no-cache for mutable routes", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const goMod = "module example.com/cache\n";
    await publish(server, "alice", auth, "example.com/cache", "v1.0.0", {
      "go.mod": goMod,
      "a.go": "package a\n",
    });
    // The ETags, computed independently: the zip's h1, and the go.mod's h1 for .mod.
    const prefix = "example.com/cache@v1.0.0/";
    const h1 = await hash1Of([
      { name: `${prefix}go.mod`, data: goMod },
      { name: `${prefix}a.go`, data: "package a\n" },
    ]);
    const modH1 = await goModHash1Of(goMod);
    assertOk(h1 !== modH1);
    const base = `${server.proxy("alice")}/example.com/cache/@v`;
    // .info: a tag of its own body (its Time changes when a deleted version is published again).
    const infoText = (await get(`${base}/v1.0.0.info`)).text;
    const infoTag = "b-" + (await sha256Base64url(infoText)).slice(0, 27);
    for (
      const [file, want] of [["v1.0.0.info", infoTag], ["v1.0.0.mod", modH1], ["v1.0.0.zip", h1]]
    ) {
      const res = await get(`${base}/${file}`);
      assertEquals(res.headers.get("cache-control"), "public, max-age=31536000, immutable", file);
      const etag = res.headers.get("etag");
      assertEquals(etag, `"${want}"`, file);
      const again = await get(`${base}/${file}`, { headers: { "if-none-match": etag! } });
      assertEquals([again.status, again.text], [304, ""], file);
      const other = await get(`${base}/${file}`, { headers: { "if-none-match": '"h1:other"' } });
      assertEquals(other.status, 200, file);
    }
    for (
      const url of [
        `${base}/list`,
        `${base}/../@latest`,
        `${base}/latest.info`,
        `${base}/latest.mod`,
        `${base}/latest.zip`,
      ]
    ) {
      const res = await get(url.replace("/@v/../", "/"));
      assertEquals([res.status, res.headers.get("cache-control")], [200, "no-cache"], url);
    }

    const bobAuth = await server.user("bob", { private: true });
    await publish(server, "bob", bobAuth, "example.com/secret", "v1.0.0");
    const priv = `${server.proxy("bob")}/example.com/secret/@v`;
    const res = await get(`${priv}/v1.0.0.info`, { headers: { authorization: bobAuth } });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("cache-control"), "private, max-age=31536000, immutable");
    assertEquals(res.headers.get("vary"), "Authorization");
  } finally {
    await server.close();
  }
});

Deno.test("private owners: 401 with a challenge anonymously, 403 for other users, no module names in either", async () => {
  const server = await startTestServer();
  try {
    const bobAuth = await server.user("bob", { private: true });
    await publish(server, "bob", bobAuth, "example.com/secret", "v1.0.0");
    const url = `${server.proxy("bob")}/example.com/secret/@v/v1.0.0.zip`;
    const anon = await get(url);
    assertEquals(anon.status, 401);
    assertEquals(anon.headers.get("www-authenticate"), 'Basic realm="modyard"');
    assertOk(!anon.text.includes("example.com/secret"));
    const carolAuth = await server.user("carol");
    const other = await get(url, { headers: { authorization: carolAuth } });
    assertEquals(other.status, 403);
    assertOk(!other.text.includes("example.com/secret"));
    const wrong = await get(`${server.proxy("alice-not-there")}/example.com/x/@v/list`, {
      headers: { authorization: basic("bob", "myd_wrong") },
    });
    assertEquals(wrong.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("unknown owner, module or version → 404 text/plain with a reason; sumdb → 404", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    await publish(server, "alice", auth, "example.com/known", "v1.0.0");
    const cases: [string, string][] = [
      [`${server.proxy("nobody")}/example.com/known/@v/list`, 'owner "nobody" not found'],
      [`${server.proxy("alice")}/example.com/unknown/@v/list`, "example.com/unknown: not found"],
      [`${server.proxy("alice")}/example.com/unknown/@latest`, "example.com/unknown: not found"],
      [
        `${server.proxy("alice")}/example.com/known/@v/v1.0.1.info`,
        "example.com/known@v1.0.1: not found",
      ],
      [`${server.proxy("alice")}/example.com/known/@v/v1.0.0.tar`, "not a GOPROXY file"],
      [
        `${server.proxy("alice")}/sumdb/sum.golang.org/supported`,
        "does not proxy checksum databases",
      ],
    ];
    for (const [url, reason] of cases) {
      const res = await get(url);
      assertEquals(res.status, 404, url);
      assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assertIncludes(res.text, reason);
    }
    const health = await get(`${server.url}/healthz`);
    assertEquals([health.status, health.text], [200, "ok\n"]);
  } finally {
    await server.close();
  }
});

Deno.test("a token created in the store while the server runs is accepted at once (Bearer form)", async () => {
  const server = await startTestServer();
  try {
    await server.user("alice");
    const { token } = await createToken(server.kv, "alice", { scope: "write" });
    const zip = await moduleZip("example.com/tok", "v1.0.0", {
      "go.mod": "module example.com/tok\n",
    });
    const res = await server.upload("alice", zip, `Bearer ${token}`);
    assertEquals(res.status, 201);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("over-long owner names, module paths and versions answer 404/401, never 500 (KV keys are at most 2 KiB)", async () => {
  const server = await startTestServer();
  try {
    await server.user("alice");
    const long = "example.com/" + "a".repeat(3000);
    const cases: [string, RequestInit, number][] = [
      [`${server.proxy("alice")}/${long}/@v/list`, {}, 404],
      [`${server.proxy("alice")}/${long}/@latest`, {}, 404],
      [`${server.proxy("alice")}/${long}/@v/v1.0.0.info`, {}, 404],
      [`${server.proxy("alice")}/example.com/m/@v/v1.0.0-${"a".repeat(3000)}.zip`, {}, 404],
      [`${server.url}/api/v1/packages/alice/go/${encodeURIComponent(long)}`, {}, 404],
      [`${server.url}/api/packages/${"b".repeat(3000)}/go/example.com/m/@v/list`, {}, 404],
      [`${server.proxy("alice")}/example.com/m/@v/list`, {
        headers: { authorization: basic("u".repeat(3000), "pw") },
      }, 401],
    ];
    for (const [url, init, want] of cases) {
      const res = await fetch(url, init);
      await res.body?.cancel();
      assertEquals(res.status, want, url.slice(0, 80));
    }
    const del = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(long)}/v1.0.0`,
      {
        method: "DELETE",
        headers: { authorization: await server.user("root", { admin: true }) },
      },
    );
    assertEquals(del.status, 404);
    await del.body?.cancel();
  } finally {
    await server.close();
  }
});

async function sha256Base64url(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return digest.toBase64({ alphabet: "base64url", omitPadding: true });
}
