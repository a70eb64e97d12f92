// Enabling an owner's checksum log: every version the owner already has (deleted ones
// included) is appended in publish order before the log answers; enabling is idempotent, a
// crash mid-backfill is finished by the next call, two processes enabling at once make one
// log, versions published while the log is being enabled are each logged exactly once; key
// custody in the store or a key directory (mode 0600), the signer key never anywhere else;
// two processes sign identical heads.
import { createUser } from "../src/registry/accounts.ts";
import { CLI_ACTOR, readAudit } from "../src/registry/audit.ts";
import { deleteVersion } from "../src/registry/lifecycle.ts";
import { openStore } from "../src/store/open_store.ts";
import { openNote } from "../src/sumdb/note.ts";
import { newVerifier, parseSignerKey } from "../src/sumdb/note_key.ts";
import { parseTree } from "../src/sumdb/records.ts";
import { ChecksumLogs } from "../src/sumdb_log/checksum_logs.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import type { LoggedVersion, LogHead, LogMeta } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import {
  addPublishAppend,
  publishLogKeys,
  type PublishLogValues,
} from "../src/sumdb_log/publish_append.ts";
import { LogKeyError } from "../src/sumdb_log/log_signer.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

async function publish(server: TestServer, auth: string, module: string, version: string) {
  const zip = await moduleZip(module, version, { "go.mod": `module ${module}\n` });
  const res = await server.upload("alice", zip, auth);
  const text = await res.text();
  assertEquals(res.status, 201, text);
  return JSON.parse(text);
}

async function records(kv: Deno.Kv): Promise<string[]> {
  const out: string[] = [];
  for await (const e of kv.list<string>({ prefix: keys.logRecords("alice") })) {
    assertEquals(e.key[2], out.length);
    out.push(e.value);
  }
  return out;
}

async function everyValueText(kv: Deno.Kv): Promise<{ key: string; text: string }[]> {
  const out = [];
  for await (const e of kv.list({ prefix: [] })) {
    const text = typeof e.value === "string"
      ? e.value
      : JSON.stringify(e.value, (_, v) =>
        typeof v === "bigint"
          ? String(v)
          : v instanceof Uint8Array
          ? new TextDecoder().decode(v)
          : v);
    out.push({ key: JSON.stringify(e.key), text: text ?? "" });
  }
  return out;
}

Deno.test("sumdb log: enable appends existing versions (deleted included) in publish order, then answers; idempotent", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 0 });
  try {
    const auth = await server.user("alice");
    const a = await publish(server, auth, "example.com/b", "v1.0.0");
    const b = await publish(server, auth, "example.com/a", "v1.0.0");
    const c = await publish(server, auth, "example.com/b", "v1.1.0");
    await deleteVersion(server.kv, "alice", "example.com/a", "v1.0.0", CLI_ACTOR, 0);
    const logs = new ChecksumLogs(server.kv);
    assertEquals(await logs.latest("alice"), null);
    const meta = await enableLog(server.kv, "alice");
    assertEquals(await records(server.kv), [a.gosum, b.gosum, c.gosum]);
    assertOk(await logs.supported("alice", meta.name));
    const again = await enableLog(server.kv, "alice");
    assertEquals(again, meta);
    assertEquals((await records(server.kv)).length, 3);
    const d = await publish(server, auth, "example.com/a", "v1.2.0");
    assertEquals(await records(server.kv), [a.gosum, b.gosum, c.gosum, d.gosum]);
    const audits = (await readAudit(server.kv, 1, 100)).entries.filter((r) =>
      r.action.startsWith("sumdb")
    );
    assertEquals(audits.map((r) => r.action).sort(), ["sumdb.create", "sumdb.enable"]);
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: a log interrupted before it was marked enabled answers nothing; enabling again finishes it without duplicates", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    await publish(server, auth, "example.com/a", "v1.0.0");
    const meta = await enableLog(server.kv, "alice");
    // As if the process died after the backfill, before marking the log enabled.
    const { enabledAt: _, ...interrupted } = meta;
    await server.kv.set(keys.logMeta("alice"), interrupted);
    const logs = new ChecksumLogs(server.kv);
    assertEquals(await logs.supported("alice", meta.name), false);
    assertEquals(await logs.latest("alice"), null);
    assertEquals(await logs.lookup("alice", "example.com/a", "v1.0.0"), null);
    assertEquals(await logs.tile("alice", "tile/8/0/000.p/1"), null);
    await publish(server, auth, "example.com/a", "v1.1.0"); // logged while not yet enabled
    const done = await enableLog(server.kv, "alice");
    assertOk(done.enabledAt !== undefined);
    assertEquals(done.verifierKey, meta.verifierKey);
    assertEquals((await records(server.kv)).length, 2);
    assertOk(await logs.supported("alice", meta.name));
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: versions published while the log is enabled are each logged exactly once (5 rounds of 16 uploads racing enable)", async () => {
  for (let round = 0; round < 5; round++) {
    const server = await startTestServer();
    try {
      const auth = await server.user("alice");
      const versions = Array.from({ length: 16 }, (_, i) => `v1.${i}.0`);
      const zips = await Promise.all(
        versions.map((v) => moduleZip("example.com/r", v, { "go.mod": "module example.com/r\n" })),
      );
      const uploads = zips.map(async (z, i) => {
        await new Promise((r) => setTimeout(r, i));
        const res = await server.upload("alice", z, auth);
        return [res.status, await res.text()] as const;
      });
      await new Promise((r) => setTimeout(r, 5 + round * 3));
      await enableLog(server.kv, "alice");
      for (const [status, text] of await Promise.all(uploads)) assertEquals(status, 201, text);
      const logged = (await records(server.kv)).map((r) => r.split(" ")[1]).sort();
      assertEquals(logged, [...versions].sort(), `round ${round}`);
      const head = (await server.kv.get<LogHead>(keys.logHead("alice"))).value;
      assertEquals(head?.n, 16);
    } finally {
      await server.close();
    }
  }
});

