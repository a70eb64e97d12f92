// Version lifecycle: delete → 410, pins, counters, grace-period reclaim, download counts,
// quotas, the JSON API and the audit log.
import { setQuota } from "../src/registry/accounts.ts";
import { clearPin } from "../src/registry/lifecycle.ts";
import { sweepAbandonedUploads } from "../src/store/blob_store.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { runCli, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const MOD = "example.com/life";

async function count(server: TestServer, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of server.kv.list({ prefix: [prefix] })) n++;
  return n;
}

async function counters(server: TestServer, owner: string) {
  const get = async (name: string) =>
    Number((await server.kv.get<Deno.KvU64>(["counter", owner, name])).value?.value ?? 0n);
  return {
    bytes: await get("bytes"),
    versions: await get("versions"),
    modules: await get("modules"),
  };
}

async function status(url: string, init?: RequestInit): Promise<[number, string]> {
  const res = await fetch(url, init);
  return [res.status, await res.text()];
}

Deno.test("publish → delete → 410 and gone from list/@latest → identical bytes come back → other bytes 409 → pin cleared → other bytes 201", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 0 });
  try {
    const auth = await server.user("alice");
    const base = `${server.proxy("alice")}/${MOD}`;
    const api = `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}`;
    const v1 = await moduleZip(MOD, "v1.0.0", {
      "go.mod": `module ${MOD}\n`,
      "a.go": "package life\n",
    });
    const v2 = await moduleZip(MOD, "v1.1.0", {
      "go.mod": `module ${MOD}\n`,
      "a.go": "package life // 2\n",
    });
    const before = {
      chunks: await count(server, "blob"),
      counters: await counters(server, "alice"),
    };
    let res = await server.upload("alice", v1, auth);
    const first = await res.json();
    assertEquals(res.status, 201);
    res = await server.upload("alice", v2, auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();
    assertEquals(await counters(server, "alice"), {
      bytes: v1.length + v2.length,
      versions: 2,
      modules: 1,
    });

    assertEquals(
      await status(`${api}/v1.1.0`, { method: "DELETE", headers: { authorization: auth } }),
      [204, ""],
    );
    assertEquals((await status(`${base}/@v/list`))[1], "v1.0.0\n");
    assertEquals(JSON.parse((await status(`${base}/@latest`))[1]).Version, "v1.0.0");
    for (const file of ["info", "mod", "zip"]) {
      const [code, text] = await status(`${base}/@v/v1.1.0.${file}`);
      assertEquals(code, 410, file);
      assertIncludes(text, `${MOD}@v1.1.0: deleted from alice`);
    }
    assertEquals(
      await status(`${api}/v1.1.0`, { method: "DELETE", headers: { authorization: auth } }),
      [404, JSON.stringify({ message: `${MOD}@v1.1.0: not found` }) + "\n"],
    );

    // Delete the other version too: counters and chunks return to where they started.
    assertEquals(
      (await status(`${api}/v1.0.0`, { method: "DELETE", headers: { authorization: auth } }))[0],
      204,
    );
    assertEquals(await counters(server, "alice"), before.counters);
    await sweepAbandonedUploads(server.kv);
    assertEquals(await count(server, "blob"), before.chunks);

    // The same bytes may come back; other bytes may not.
    res = await server.upload("alice", v1, auth);
    assertEquals([res.status, (await res.json()).h1], [201, first.h1]);
    const other = await moduleZip(MOD, "v1.1.0", {
      "go.mod": `module ${MOD}\n`,
      "a.go": "package life // other\n",
    });
    res = await server.upload("alice", other, auth);
    const refusal = await res.text();
    assertEquals(res.status, 409);
    // Both hashes are named: the pinned one and the one of this upload.
    const pinnedH1 = /before with (h1:\S+) and is pinned/.exec(refusal)?.[1];
    const uploadH1 = /this upload has (h1:\S+)\./.exec(refusal)?.[1];
    assertOk(pinnedH1 && uploadH1 && pinnedH1 !== uploadH1, refusal);

    // An admin lifts the pin (audited); then the other content is accepted. The in-memory
    // store is not reachable from the CLI, so this calls what `pin clear` calls.
    await clearPin(server.kv, "alice", MOD, "v1.1.0", { name: "root", client: "cli" });
    res = await server.upload("alice", other, auth);
    assertEquals(res.status, 201, await res.clone().text());
    await res.body?.cancel();

    const audit = await server.kv.list<{ action: string; target: string; actor: string }>({
      prefix: ["audit"],
    });
    const actions: string[] = [];
    for await (const e of audit) {
      actions.push(`${e.value.action} ${e.value.target} by ${e.value.actor}`);
    }
    assertEquals(actions.slice(0, 4), [
      `publish alice/${MOD}@v1.1.0 by alice`,
      `pin.clear alice/${MOD}@v1.1.0 by root`,
      `publish alice/${MOD}@v1.0.0 by alice`,
      `delete alice/${MOD}@v1.0.0 by alice`,
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("a deleted version's chunks stay for the grace period, then gc reclaims them", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 2 });
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", {
      "go.mod": `module ${MOD}\n`,
      "big.bin": randomBytes(300_000),
    });
    const res = await server.upload("alice", zip, auth);
    await res.body?.cancel();
    const chunks = await count(server, "blob");
    assertOk(chunks >= 5);
    // A download that started before the delete can still be read to the end.
    const download = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`);
    const del = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
      {
        method: "DELETE",
        headers: { authorization: auth },
      },
    );
    assertEquals(del.status, 204);
    assertEquals((await sweepAbandonedUploads(server.kv)).length, 0);
    assertEquals(await count(server, "blob"), chunks);
    assertEquals(new Uint8Array(await download.arrayBuffer()), zip);
    await new Promise((r) => setTimeout(r, 2100));
    const swept = await sweepAbandonedUploads(server.kv);
    assertEquals(swept.length, 1);
    assertEquals(await count(server, "blob"), 0);
  } finally {
    await server.close();
  }
});

Deno.test("50 concurrent downloads are all counted", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const res = await server.upload(
      "alice",
      await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }),
      auth,
    );
    await res.body?.cancel();
    await Promise.all(Array.from({ length: 50 }, async () => {
      const r = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`);
      await r.arrayBuffer();
    }));
    const head = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`, { method: "HEAD" });
    await head.body?.cancel();
    const info = await (await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
    )).json();
    assertEquals(info.downloads, 50);
  } finally {
    await server.close();
  }
});

Deno.test("storage quota: default and per owner, 413 with the numbers", async () => {
  const server = await startTestServer({ quota: 5000 });
  try {
    const auth = await server.user("alice");
    const small = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    const big = await moduleZip(MOD, "v1.1.0", {
      "go.mod": `module ${MOD}\n`,
      "b.bin": randomBytes(6000),
    });
    let res = await server.upload("alice", small, auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();
    res = await server.upload("alice", big, auth);
    const text = await res.text();
    assertEquals(res.status, 413);
    assertIncludes(
      text,
      `${small.length} bytes used + ${big.length} bytes of this upload > quota of 5000 bytes`,
    );
    await setQuota(server.kv, "alice", 100_000);
    res = await server.upload("alice", big, auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("JSON API: owner listing paged with X-Total-Count and Link, module in semver order, case-kept and !-encoded paths", async () => {
  const server = await startTestServer({ baseUrl: "https://registry.example.com" });
  try {
    const auth = await server.user("alice");
    for (
      const [path, versions] of [["github.com/BurntSushi/toml", ["v1.10.0", "v1.9.0"]], [
        "example.com/a",
        ["v0.1.0"],
      ], ["example.com/b", ["v0.2.0"]]] as const
    ) {
      for (const v of versions) {
        const res = await server.upload(
          "alice",
          await moduleZip(path, v, { "go.mod": `module ${path}\n` }),
          auth,
        );
        assertEquals(res.status, 201);
        await res.body?.cancel();
      }
    }
    const page1 = await fetch(`${server.url}/api/v1/packages/alice?type=go&limit=2`);
    assertEquals(page1.headers.get("x-total-count"), "3");
    assertIncludes(
      page1.headers.get("link") ?? "",
      '<https://registry.example.com/api/v1/packages/alice?type=go&limit=2&page=2>; rel="next"',
    );
    const modules = await page1.json();
    assertEquals(modules.map((m: { name: string }) => m.name), ["example.com/a", "example.com/b"]);
    const page2 = await (await fetch(`${server.url}/api/v1/packages/alice?type=go&limit=2&page=2`))
      .json();
    assertEquals(page2.map((m: { name: string }) => m.name), ["github.com/BurntSushi/toml"]);

    for (const path of ["github.com%2FBurntSushi%2Ftoml", "github.com/!burnt!sushi/toml"]) {
      const res = await fetch(`${server.url}/api/v1/packages/alice/go/${path}`);
      const body = await res.json();
      assertEquals(res.status, 200, path);
      assertEquals(body.versions.map((v: { version: string }) => v.version), ["v1.9.0", "v1.10.0"]);
      assertEquals(Object.keys(body.versions[0]).sort(), [
        "downloads",
        "go_version",
        "gomod_h1",
        "h1",
        "publisher",
        "retracted",
        "retraction_rationale",
        "sha256",
        "size",
        "time",
        "version",
      ]);
    }
    const one = await fetch(
      `${server.url}/api/v1/packages/alice/go/github.com%2FBurntSushi%2Ftoml/v1.10.0`,
    );
    assertEquals([(await one.json()).version, one.status], ["v1.10.0", 200]);
    const missing = await fetch(`${server.url}/api/v1/packages/alice/go/example.com%2Fnope`);
    assertEquals([missing.status, await missing.json()], [404, {
      message: "example.com/nope: not found",
    }]);
    // Deleting needs write access: anonymous 401, another user 403.
    const url = `${server.url}/api/v1/packages/alice/go/example.com%2Fa/v0.1.0`;
    assertEquals((await status(url, { method: "DELETE" }))[0], 401);
    const bob = await server.user("bob");
    assertEquals(
      (await status(url, { method: "DELETE", headers: { authorization: bob } }))[0],
      403,
    );
  } finally {
    await server.close();
  }
});

Deno.test("audit log over HTTP (admins only, newest first, paged) and through the CLI", async () => {
  const server = await startTestServer();
  try {
    const admin = await server.user("root", { admin: true });
    const alice = await server.user("alice");
    const res = await server.upload(
      "alice",
      await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }),
      alice,
    );
    await res.body?.cancel();
    assertEquals((await status(`${server.url}/api/v1/admin/audit`))[0], 401);
    assertEquals(
      (await status(`${server.url}/api/v1/admin/audit`, { headers: { authorization: alice } }))[0],
      403,
    );
    const page = await fetch(`${server.url}/api/v1/admin/audit?limit=2`, {
      headers: { authorization: admin },
    });
    const entries = await page.json();
    assertEquals(entries.map((e: { action: string }) => e.action), ["publish", "token.create"]);
    assertEquals(entries[0].actor, "alice");
    assertEquals(entries[0].client, "127.0.0.1");
    assertIncludes(page.headers.get("link") ?? "", "page=2");
  } finally {
    await server.close();
  }

  const dir = await Deno.makeTempDir();
  try {
    const kv = `${dir}/modyard.kv`;
    await runCli(kv, ["user", "create", "alice"]);
    await runCli(kv, ["token", "create", "alice"]);
    await runCli(kv, ["owner", "visibility", "alice", "private"]);
    const id = (await runCli(kv, ["token", "list", "alice"])).stdout.split("\t")[0];
    await runCli(kv, ["token", "revoke", "alice", id]);
    const out = await runCli(kv, ["audit"]);
    const lines = out.stdout.trim().split("\n").map((l) => l.split("\t").slice(1, 5).join(" "));
    assertIncludes(lines[0], "cli cli token.revoke alice id=");
    assertEquals(lines[1], "cli cli visibility.change alice visibility=private");
    assertIncludes(lines[2], "cli cli token.create alice id=");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deleting an owner deletes its versions (410 is moot: the owner answers 404), keeps their pins, reserves the name", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    await runCli(kvPath, ["user", "create", "gone"]);
    const kv = await Deno.openKv(kvPath);
    try {
      const { publishModule } = await import("../src/registry/publish.ts");
      const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
      const body = new Blob([zip as Uint8Array<ArrayBuffer>]).stream();
      const published = await publishModule(kv, "gone", { name: "gone", client: "test" }, body, {
        maxZipSize: 1 << 20,
        stallMs: 60_000,
        defaultQuota: 0,
      });
      const out = await runCli(kvPath, ["user", "delete", "gone", "--delete-grace", "0"]);
      assertEquals(out.code, 0, out.stderr);
      assertEquals((await kv.get(["version", "gone", MOD, "v1.0.0"])).value, null);
      const pin =
        (await kv.get<{ h1: string; deletedAt?: string }>(["pin", "gone", MOD, "v1.0.0"])).value;
      assertEquals(pin?.h1, published.h1);
      assertOk(pin?.deletedAt);
      assertEquals((await kv.get<Deno.KvU64>(["counter", "gone", "versions"])).value?.value, 0n);
      await sweepAbandonedUploads(kv);
      let chunks = 0;
      for await (const _ of kv.list({ prefix: ["blob"] })) chunks++;
      assertEquals(chunks, 0);
    } finally {
      kv.close();
    }
    const again = await runCli(kvPath, ["user", "create", "gone"]);
    assertEquals(again.code, 1);
    assertIncludes(again.stderr, "is reserved");
    // Only an explicit, audited admin action gives the name back — and the pin still binds
    // v1.0.0 to its old content.
    assertEquals((await runCli(kvPath, ["user", "restore", "gone"])).code, 0);
    const audit = await runCli(kvPath, ["audit", "--limit", "1"]);
    assertIncludes(audit.stdout, "owner.restore\tgone");
    const kv2 = await Deno.openKv(kvPath);
    try {
      const { publishModule, PublishError } = await import("../src/registry/publish.ts");
      const other = await moduleZip(MOD, "v1.0.0", {
        "go.mod": `module ${MOD}\n`,
        "x.go": "package x\n",
      });
      const err = await publishModule(
        kv2,
        "gone",
        { name: "gone", client: "test" },
        new Blob([other as Uint8Array<ArrayBuffer>]).stream(),
        {
          maxZipSize: 1 << 20,
          stallMs: 60_000,
          defaultQuota: 0,
        },
      ).catch((e) => e);
      assertOk(err instanceof PublishError && err.status === 409, String(err));
    } finally {
      kv2.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
