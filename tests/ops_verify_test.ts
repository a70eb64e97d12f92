// `verify` (the integrity scrub) over a store file: a clean store exits 0; a byte flipped in
// one stored chunk, a deleted chunk and an orphaned blob are each named exactly (target and
// kind), exit 1; `--repair` removes the orphan and nothing else; the scope argument limits
// the scan.
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { runCli, startTestServer } from "./helpers/server.ts";
import { versionRecord } from "./helpers/kv_tamper.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

interface Published {
  module: string;
  version: string;
  zip: Uint8Array;
}

/** A store file with alice's three live versions (one over 3 chunks) and a deleted one. */
async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "modyard-verify-" });
  const kvPath = `${dir}/modyard.kv`;
  const server = await startTestServer({ kv: kvPath });
  const auth = await server.user("alice");
  const published: Published[] = [];
  const specs: [string, string, number][] = [
    ["example.com/m", "v1.0.0", 10],
    ["example.com/m", "v1.1.0", 200_000],
    ["example.com/n", "v1.0.0", 10],
    ["example.com/gone", "v1.0.0", 10],
  ];
  for (const [module, version, size] of specs) {
    const zip = await moduleZip(module, version, {
      "go.mod": `module ${module}\n\ngo 1.21\n`,
      "data.bin": randomBytes(size),
    });
    const res = await server.upload("alice", zip, auth);
    assertEquals(res.status, 201, await res.text());
    published.push({ module, version, zip });
  }
  const del = await fetch(`${server.url}/api/v1/packages/alice/go/example.com%2Fgone/v1.0.0`, {
    method: "DELETE",
    headers: { authorization: auth },
  });
  assertEquals(del.status, 204);
  await server.close();
  return { dir, kvPath, published: published.slice(0, 3), auth };
}

async function withKv<T>(kvPath: string, fn: (kv: Deno.Kv) => Promise<T>): Promise<T> {
  const kv = await Deno.openKv(kvPath);
  try {
    return await fn(kv);
  } finally {
    kv.close();
  }
}

function failLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("FAIL "));
}