Deno.test("sumdb log: a publish commit prepared before the log existed fails once the log is enabled, and appends on retry", async () => {
  const kv = await openStore(":memory:");
  try {
    await createUser(kv, "alice", {});
    const item = { module: "example.com/a", version: "v1.0.0", h1: "h1:x=", goModH1: "h1:y=" };
    const before = await kv.getMany<PublishLogValues>(
      publishLogKeys("alice", item.module, item.version),
    );
    assertEquals(before[0].value, null);
    await enableLog(kv, "alice"); // between publish's read and its commit
    const stale = kv.atomic().set(["version", "alice", item.module, item.version], 1);
    addPublishAppend(stale, "alice", before, item);
    assertEquals((await stale.commit()).ok, false);
    const after = await kv.getMany<PublishLogValues>(
      publishLogKeys("alice", item.module, item.version),
    );
    const retry = kv.atomic().set(["version", "alice", item.module, item.version], 1);
    addPublishAppend(retry, "alice", after, item);
    assertEquals((await retry.commit()).ok, true);
    assertEquals((await kv.get<LogHead>(keys.logHead("alice"))).value?.n, 1);
    assertEquals(
      (await kv.get<LoggedVersion>(keys.logEntry("alice", item.module, item.version))).value?.id,
      0,
    );
  } finally {
    kv.close();
  }
});

Deno.test("sumdb log: two enables at once make one log with one key; two store handles sign identical heads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/store.kv`;
    const kv1 = await openStore(path);
    await createUser(kv1, "alice", {});
    // Two enables on one store handle at once (two processes on one file are covered by
    // tests/multi_instance_test.ts; openStore retries writes SQLite refuses as locked).
    const [m1, m2] = await Promise.all([enableLog(kv1, "alice"), enableLog(kv1, "alice")]);
    assertEquals(m1.verifierKey, m2.verifierKey);
    const created = (await readAudit(kv1, 1, 100)).entries.filter((r) =>
      r.action === "sumdb.create"
    );
    assertEquals(created.length, 1, "one key created, never overwritten");
    const signer = (await kv1.get<string>(keys.logSignerKey("alice"))).value!;
    assertEquals((await parseSignerKey(signer)).verifierKey, m1.verifierKey);
    // Ed25519 is deterministic: another process (its own store handle and caches) signs the
    // same head, byte for byte.
    const kv2 = await openStore(path);
    const heads = [
      await new ChecksumLogs(kv1).latest("alice"),
      await new ChecksumLogs(kv2).latest("alice"),
    ];
    assertOk(heads[0] !== null);
    assertEquals(heads[1], heads[0]);
    kv1.close();
    kv2.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sumdb log: key in the store by default, only under its own key and never in the meta or audit", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    await publish(server, auth, "example.com/a", "v1.0.0");
    const meta = await enableLog(server.kv, "alice");
    assertEquals(meta.custody, "store");
    const holders = (await everyValueText(server.kv)).filter((e) => e.text.includes("PRIVATE+KEY"));
    assertEquals(holders.map((e) => e.key), [JSON.stringify(keys.logSignerKey("alice"))]);
    const head = await new ChecksumLogs(server.kv).latest("alice");
    const note = await openNote(head!, [await newVerifier(meta.verifierKey)]);
    assertEquals(parseTree(note.text).n, 1);
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: key in a key directory (file mode 0600), nowhere in the store; without the directory signing is refused", async () => {
  const server = await startTestServer();
  const keyDir = await Deno.makeTempDir();
  try {
    const auth = await server.user("alice");
    await publish(server, auth, "example.com/a", "v1.0.0");
    const meta: LogMeta = await enableLog(server.kv, "alice", { keyDir });
    assertEquals(meta.custody, "dir");
    const file = `${keyDir}/alice.key`;
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    const skey = (await Deno.readTextFile(file)).trim();
    // PRIVATE+KEY+<name>+<hash>+<base64 key>: the base64 may itself hold "+".
    const secret = skey.split("+").slice(4).join("+");
    assertOk(secret.length >= 40, `the key part of ${skey.slice(0, 20)}…`);
    assertEquals((await parseSignerKey(skey)).verifierKey, meta.verifierKey);
    const holders = (await everyValueText(server.kv)).filter((e) =>
      e.text.includes("PRIVATE+KEY") || e.text.includes(secret)
    );
    assertEquals(holders, []);
    let refused: unknown = null;
    await new ChecksumLogs(server.kv).latest("alice").catch((e) => refused = e);
    assertOk(refused instanceof LogKeyError, String(refused));
    assertIncludes((refused as Error).message, "--sumdb-key-dir");
    const head = await new ChecksumLogs(server.kv, { keyDir }).latest("alice");
    await openNote(head!, [await newVerifier(meta.verifierKey)]);
    // Enabling again keeps the key file as it is.
    await enableLog(server.kv, "alice", { keyDir });
    assertEquals((await Deno.readTextFile(file)).trim(), skey);
    // Another key in the file is refused, never used.
    const other = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${other}/alice.key`,
      skey.replace(/.$/, skey.endsWith("A") ? "B" : "A"),
    );
    refused = null;
    await new ChecksumLogs(server.kv, { keyDir: other }).latest("alice").catch((e) => refused = e);
    assertOk(refused instanceof LogKeyError, String(refused));
    assertOk(!(refused as Error).message.includes(secret));
    await Deno.remove(other, { recursive: true });
  } finally {
    await server.close();
    await Deno.remove(keyDir, { recursive: true });
  }
});
