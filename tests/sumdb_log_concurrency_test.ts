// Two app instances on one store publishing 100 versions of one owner at once make one
// consistent log: every version exactly once at its own index, each record the version's
// go.sum lines, and every signed head either instance gave out while they published is a
// prefix of the final tree (consistency proofs from src/sumdb/proof.ts), never two heads
// of one size.
import { openStore } from "../src/store/open_store.ts";
import { openNote } from "../src/sumdb/note.ts";
import { newVerifier } from "../src/sumdb/note_key.ts";
import { checkRecord, checkTree, proveRecord, proveTree } from "../src/sumdb/proof.ts";
import { parseTree } from "../src/sumdb/records.ts";
import { formatHash, recordHash, treeHash } from "../src/sumdb/tlog.ts";
import { ChecksumLogs } from "../src/sumdb_log/checksum_logs.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";
import type { LoggedVersion } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import { logHashReader } from "../src/sumdb_log/log_tiles.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const COUNT = 100;
// 25 modules × 4 versions: publishes of different modules share only the log's head, so the
// head's versionstamp check alone keeps them from taking one index.
const MODULES = 25;
const moduleOf = (i: number) => `example.com/c${i % MODULES}`;
const versionOf = (i: number) => `v1.${Math.floor(i / MODULES)}.0`;

Deno.test("sumdb log: two servers on one store publishing 100 versions at once make one consistent log", async () => {
  const kv = await openStore(":memory:");
  const a = await startTestServer({ store: kv });
  const b = await startTestServer({ store: kv });
  try {
    const auth = await a.user("alice");
    const meta = await enableLog(kv, "alice", { baseUrl: a.url });
    const verifier = await newVerifier(meta.verifierKey);
    const logs = [new ChecksumLogs(kv), new ChecksumLogs(kv)];
    const versions = Array.from({ length: COUNT }, (_, i) => versionOf(i));
    const zips = await Promise.all(
      versions.map((v, i) => moduleZip(moduleOf(i), v, { "go.mod": `module ${moduleOf(i)}\n` })),
    );

    const heads = new Map<string, string>(); // note → which instance gave it out
    let publishing = true;
    const watchers = logs.map(async (log, i) => {
      while (publishing) {
        const note = await log.latest("alice");
        if (note !== null) heads.set(note, `server ${i}`);
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    const results = await Promise.all(zips.map(async (zip, i) => {
      const res = await (i % 2 ? a : b).upload("alice", zip, auth);
      return { status: res.status, body: await res.text() };
    }));
    publishing = false;
    await Promise.all(watchers);
    for (const r of results) assertEquals(r.status, 201, r.body);

    // Every version exactly once, at distinct indexes 0..99, holding its own go.sum lines.
    const ids = new Set<number>();
    for (const [i, v] of versions.entries()) {
      const entry = (await kv.get<LoggedVersion>(keys.logEntry("alice", moduleOf(i), v))).value;
      assertOk(entry !== null, `${v} not logged`);
      assertEquals(entry.text, JSON.parse(results[i].body).gosum);
      assertEquals((await kv.get<string>(keys.logRecord("alice", entry.id))).value, entry.text);
      ids.add(entry.id);
    }
    assertEquals([...ids].sort((x, y) => x - y), versions.map((_, i) => i));
    let records = 0;
    for await (const _ of kv.list({ prefix: keys.logRecords("alice") })) records++;
    assertEquals(records, COUNT);

    // The final tree, as both instances sign it, and every record proven in it.
    const final = await logs[0].latest("alice");
    assertEquals(await logs[1].latest("alice"), final);
    const finalTree = parseTree((await openNote(final!, [verifier])).text);
    assertEquals(finalTree.n, COUNT);
    const reader = logHashReader(kv, "alice");
    assertEquals(formatHash(await treeHash(COUNT, reader)), formatHash(finalTree.hash));
    for await (const e of kv.list<string>({ prefix: keys.logRecords("alice") })) {
      const id = e.key[2] as number;
      checkRecord(
        await proveRecord(COUNT, id, reader),
        COUNT,
        finalTree.hash,
        id,
        recordHash(e.value),
      );
    }

    // Every head given out on the way is a prefix of the final tree; one head per size.
    const sizes = new Map<number, string>();
    for (const note of heads.keys()) {
      const tree = parseTree((await openNote(note, [verifier])).text);
      assertOk(!sizes.has(tree.n), `two heads of size ${tree.n}`);
      sizes.set(tree.n, note);
      if (tree.n === 0 || tree.n === COUNT) continue;
      const proof = await proveTree(COUNT, tree.n, reader);
      checkTree(proof, COUNT, finalTree.hash, tree.n, tree.hash);
    }
    assertOk(sizes.size > 2, `only ${sizes.size} distinct heads seen while publishing`);
  } finally {
    await a.close();
    await b.close();
    kv.close();
  }
});