Deno.test("verify: a clean store exits 0 and checks every live version (deleted ones excluded)", async () => {
  const { dir, kvPath } = await fixture();
  try {
    const out = await runCli(kvPath, ["verify"]);
    assertEquals(out.code, 0, out.stdout + out.stderr);
    assertEquals(failLines(out.stdout), []);
    assertMatch(out.stdout, /^verify: ok: 3 version\(s\), 0 cached file\(s\), /m);
    assertEquals(out.stderr, "", "no progress bar when standard error is not a terminal");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify: one flipped byte in a stored chunk names exactly that version, exit 1", async () => {
  const { dir, kvPath } = await fixture();
  try {
    const key = await withKv(kvPath, async (kv) => {
      const record = await versionRecord(kv, "alice", "example.com/m", "v1.1.0");
      const key = keys.blobChunk(record.blobId, "zip", 1);
      const chunk = (await kv.get<Uint8Array>(key)).value!;
      chunk[1234] ^= 0x01;
      await kv.set(key, chunk);
      return key;
    });
    const out = await runCli(kvPath, ["verify"]);
    assertEquals(out.code, 1, out.stdout);
    const fails = failLines(out.stdout);
    assertOk(fails.length >= 1, out.stdout);
    for (const line of fails) assertMatch(line, /^FAIL alice\/example\.com\/m@v1\.1\.0: /);
    assertIncludes(out.stdout, "FAIL alice/example.com/m@v1.1.0: sha256 mismatch: zip has sha256");
    assertMatch(out.stdout, /^verify: \d+ problem\(s\): 3 version\(s\)/m);

    // The scope limits the scan: another module of the owner is clean.
    const other = await runCli(kvPath, ["verify", "alice/example.com/n"]);
    assertEquals(other.code, 0, other.stdout);
    assertMatch(other.stdout, /^verify: ok: 1 version\(s\)/m);
    const exact = await runCli(kvPath, ["verify", "alice/example.com/m@v1.1.0"]);
    assertEquals(exact.code, 1);
    assertMatch(exact.stdout, /problem\(s\): 1 version\(s\)/);
    const sibling = await runCli(kvPath, ["verify", "alice/example.com/m@v1.0.0"]);
    assertEquals(sibling.code, 0, sibling.stdout);
    const nobody = await runCli(kvPath, ["verify", "bob"]);
    assertEquals(nobody.code, 0);
    assertMatch(nobody.stdout, /^verify: ok: 0 version\(s\)/m);

    // Flipped back, the store is clean again.
    await withKv(kvPath, async (kv) => {
      const chunk = (await kv.get<Uint8Array>(key)).value!;
      chunk[1234] ^= 0x01;
      await kv.set(key, chunk);
    });
    assertEquals((await runCli(kvPath, ["verify"])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify: a deleted chunk is a missing chunk of that version", async () => {
  const { dir, kvPath } = await fixture();
  try {
    await withKv(kvPath, async (kv) => {
      const record = await versionRecord(kv, "alice", "example.com/m", "v1.1.0");
      await kv.delete(keys.blobChunk(record.blobId, "zip", 2));
    });
    const out = await runCli(kvPath, ["verify"]);
    assertEquals(out.code, 1, out.stdout);
    const fails = failLines(out.stdout);
    assertEquals(fails.length, 1, out.stdout);
    assertMatch(
      fails[0],
      /^FAIL alice\/example\.com\/m@v1\.1\.0: missing chunk: zip chunk 2 of 4 /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify: an orphaned blob is reported; --repair removes it and nothing else", async () => {
  const { dir, kvPath, published } = await fixture();
  try {
    const before = await withKv(kvPath, async (kv) => {
      await kv.set(["blob", "orphan-blob", "zip", 0], new Uint8Array([1, 2, 3]));
      await kv.set(["blob", "orphan-blob", "zip", 1], new Uint8Array([4]));
      // A live upload's chunks are never an orphan.
      await kv.set(keys.upload("live-upload"), {
        owner: "alice",
        deadline: Date.now() + 60_000,
        startedAt: Date.now(),
      });
      await kv.set(["blob", "live-upload", "zip", 0], new Uint8Array([5]));
      const all: string[] = [];
      for await (const e of kv.list({ prefix: ["blob"] })) all.push(JSON.stringify(e.key));
      return all;
    });
    const out = await runCli(kvPath, ["verify"]);
    assertEquals(out.code, 1, out.stdout);
    assertEquals(failLines(out.stdout), [
      "FAIL blob orphan-blob: orphaned blob: no version, cached file, upload lease or reclaim marker refers to it",
    ]);

    const scoped = await runCli(kvPath, ["verify", "alice", "--repair"]);
    assertEquals(scoped.code, 2, "--repair needs a full scan");

    const repair = await runCli(kvPath, ["verify", "--repair"]);
    assertEquals(repair.code, 0, repair.stdout);
    assertIncludes(repair.stdout, "removed orphaned blob orphan-blob: 2 chunk(s), 4 bytes");
    assertMatch(repair.stdout, /^verify: ok: 3 version\(s\).*, 1 orphaned blob\(s\) removed$/m);
    const after = await withKv(kvPath, async (kv) => {
      const all: string[] = [];
      for await (const e of kv.list({ prefix: ["blob"] })) all.push(JSON.stringify(e.key));
      return all;
    });
    assertEquals(after, before.filter((k) => !k.includes("orphan-blob")));
    assertEquals((await runCli(kvPath, ["verify"])).code, 0);

    const server = await startTestServer({ kv: kvPath });
    try {
      for (const p of published) {
        const res = await fetch(`${server.proxy("alice")}/${p.module}/@v/${p.version}.zip`);
        assertEquals(res.status, 200);
        assertEquals(new Uint8Array(await res.arrayBuffer()), p.zip);
      }
    } finally {
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify: a malformed scope is a usage error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await runCli(`${dir}/m.kv`, ["verify", "alice/example.com/m@"]);
    assertEquals(out.code, 2);
    assertIncludes(out.stderr, "Cannot parse scope");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
