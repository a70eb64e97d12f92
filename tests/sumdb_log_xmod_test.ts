// An owner's checksum log in KV (src/sumdb_log) against golang.org/x/mod/sumdb through
// tools/xmodsumdb: for logs of 1, 2, 255, 256, 257, 1,000, 65,537 and 256,257 records (past
// the first level-2 tile; level-0 tile numbers ≥ 1000 written x001/…), every tree root,
// stored hash, hash tile (of every size the log passed, fetched again at the end), signed
// head and lookup the KV log produces equals x/mod's; x/mod's note verifier accepts the
// heads and x/mod's TileHashReader authenticates records through the KV log's tiles.
import { createHash } from "node:crypto";
import { decodeBase64, encodeBase64 } from "../src/sumdb/base64.ts";
import { formatTilePath, newTiles, parseTilePath } from "../src/sumdb/tile.ts";
import { formatHash, recordHash, storedHashCount, storedHashIndex } from "../src/sumdb/tlog.ts";
import { parseTree } from "../src/sumdb/records.ts";
import { appendVersion, appendVersions, itemText } from "../src/sumdb_log/append.ts";
import { logHashReader } from "../src/sumdb_log/log_tiles.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import { openTestLog, synthItem, type TestLog } from "./helpers/sumdb_log.ts";
import { xmodSumdb } from "./helpers/xmodsumdb.ts";

const ignore = !goPrerequisites(["golang.org/x/mod/sumdb/tlog", "golang.org/x/mod/sumdb/note"]);
const enc = new TextEncoder();
const dec = new TextDecoder();
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("base64");

type GoTile = { path: string; data: string };

/** The tree head text inside a signed note. */
function headText(note: string): string {
  return note.slice(0, note.indexOf("\n\n") + 1);
}

/** Checks every tile x/mod lists, by data or (digests) by SHA-256, against the KV log. */
async function assertTiles(log: TestLog, tiles: GoTile[], digests = false): Promise<void> {
  for (const { path, data } of tiles) {
    const mine = await log.logs.tile("alice", path);
    assertOk(mine !== null, `${path}: missing from the KV log`);
    if (digests) assertEquals(sha256(mine), data, path);
    else assertEquals(encodeBase64(mine), data, path);
  }
}

/** Appends items [from, to) one by one (the publish path's single append). */
async function appendOneByOne(log: TestLog, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await appendVersion(log.kv, "alice", synthItem(i));
}

Deno.test({
  name: "sumdb log: 1, 2, 255, 256, 257 and 1,000 records appended one by one equal x/mod",
  ignore,
  async fn() {
    const sizes = [1, 2, 255, 256, 257, 1000];
    const count = sizes.at(-1)!;
    const log = await openTestLog();
    try {
      const texts = Array.from({ length: count }, (_, i) => itemText(synthItem(i)));
      const go = await xmodSumdb({
        op: "tree",
        records: texts.map((t) => encodeBase64(enc.encode(t))),
        storedHashes: true,
        treeSizes: sizes,
        signerKeys: [log.signerKey],
        lookups: sizes.flatMap((t) => [[t, 0], [t, t - 1]]),
      });
      const heads: string[] = [];
      let done = 0;
      for (const [i, size] of sizes.entries()) {
        await appendOneByOne(log, done, size);
        done = size;
        const head = await log.logs.latest("alice");
        assertOk(head !== null);
        assertEquals(head, dec.decode(decodeBase64(go.heads[i])!), `head of ${size}`);
        assertEquals(formatHash(parseTree(headText(head)).hash), go.treeHashes[i]);
        heads.push(head);
        await assertTiles(log, go.tiles[i]);
        for (const [j, id] of [[0, 0], [1, size - 1]]) {
          const { module, version } = synthItem(id);
          assertEquals(
            await log.logs.lookup("alice", module, version),
            dec.decode(decodeBase64(go.lookups[2 * i + j])!),
            `lookup of ${id} at ${size}`,
          );
        }
      }
      // Every tile of every size passed is still served, unchanged.
      await assertTiles(log, go.tiles.flat());
      // The stored hashes are x/mod's, index by index.
      const indexes = Array.from({ length: storedHashCount(count) }, (_, i) => i);
      const stored = await logHashReader(log.kv, "alice")(indexes);
      assertEquals(stored.map(formatHash), go.storedHashes);
      // Tiles beyond the tree are not served.
      for (
        const path of ["tile/8/0/003.p/233", "tile/8/0/004", "tile/8/1/000.p/4", "tile/8/2/000.p/1"]
      ) {
        assertEquals(await log.logs.tile("alice", path), null, path);
      }
      // x/mod's note verifier accepts every head.
      const opened = await xmodSumdb({
        op: "open",
        verifierKeys: [log.meta.verifierKey],
        msg: encodeBase64(enc.encode(heads[0])),
        msgs: heads.map((h) => encodeBase64(enc.encode(h))),
      });
      for (const [i, o] of opened.openedMany.entries()) {
        assertEquals(o.err, "", `head ${sizes[i]}`);
        assertEquals(o.text, headText(heads[i]));
      }
      // x/mod's TileHashReader authenticates records through the KV log's tiles.
      const tree = parseTree(headText(heads.at(-1)!));
      const tileData: Record<string, string> = {};
      for (const t of newTiles(8, 0, count)) {
        tileData[formatTilePath(t)] = encodeBase64(
          (await log.logs.tile("alice", formatTilePath(t)))!,
        );
      }
      const ids = [0, 255, 256, 511, 999];
      const read = await xmodSumdb({
        op: "tileRead",
        tree: { N: tree.n, Hash: formatHash(tree.hash) },
        tileData,
        readIndexes: ids.map((id) => storedHashIndex(0, id)),
      });
      assertEquals(read.err ?? "", "");
      assertEquals(read.readHashes, ids.map((id) => formatHash(recordHash(texts[id]))));
    } finally {
      log.kv.close();
    }
  },
});

