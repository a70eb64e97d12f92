// `export` / `import`: a round trip of a store with 50 versions of 3 owners (one a private
// organisation), a deleted version and its pin, a token, an owner's checksum log and the
// audit log restores every KV entry and every file byte for byte; an export taken while
// uploads keep arriving imports cleanly and every version in it verifies; an import into a
// non-empty store, and a truncated archive, are refused.
import { createOrg } from "../src/registry/accounts.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { runCli, spawnServer, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

interface Published {
  owner: string;
  module: string;
  version: string;
  zip: Uint8Array;
}

async function zipOf(module: string, version: string, extra = ""): Promise<Uint8Array> {
  return await moduleZip(module, version, {
    "go.mod": `module ${module}\n\ngo 1.21\n`,
    "lib.go": `package lib\n\n// ${module} ${version}${extra}\nconst V = "${version}"\n`,
  });
}

/** Every KV entry of a store file, keys and values, in key order. */
async function dumpStore(kvPath: string): Promise<Deno.KvEntry<unknown>[]> {
  const kv = await Deno.openKv(kvPath);
  try {
    const out: Deno.KvEntry<unknown>[] = [];
    for await (const e of kv.list({ prefix: [] })) out.push(e);
    return out;
  } finally {
    kv.close();
  }
}

