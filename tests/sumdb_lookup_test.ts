// Verifying lookup answers as the go command does (src/sumdb/lookup_check.ts), over logs,
// signed heads, lookups and tiles that golang.org/x/mod/sumdb/tlog and note produced through
// tools/xmodsumdb: a consistent history is accepted in either order, a forked or rolled-back
// log is a ForkError, a swapped record a LookupError, a tampered tile a TileError.
import { encodeBase64 } from "../src/sumdb/base64.ts";
import { ForkError, LookupError, verifyLookup } from "../src/sumdb/lookup_check.ts";
import { UnverifiedNoteError } from "../src/sumdb/note.ts";
import { generateKey, newVerifier, type Verifier } from "../src/sumdb/note_key.ts";
import { formatLookup, parseLookup, RecordError } from "../src/sumdb/records.ts";
import { formatTilePath, type Tile, TileError } from "../src/sumdb/tile.ts";
import { formatHash, recordHash, type Tree } from "../src/sumdb/tlog.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { goPrerequisites } from "./helpers/go.ts";
import { xmodSumdb } from "./helpers/xmodsumdb.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const available = goPrerequisites(["golang.org/x/mod/sumdb/tlog", "golang.org/x/mod/sumdb/note"]);

const bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, got none");
}

function records(fork: number | null): Uint8Array[] {
  return Array.from({ length: 300 }, (_, i) => {
    const zip = formatHash(recordHash(`zip ${i}${i === fork ? " forked" : ""}`));
    const mod = formatHash(recordHash(`mod ${i}`));
    return enc.encode(
      `example.com/m v1.${i}.0 h1:${zip}\nexample.com/m v1.${i}.0/go.mod h1:${mod}\n`,
    );
  });
}

interface Log {
  lookups: Map<string, Uint8Array>;
  fetch: (tiles: Tile[]) => Uint8Array[];
  tiles: Map<string, Uint8Array>;
}

/** A log of 300 records served by x/mod: tiles of trees 100, 200, 300 and some lookups. */
async function goLog(signerKey: string, fork: number | null, lookups: number[][]): Promise<Log> {
  const go = await xmodSumdb({
    op: "tree",
    records: records(fork).map(encodeBase64),
    treeSizes: [100, 200, 300],
    signerKeys: [signerKey],
    lookups,
  });
  const tiles = new Map<string, Uint8Array>();
  for (const list of go.tiles) for (const x of list) tiles.set(x.path, bytes(x.data));
  return {
    tiles,
    lookups: new Map(lookups.map(([t, id], i) => [`${t}/${id}`, bytes(go.lookups[i])])),
    fetch: (ts) =>
      ts.map((t) => {
        const data = tiles.get(formatTilePath(t));
        if (data === undefined) throw new Error(`no tile ${formatTilePath(t)}`);
        return data;
      }),
  };
}

Deno.test({
  name: "verifyLookup: x/mod's heads, lookups and tiles; forks, rollbacks, swaps and forgeries",
  ignore: !available,
  async fn() {
    const keys = await generateKey("sum.modyard.test/up", new Uint8Array(32).fill(3));
    const known: Verifier[] = [await newVerifier(keys.verifierKey)];
    const spots = [[100, 5], [200, 150], [300, 5], [300, 250]];
    const a = await goLog(keys.signerKey, null, spots);
    const b = await goLog(keys.signerKey, 150, spots); // the same key, another history from 150 on
    const at = (log: Log, t: number, id: number) => log.lookups.get(`${t}/${id}`)!;

    // No head trusted yet: the answer's own head is checked and becomes the latest.
    const first = await verifyLookup(at(a, 300, 250), known, a.fetch);
    assertEquals([first.id, first.tree.n, first.latest.n, first.lines.length], [250, 300, 300, 2]);
    assertEquals(first.lines[0].version, "v1.250.0");
    const a100 = (await verifyLookup(at(a, 100, 5), known, a.fetch)).tree;
    const a200 = (await verifyLookup(at(a, 200, 150), known, a.fetch)).tree;
    const a300 = first.tree;
    const b300 = (await verifyLookup(at(b, 300, 5), known, b.fetch)).tree;

    // A consistent history, forwards and backwards.
    const forward = await verifyLookup(at(a, 300, 5), known, a.fetch, a100);
    assertEquals([forward.tree.n, forward.latest.n], [300, 300]);
    const backward = await verifyLookup(at(a, 100, 5), known, a.fetch, a300);
    assertEquals([backward.tree.n, backward.latest, backward.id], [100, a300, 5]);
    // B agrees with A up to record 150: A's head of 100 is consistent with B's tree.
    await verifyLookup(at(b, 300, 5), known, b.fetch, a100);

    // A fork: A's head of 200 holds A's record 150; B's tree of 300 does not extend it.
    const fork = await thrown(() => verifyLookup(at(b, 300, 5), known, b.fetch, a200));
    assertOk(fork instanceof ForkError, String(fork));
    assertEquals([fork.older, fork.newer], [a200, b300]);
    // A rollback to another history: B's head of 300 trusted, A's older head shown.
    const rollback = await thrown(() => verifyLookup(at(a, 200, 150), known, b.fetch, b300));
    assertOk(rollback instanceof ForkError, String(rollback));

    // A record swapped for another under the same signed head.
    const real = parseLookup(at(a, 300, 5));
    const swapped = formatLookup(5, records(5)[5], dec.decode(real.signedHead));
    const swap = await thrown(() => verifyLookup(enc.encode(swapped), known, a.fetch));
    assertOk(swap instanceof LookupError, String(swap));
    const moved = formatLookup(6, real.text, dec.decode(real.signedHead));
    assertOk(
      (await thrown(() => verifyLookup(enc.encode(moved), known, a.fetch))) instanceof LookupError,
    );
    const beyond = formatLookup(300, real.text, dec.decode(real.signedHead));
    assertOk(
      (await thrown(() => verifyLookup(enc.encode(beyond), known, a.fetch))) instanceof RangeError,
    );

    // Forged tiles, another key, a broken answer.
    const forged = new Map(a.tiles);
    const tile = forged.get("tile/8/0/000")!.slice();
    tile[5 * 32 + 7] ^= 1;
    forged.set("tile/8/0/000", tile);
    const fetchForged = (ts: Tile[]) => ts.map((t) => forged.get(formatTilePath(t))!);
    const forgery = await thrown(() => verifyLookup(at(a, 300, 5), known, fetchForged));
    assertOk(forgery instanceof TileError, String(forgery));
    const stranger = await newVerifier((await generateKey("sum.modyard.test/up")).verifierKey);
    const unknown = await thrown(() => verifyLookup(at(a, 300, 5), [stranger], a.fetch));
    assertOk(unknown instanceof UnverifiedNoteError, String(unknown));
    const broken = await thrown(() => verifyLookup(enc.encode("5\nno blank line"), known, a.fetch));
    assertOk(broken instanceof RecordError, String(broken));
    const empty: Tree = { n: 0, hash: new Uint8Array(32) };
    assertEquals((await verifyLookup(at(a, 100, 5), known, a.fetch, empty)).latest, a100);
  },
});
