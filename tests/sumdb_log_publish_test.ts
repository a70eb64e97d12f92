// Publishing with an owner's checksum log: the record is appended in the commit that makes
// the version visible (never visible before it is logged), a logged version never comes back
// with other content (409 naming the logged h1, deleted versions included), `pin clear` is
// refused for logged versions, and without a log nothing is written to the log's keys.
import { createToken, deleteOwner, restoreOwner } from "../src/registry/accounts.ts";
import { CLI_ACTOR } from "../src/registry/audit.ts";
import { clearPin, deleteVersion, PinInLogError } from "../src/registry/lifecycle.ts";
import { openNote } from "../src/sumdb/note.ts";
import { newVerifier } from "../src/sumdb/note_key.ts";
import { parseLookup, parseTree } from "../src/sumdb/records.ts";
import { TileError } from "../src/sumdb/tile.ts";
import { ChecksumLogs } from "../src/sumdb_log/checksum_logs.ts";
import { enableLog, verifierKey } from "../src/sumdb_log/enable.ts";
import type { LoggedVersion, LogHead } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/logged";

function zip(version: string, extra = "") {
  return moduleZip(MOD, version, {
    "go.mod": `module ${MOD}\n`,
    "a.go": `package logged\n\n// ${extra}\n`,
  });
}

async function publish(server: TestServer, auth: string, bytes: Uint8Array) {
  const res = await server.upload("alice", bytes, auth);
  const text = await res.text();
  return { status: res.status, text, json: res.status === 201 ? JSON.parse(text) : null };
}

async function head(kv: Deno.Kv): Promise<number> {
  return (await kv.get<LogHead>(keys.logHead("alice"))).value?.n ?? 0;
}

async function logged(kv: Deno.Kv, version: string): Promise<LoggedVersion | null> {
  return (await kv.get<LoggedVersion>(keys.logEntry("alice", MOD, version))).value;
}