async function fetchAll(server: TestServer, p: Published, auth: string) {
  const out: Record<string, { status: number; body: Uint8Array }> = {};
  for (
    const file of [`@v/${p.version}.info`, `@v/${p.version}.mod`, `@v/${p.version}.zip`, "@v/list"]
  ) {
    const res = await fetch(`${server.proxy(p.owner)}/${p.module}/${file}`, {
      headers: { authorization: auth },
    });
    out[file] = { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
  }
  return out;
}

Deno.test("export/import: a round trip restores every entry and file byte for byte, tokens, pins and logs included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-export-" });
  const source = `${dir}/source.kv`;
  const target = `${dir}/target.kv`;
  const archive = `${dir}/backup.tar`;
  try {
    const a = await startTestServer({ kv: source });
    const alice = await a.user("alice");
    const bob = await a.user("bob");
    await createOrg(a.kv, "corp", "alice", { visibility: "private" });
    const log = await enableLog(a.kv, "alice", { baseUrl: a.url });
    const published: Published[] = [];
    for (let i = 0; i < 50; i++) {
      const owner = ["alice", "bob", "corp"][i % 3];
      const module = `example.com/${owner}/m${i % 4}`;
      const version = `v1.${Math.floor(i / 12)}.${i % 12}`;
      const zip = await zipOf(module, version);
      const res = await a.upload(owner, zip, owner === "bob" ? bob : alice);
      assertEquals(res.status, 201, await res.text());
      published.push({ owner, module, version, zip });
    }
    const deleted = published[4]; // bob (outside the log: only the pin binds it)
    const del = await fetch(
      `${a.url}/api/v1/packages/bob/go/${encodeURIComponent(deleted.module)}/${deleted.version}`,
      { method: "DELETE", headers: { authorization: bob } },
    );
    assertEquals(del.status, 204);
    const live = published.filter((p) => p !== deleted);
    const before = new Map<Published, unknown>();
    for (const p of live) before.set(p, await fetchAll(a, p, alice));
    const headUrl = (s: TestServer) => `${s.proxy("alice")}/sumdb/${log.name}/latest`;
    const head = await (await fetch(headUrl(a))).text();
    assertMatch(head, /^go\.sum database tree\n17\n/); // alice's 17 versions
    // A web UI session: signed in through the page, so its keys are what the UI writes.
    const signin = await fetch(`${a.url}/-/signin`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: a.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ user: "alice", password: atob(alice.slice(6)).split(":")[1] }),
    });
    await signin.body?.cancel();
    await a.close();

    const exported = await runCli(source, ["export", archive]);
    assertEquals(exported.code, 0, exported.stdout + exported.stderr);
    assertMatch(exported.stdout, /^export: .*: 49 version\(s\), 0 cached file\(s\), /m);
    assertIncludes(exported.stdout, "it holds secrets");
    assertEquals((await Deno.stat(archive)).mode! & 0o777, 0o600);
    const again = await runCli(source, ["export", archive]);
    assertEquals(again.code, 1, "an existing file is never overwritten");

    const imported = await runCli(target, ["import", archive]);
    assertEquals(imported.code, 0, imported.stdout + imported.stderr);
    assertMatch(imported.stdout, /^import: .*: 49 version\(s\)/m);

    // Every entry is back, except the deleted version's chunks and their reclaim marker.
    const deletedBlob = (await dumpStore(source)).find((e) => e.key[0] === "reclaim")?.key[1];
    assertOk(typeof deletedBlob === "string");
    const strip = (entries: Deno.KvEntry<unknown>[]) =>
      entries.filter((e) =>
        e.key[0] !== "reclaim" && !(e.key[0] === "blob" && e.key[1] === deletedBlob)
      )
        .map((e) => ({ key: e.key, value: e.value }));
    const sessions = (e: Deno.KvEntry<unknown>) =>
      e.key[0] === "session" || e.key[0] === "user_session";
    assertOk((await dumpStore(source)).some(sessions), "the source has a session");
    assertEquals((await dumpStore(target)).filter(sessions), [], "sessions are not restored");
    const sourceEntries = strip((await dumpStore(source)).filter((e) => !sessions(e)));
    const targetEntries = strip(await dumpStore(target));
    assertEquals(targetEntries.length, sourceEntries.length);
    assertEquals(targetEntries, sourceEntries);
    assertOk(sourceEntries.some((e) => e.key[0] === "audit"));
    assertOk(sourceEntries.some((e) => e.key[0] === "sumdb_key"));

    const verified = await runCli(target, ["verify"]);
    assertEquals(verified.code, 0, verified.stdout);
    assertMatch(verified.stdout, /^verify: ok: 49 version\(s\)/m);

    const b = await startTestServer({ kv: target });
    try {
      for (const p of live) {
        assertEquals(
          await fetchAll(b, p, alice),
          before.get(p),
          `${p.owner}/${p.module}@${p.version}`,
        );
      }
      const anonymous = await fetch(`${b.proxy("corp")}/${published[2].module}/@v/list`);
      assertEquals(anonymous.status, 401, "corp is still private");
      await anonymous.body?.cancel();
      assertEquals(await (await fetch(headUrl(b))).text(), head, "the same signed head");
      // The pin still refuses other content; the token still publishes.
      const other = await b.upload(
        "bob",
        await zipOf(deleted.module, deleted.version, " changed"),
        bob,
      );
      assertEquals(other.status, 409);
      assertIncludes(await other.text(), "pinned");
      const same = await b.upload("bob", deleted.zip, bob);
      assertEquals(same.status, 201, await same.text());
      const next = await b.upload("bob", await zipOf("example.com/bob/new", "v1.0.0"), bob);
      assertEquals(next.status, 201);
      await next.body?.cancel();
    } finally {
      await b.close();
    }

    const refused = await runCli(target, ["import", archive]);
    assertEquals(refused.code, 1);
    assertIncludes(refused.stderr, "import refused: the store is not empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("export during concurrent uploads: the archive imports cleanly and every version in it verifies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-export-live-" });
  const source = `${dir}/source.kv`;
  const target = `${dir}/target.kv`;
  const archive = `${dir}/live.tar`;
  try {
    assertEquals((await runCli(source, ["user", "create", "alice"])).code, 0);
    const token = (await runCli(source, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    const auth = "Basic " + btoa(`alice:${token}`);
    const server = await spawnServer(source);
    const zips = new Map<string, Uint8Array>();
    const upload = async (i: number) => {
      const module = `example.com/live${i % 5}`;
      const version = `v1.0.${i}`;
      const zip = await moduleZip(module, version, {
        "go.mod": `module ${module}\n`,
        "big.bin": new Uint8Array(150_000).fill(i),
      });
      const res = await fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      await res.body?.cancel();
      if (res.status === 201) zips.set(`${module}@${version}`, zip);
      return res.status;
    };
    try {
      for (let i = 0; i < 10; i++) assertEquals(await upload(i), 201);
      let stop = false;
      const statuses: number[] = [];
      const uploading = (async () => {
        for (let i = 10; !stop && i < 200; i++) statuses.push(await upload(i));
      })();
      const exported = await runCli(source, ["export", archive]);
      stop = true;
      await uploading;
      assertEquals(exported.code, 0, exported.stdout + exported.stderr);
      assertOk(statuses.length > 0, "uploads ran during the export");
      console.log(
        `uploads during the export: ${statuses.length} (${
          statuses.filter((s) => s === 201).length
        } × 201)`,
      );
    } finally {
      await server.stop();
    }
    const imported = await runCli(target, ["import", archive]);
    assertEquals(imported.code, 0, imported.stdout + imported.stderr);
    const verified = await runCli(target, ["verify"]);
    assertEquals(verified.code, 0, verified.stdout);
    const count = Number(/verify: ok: (\d+) version/.exec(verified.stdout)![1]);
    assertOk(count >= 10, `the versions published before the export are in it (${count})`);

    const b = await startTestServer({ kv: target });
    try {
      let served = 0;
      for await (
        const e of b.kv.list<{ module: string; version: string }>({ prefix: ["version", "alice"] })
      ) {
        const res = await fetch(`${b.proxy("alice")}/${e.value.module}/@v/${e.value.version}.zip`);
        assertEquals(
          new Uint8Array(await res.arrayBuffer()),
          zips.get(`${e.value.module}@${e.value.version}`),
        );
        served++;
      }
      assertEquals(served, count);
      const usage = await runCli(target, ["owner", "usage", "alice"]);
      assertIncludes(usage.stdout, `versions\t${count}`);
    } finally {
      await b.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import: a truncated archive is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-export-cut-" });
  try {
    const source = `${dir}/source.kv`;
    const server = await startTestServer({ kv: source });
    const auth = await server.user("alice");
    const res = await server.upload("alice", await zipOf("example.com/cut", "v1.0.0"), auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();
    await server.close();
    assertEquals((await runCli(source, ["export", `${dir}/a.tar`])).code, 0);
    const bytes = await Deno.readFile(`${dir}/a.tar`);
    await Deno.writeFile(`${dir}/cut.tar`, bytes.subarray(0, bytes.length - 2048));
    const out = await runCli(`${dir}/target.kv`, ["import", `${dir}/cut.tar`]);
    assertEquals(out.code, 1, out.stdout);
    assertIncludes(out.stderr, "import refused:");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
