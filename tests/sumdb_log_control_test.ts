// Switching an owner's own checksum database on and reading its settings: `sumdb enable` and
// `sumdb key` (the verifier key alone on the last line), the admin API that enables it, and
// the JSON settings readers of the owner get — under the owner's access rules.
import { createUser } from "../src/registry/accounts.ts";
import { openNote } from "../src/sumdb/note.ts";
import { newVerifier, parseVerifierKey } from "../src/sumdb/note_key.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import { parseEnvSignerKeys } from "../src/sumdb_log/log_signer.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { cliStore } from "./helpers/cli_store.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)!;
}

Deno.test("sumdb enable prints the settings with the verifier key last, is idempotent, and the server then serves that log", async () => {
  const s = await cliStore("modyard-sumdb-cli-");
  try {
    await s.ok(["user", "create", "alice"]);
    const before = await s.cli(["sumdb", "key", "alice"]);
    assertEquals(before.code, 1);
    assertIncludes(before.stderr, "alice has no checksum database");
    const unknown = await s.cli(["sumdb", "enable", "nobody"]);
    assertEquals(unknown.code, 1, unknown.stderr);
    assertIncludes(unknown.stderr, "nobody");

    const base = ["--base-url", "https://reg.example.com"];
    const enabled = await s.ok(["sumdb", "enable", "alice", ...base]);
    const vkey = lastLine(enabled);
    assertEquals(parseVerifierKey(vkey).name, "reg.example.com/alice");
    assertIncludes(enabled, "go env -w GOPROXY=https://reg.example.com/api/packages/alice/go");
    assertIncludes(enabled, `go env -w GOSUMDB=${vkey}`);
    assertEquals(lastLine(await s.ok(["sumdb", "enable", "alice", ...base])), vkey);
    assertEquals(lastLine(await s.ok(["sumdb", "key", "alice"])), vkey);
    assertMatch(await s.ok(["audit"]), /sumdb\.enable\talice/);

    const server = await s.serve();
    const res = await fetch(
      `${server.url}/api/packages/alice/go/sumdb/reg.example.com/alice/supported`,
    );
    assertEquals(res.status, 200, await res.text());
    const other = await fetch(`${server.url}/api/packages/alice/go/sumdb/sum.golang.org/supported`);
    assertEquals(other.status, 404);
    await other.body?.cancel();
  } finally {
    await s.cleanup();
  }
});

