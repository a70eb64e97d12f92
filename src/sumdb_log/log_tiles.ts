/**
 * Reading an owner's log back out of KV: hash tiles and data tiles of any tree size the log
 * has reached (every size ever signed stays servable, since the log only grows), and its
 * stored hashes by x/mod's dense index (for proofs).
 *
 * @module
 */

import { formatRecord } from "../sumdb/records.ts";
import { type Tile, TILE_HEIGHT } from "../sumdb/tile.ts";
import { type Hash, type HashReader, splitStoredHashIndex } from "../sumdb/tlog.ts";
import { keys } from "../store/keys.ts";

/**
 * Whether tile `t` (height 8) lies within a tree of `size` records: the last hash or record
 * it holds exists once the tree has that many records.
 *
 * @example
 * ```ts
 * tileInTree({ h: 8, l: 0, n: 0, w: 5 }, 4); // false
 * tileInTree({ h: 8, l: 1, n: 0, w: 1 }, 256); // true
 * ```
 */
export function tileInTree(t: Tile, size: number): boolean {
  if (t.h !== TILE_HEIGHT) return false;
  const level = Math.max(t.l, 0);
  return (t.n * 2 ** t.h + t.w) * 2 ** (t.h * level) <= size;
}

/**
 * The bytes of hash tile `t` (level ≥ 0) of the owner's log: `w` hashes of tree level `8·l`,
 * from one `list`. The caller checks {@link tileInTree} first; a missing hash is an error.
 *
 * @example
 * ```ts
 * await readHashTile(kv, "alice", { h: 8, l: 0, n: 0, w: 3 }); // 96 bytes
 * ```
 */
export async function readHashTile(kv: Deno.Kv, owner: string, t: Tile): Promise<Uint8Array> {
  const level = t.h * t.l;
  const start = t.n * 2 ** t.h;
  const data = new Uint8Array(t.w * 32);
  let i = 0;
  for await (
    const e of kv.list<Uint8Array>({
      start: keys.logHash(owner, level, start),
      end: keys.logHash(owner, level, start + t.w),
    }, { batchSize: Math.min(t.w, 1000) })
  ) {
    if (e.key[3] !== start + i || e.value.length !== 32) break;
    data.set(e.value, 32 * i++);
  }
  if (i !== t.w) {
    throw new Error(`Checksum log of ${owner} lacks hash ${start + i} of level ${level}`);
  }
  return data;
}

/**
 * The bytes of data tile `t` (level -1) of the owner's log, as x/mod's server writes them:
 * `<id>\n<record>\n` for each record.
 *
 * @example
 * ```ts
 * await readDataTile(kv, "alice", { h: 8, l: -1, n: 0, w: 1 }); // "0\nexample.com/m v1.0.0 h1:…\n…\n\n"
 * ```
 */
export async function readDataTile(kv: Deno.Kv, owner: string, t: Tile): Promise<Uint8Array> {
  const start = t.n * 2 ** t.h;
  const parts: string[] = [];
  for await (
    const e of kv.list<string>({
      start: keys.logRecord(owner, start),
      end: keys.logRecord(owner, start + t.w),
    }, { batchSize: Math.min(t.w, 1000) })
  ) {
    if (e.key[2] !== start + parts.length) break;
    parts.push(formatRecord(start + parts.length, e.value));
  }
  if (parts.length !== t.w) {
    throw new Error(`Checksum log of ${owner} lacks record ${start + parts.length}`);
  }
  return new TextEncoder().encode(parts.join(""));
}

/**
 * A {@link HashReader} over the owner's stored hashes by x/mod's dense index (for proofs
 * and tree hashes of any size the log has reached).
 *
 * @example
 * ```ts
 * const root = await treeHash(10, logHashReader(kv, "alice"));
 * ```
 */
export function logHashReader(kv: Deno.Kv, owner: string): HashReader {
  return async (indexes) => {
    const out: Hash[] = [];
    for (let i = 0; i < indexes.length; i += 10) {
      const batch = indexes.slice(i, i + 10).map((x) => {
        const [level, n] = splitStoredHashIndex(x);
        return keys.logHash(owner, level, n);
      });
      for (const e of await kv.getMany<Uint8Array[]>(batch)) {
        if (e.value === null) throw new Error(`Checksum log of ${owner} lacks ${e.key.join("/")}`);
        out.push(e.value);
      }
    }
    return out;
  };
}