Deno.test("sumdb log: publish appends both go.sum lines; lookup serves them with a head the verifier key opens", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const meta = await enableLog(server.kv, "alice", { baseUrl: server.url });
    assertEquals(meta.name, `${new URL(server.url).host}/alice`);
    const logs = new ChecksumLogs(server.kv);
    assertEquals(await logs.supported("alice", meta.name), true);
    assertEquals(await logs.supported("alice", "sum.golang.org"), false);
    const v1 = await publish(server, auth, await zip("v1.0.0"));
    const v2 = await publish(server, auth, await zip("v1.1.0"));
    assertEquals([v1.status, v2.status], [201, 201]);
    const body = await logs.lookup("alice", MOD, "v1.1.0");
    assertOk(body !== null);
    const lookup = parseLookup(new TextEncoder().encode(body));
    assertEquals(lookup.id, 1);
    assertEquals(new TextDecoder().decode(lookup.text), v2.json.gosum);
    const note = await openNote(lookup.signedHead, [await newVerifier(meta.verifierKey)]);
    assertEquals(parseTree(note.text).n, 2);
    assertEquals(await verifierKey(server.kv, "alice"), meta.verifierKey);
    assertEquals(await logs.lookup("alice", MOD, "v9.0.0"), null);
    assertEquals(await logs.lookup("alice", "x".repeat(2100), "v1.0.0"), null);
    // Data tiles as x/mod's server writes them: "<id>\n<record>\n" each.
    const data = await logs.tile("alice", "tile/8/data/000.p/2");
    assertEquals(new TextDecoder().decode(data!), `0\n${v1.json.gosum}\n1\n${v2.json.gosum}\n`);
    assertEquals(await logs.tile("alice", "tile/8/data/000.p/3"), null);
    assertEquals((await logs.tile("alice", "tile/8/0/000.p/2"))?.length, 64);
    let malformed: unknown = null;
    await logs.tile("alice", "tile/8/0/0001").catch((e) => malformed = e);
    assertOk(malformed instanceof TileError, String(malformed));
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: a version is never visible before its record is in the log (consistent snapshots while 12 versions publish)", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    await enableLog(server.kv, "alice");
    const versions = Array.from({ length: 12 }, (_, i) => `v1.${i}.0`);
    let publishing = true;
    let snapshots = 0;
    const violations: string[] = [];
    const watcher = (async () => {
      while (publishing) {
        for (const v of versions) {
          const [live, entry] = await server.kv.getMany([
            ["version", "alice", MOD, v],
            keys.logEntry("alice", MOD, v),
          ]);
          snapshots++;
          if (live.value !== null && entry.value === null) violations.push(v);
        }
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    const results = await Promise.all(
      versions.map(async (v) => publish(server, auth, await zip(v))),
    );
    publishing = false;
    await watcher;
    assertEquals(results.map((r) => r.status), versions.map(() => 201));
    assertEquals(violations, [], `visible before logged (${snapshots} snapshots)`);
    assertEquals(await head(server.kv), 12);
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: a logged version never comes back with other content (409 naming the logged h1), also deleted and unpinned", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 0 });
  try {
    const auth = await server.user("alice");
    await enableLog(server.kv, "alice");
    const first = await publish(server, auth, await zip("v1.0.0"));
    assertEquals(first.status, 201);
    await deleteVersion(server.kv, "alice", MOD, "v1.0.0", CLI_ACTOR, 0);
    // The log is the pin: it cannot be lifted.
    let refused: unknown = null;
    await clearPin(server.kv, "alice", MOD, "v1.0.0", CLI_ACTOR).catch((e) => refused = e);
    assertOk(refused instanceof PinInLogError, String(refused));
    assertIncludes((refused as Error).message, "checksum database");
    assertOk((await server.kv.get(["pin", "alice", MOD, "v1.0.0"])).value !== null);
    // Even with the pin gone (removed behind the registry's back), the log refuses.
    await server.kv.delete(["pin", "alice", MOD, "v1.0.0"]);
    const other = await publish(server, auth, await zip("v1.0.0", "other"));
    assertEquals(other.status, 409);
    assertIncludes(other.text, "checksum database of alice");
    assertIncludes(other.text, first.json.h1);
    // The same content comes back, without a second record.
    const again = await publish(server, auth, await zip("v1.0.0"));
    assertEquals(again.status, 201);
    assertEquals(await head(server.kv), 1);
    assertEquals((await logged(server.kv, "v1.0.0"))?.id, 0);
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: without a log, publish writes no log keys and pin clear works as before", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 0 });
  try {
    const auth = await server.user("alice");
    assertEquals((await publish(server, auth, await zip("v1.0.0"))).status, 201);
    for (const prefix of ["sumdb_log", "sumdb_head", "sumdb_entry", "sumdb_record", "sumdb_hash"]) {
      for await (const e of server.kv.list({ prefix: [prefix] })) {
        throw new Error(`unexpected ${e.key.join("/")}`);
      }
    }
    await deleteVersion(server.kv, "alice", MOD, "v1.0.0", CLI_ACTOR, 0);
    await clearPin(server.kv, "alice", MOD, "v1.0.0", CLI_ACTOR);
    assertEquals((await publish(server, auth, await zip("v1.0.0", "other"))).status, 201);
    assertEquals(await new ChecksumLogs(server.kv).latest("alice"), null);
  } finally {
    await server.close();
  }
});

Deno.test("sumdb log: deleting the owner keeps the log and key; restore reuses them", async () => {
  const server = await startTestServer({ deleteGraceSeconds: 0 });
  try {
    const auth = await server.user("alice");
    const meta = await enableLog(server.kv, "alice");
    const first = await publish(server, auth, await zip("v1.0.0"));
    const logs = new ChecksumLogs(server.kv);
    const before = await logs.latest("alice");
    await deleteOwner(server.kv, "alice");
    await restoreOwner(server.kv, "alice");
    assertEquals(await verifierKey(server.kv, "alice"), meta.verifierKey);
    assertEquals(await new ChecksumLogs(server.kv).latest("alice"), before);
    assertEquals((await enableLog(server.kv, "alice")).verifierKey, meta.verifierKey);
    // Restore brings no credentials back: a new token.
    const { token } = await createToken(server.kv, "alice", { scope: "write" });
    const auth2 = basic("alice", token);
    assertOk(auth2 !== auth);
    const other = await publish(server, auth2, await zip("v1.0.0", "other"));
    assertEquals(other.status, 409);
    assertIncludes(other.text, first.json.h1);
    assertEquals((await publish(server, auth2, await zip("v1.0.0"))).status, 201);
    assertEquals(await head(server.kv), 1);
  } finally {
    await server.close();
  }
});