Deno.test("sumdb enable with --sumdb-key-dir keeps the signer key in a 0600 file, never in the store", async () => {
  const s = await cliStore("modyard-sumdb-keydir-");
  try {
    await s.ok(["user", "create", "alice"]);
    const dir = `${s.dir}/keys`;
    const vkey = lastLine(await s.ok(["sumdb", "enable", "alice", "--sumdb-key-dir", dir]));
    const file = await Deno.stat(`${dir}/alice.key`);
    assertEquals(file.mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(`${dir}/alice.key`);
    assertOk(text.startsWith(`PRIVATE+KEY+${parseVerifierKey(vkey).name}+`), "a Go signer key");
    const kv = await Deno.openKv(s.kvPath);
    try {
      for await (const e of kv.list({ prefix: [] })) {
        assertOk(
          !JSON.stringify(e.value, (_k, v) => typeof v === "bigint" ? String(v) : v)
            .includes("PRIVATE+KEY"),
          `no signer key in the store (${JSON.stringify(e.key)})`,
        );
      }
    } finally {
      kv.close();
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("sumdb settings over HTTP: admins enable it (PUT, idempotent); readers of the owner get the go command's settings", async () => {
  const server = await startTestServer();
  try {
    const admin = await server.user("root", { admin: true });
    const alice = await server.user("alice");
    const carol = await server.user("carol");
    const secret = await server.user("corp", { private: true });
    const zip = await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" });
    assertEquals((await server.upload("alice", zip, alice)).status, 201);

    const settings = (owner: string, auth?: string) =>
      fetch(`${server.url}/api/v1/packages/${owner}/sumdb`, {
        headers: auth ? { authorization: auth } : {},
      });
    const enable = (owner: string, auth?: string, body?: string) =>
      fetch(`${server.url}/api/v1/admin/owners/${owner}/sumdb`, {
        method: "PUT",
        headers: auth ? { authorization: auth } : {},
        body,
      });
    const before = await settings("alice");
    assertEquals(before.status, 404);
    assertIncludes(await before.text(), "no checksum database");
    assertEquals((await (await enable("alice")).text(), 0), 0);
    assertEquals((await enable("alice")).status, 401);
    const denied = await enable("alice", alice);
    assertEquals(denied.status, 403, await denied.text());

    const first = await enable("alice", admin, JSON.stringify({ name: "reg.test/alice" }));
    assertEquals(first.status, 200);
    const body = await first.json();
    assertEquals(body.name, "reg.test/alice");
    assertEquals(parseVerifierKey(body.verifier_key).name, "reg.test/alice");
    assertEquals(body.env.GOSUMDB, body.verifier_key);
    assertEquals(body.env.GOPROXY, "/api/packages/alice/go");
    assertEquals(body.env.GONOSUMDB, "");
    const again = await (await enable("alice", admin, JSON.stringify({ name: "other/x" }))).json();
    assertEquals(
      again.verifier_key,
      body.verifier_key,
      "enable is idempotent; the name never changes",
    );

    const read = await settings("alice");
    assertEquals(read.status, 200);
    assertEquals((await read.json()).verifier_key, body.verifier_key);
    const lookup = await fetch(
      `${server.url}/api/packages/alice/go/sumdb/reg.test/alice/lookup/example.com/m@v1.0.0`,
    );
    assertEquals(lookup.status, 200);
    assertMatch(await lookup.text(), /^0\nexample\.com\/m v1\.0\.0 h1:/);

    assertEquals((await (await enable("nobody", admin)).text(), 0), 0);
    const bad = await enable("alice", admin, JSON.stringify({ name: 7 }));
    assertEquals(bad.status, 400, await bad.text());

    assertEquals((await enable("corp", admin)).status, 200);
    const anon = await settings("corp");
    assertEquals(anon.status, 401);
    await anon.body?.cancel();
    const other = await settings("corp", carol);
    assertEquals(other.status, 403);
    await other.body?.cancel();
    const own = await settings("corp", secret);
    assertEquals(own.status, 200);
    assertEquals(own.headers.get("cache-control"), "private, no-cache");
    await own.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("a log whose key is kept outside the store signs with the key from MODYARD_SUMDB_SIGNER_KEYS (Deno Deploy), and answers 503 without it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-sumdb-envkey-" });
  const kv = await Deno.openKv(":memory:");
  try {
    await createUser(kv, "alice", {});
    await createUser(kv, "bob", {});
    const meta = await enableLog(kv, "alice", { keyDir: `${dir}/keys` });
    await enableLog(kv, "bob", { keyDir: `${dir}/keys` });
    const aliceKey = (await Deno.readTextFile(`${dir}/keys/alice.key`)).trim();
    const bobKey = (await Deno.readTextFile(`${dir}/keys/bob.key`)).trim();
    assertEquals(parseEnvSignerKeys(`${bobKey},\n ${aliceKey} junk`), [bobKey, aliceKey]);
    const latest = async (signerKeys?: string[]) => {
      const server = await startTestServer({ store: kv, sumdbSignerKeys: signerKeys });
      try {
        const res = await fetch(`${server.proxy("alice")}/sumdb/${meta.name}/latest`);
        return [res.status, await res.text()] as const;
      } finally {
        await server.close();
      }
    };
    const [ok, head] = await latest(parseEnvSignerKeys(`${bobKey} ${aliceKey}`));
    assertEquals(ok, 200, head);
    const opened = await openNote(new TextEncoder().encode(head), [
      await newVerifier(meta.verifierKey),
    ]);
    assertMatch(opened.text, /^go\.sum database tree\n0\n/);
    const [missing, why] = await latest([bobKey]);
    assertEquals(missing, 503);
    assertIncludes(why, "MODYARD_SUMDB_SIGNER_KEYS");
    assertEquals((await latest(undefined))[0], 503);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