Deno.test({
  name: "sumdb log: 65,537 records (bulk to 65,536, then one more) equal x/mod, level-2 tile",
  ignore,
  async fn() {
    const count = 65_537;
    const log = await openTestLog();
    try {
      const texts = Array.from({ length: count }, (_, i) => itemText(synthItem(i)));
      const go = await xmodSumdb({
        op: "tree",
        records: texts.map((t) => encodeBase64(enc.encode(t))),
        treeSizes: [1000, 65_536, 65_537],
        signerKeys: [log.signerKey],
        lookups: [[65_537, 65_536], [65_537, 12_345]],
      });
      await appendOneByOne(log, 0, 1000);
      await appendVersions(
        log.kv,
        "alice",
        Array.from({ length: 64_536 }, (_, i) => synthItem(1000 + i)),
      );
      assertEquals(await log.logs.latest("alice"), dec.decode(decodeBase64(go.heads[1])!));
      await appendOneByOne(log, 65_536, count);
      assertEquals(await log.logs.latest("alice"), dec.decode(decodeBase64(go.heads[2])!));
      assertOk(go.tiles[2].some((t: GoTile) => t.path === "tile/8/2/000.p/1"));
      await assertTiles(log, go.tiles.flat());
      for (const [i, id] of [65_536, 12_345].entries()) {
        const { module, version } = synthItem(id);
        assertEquals(
          await log.logs.lookup("alice", module, version),
          dec.decode(decodeBase64(go.lookups[i])!),
        );
      }
    } finally {
      log.kv.close();
    }
  },
});

Deno.test({
  name: "sumdb log: 256,257 records equal x/mod (tile paths x001/000, x001/001.p/1)",
  ignore,
  async fn() {
    const count = 256_257;
    const log = await openTestLog();
    try {
      const go = await xmodSumdb({
        op: "synthTree",
        synthCount: count,
        treeSizes: [256_000, count],
        signerKeys: [log.signerKey],
      });
      await appendVersions(
        log.kv,
        "alice",
        Array.from({ length: 256_000 }, (_, i) => synthItem(i)),
      );
      assertEquals(await log.logs.latest("alice"), dec.decode(decodeBase64(go.heads[0])!));
      await appendOneByOne(log, 256_000, count);
      assertEquals(await log.logs.latest("alice"), dec.decode(decodeBase64(go.heads[1])!));
      const paths = go.tiles.flat().map((t: GoTile) => t.path);
      for (const p of ["tile/8/0/x001/000", "tile/8/0/x001/001.p/1", "tile/8/1/003.p/233"]) {
        assertOk(paths.includes(p), p);
        assertEquals(formatTilePath(parseTilePath(p)), p);
      }
      await assertTiles(log, go.tiles.flat(), true);
    } finally {
      log.kv.close();
    }
  },
});
