/**
 * Tiles of a checksum-database log (golang.org/x/mod/sumdb/tlog): paths
 * `tile/H/L/NNN[.p/W]`, the hashes a tile holds, which tiles a grown tree publishes, and
 * reading hashes out of tiles authenticated against a signed tree head (x/mod's
 * `TileHashReader`) — as pure functions over tile data the caller fetches. No I/O.
 *
 * @module
 */

import {
  type Hash,
  HASH_SIZE,
  hashesEqual,
  type HashReader,
  MAX_TREE_SIZE,
  nodeHash,
  splitStoredHashIndex,
  storedHashIndex,
  type Tree,
  treeHashIndexes,
} from "./tlog.ts";

export type { Tree };

/** The tile height the `go` command uses. */
export const TILE_HEIGHT = 8;

/** Longest tile path accepted (the largest tree's path is about 40 characters). */
export const MAX_TILE_PATH_LENGTH = 200;

/**
 * A tile: `w` consecutive hashes at level `h·l` of the tree, starting at hash `n·2^h`.
 * A full tile has `w = 2^h`. Level `l = -1` is a data tile (records, not hashes).
 */
export interface Tile {
  /** Height, 1–30. */
  h: number;
  /** Level in the tiling, -1 (data) to 63. */
  l: number;
  /** Number within the level. */
  n: number;
  /** Width, 1 to 2^h. */
  w: number;
}

/** The tile is out of range for the tree, malformed, or does not match the tree head. */
export class TileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TileError";
  }
}

function checkTile(t: Tile): void {
  const ok = Number.isInteger(t.h) && t.h >= 1 && t.h <= 30 && Number.isInteger(t.l) &&
    t.l >= -1 && t.l <= 63 && Number.isSafeInteger(t.n) && t.n >= 0 &&
    Number.isInteger(t.w) && t.w >= 1 && t.w <= 2 ** t.h;
  if (!ok) throw new TileError(`Invalid tile ${JSON.stringify(t)}`);
}

/**
 * The path of a tile: `tile/H/L/NNN[.p/W]`, N in 3-digit groups (`x001/234`), `data` for
 * level -1, `.p/W` only for a partial tile.
 *
 * @example
 * ```ts
 * formatTilePath({ h: 8, l: 0, n: 1234, w: 5 }); // "tile/8/0/x001/234.p/5"
 * ```
 */
export function formatTilePath(t: Tile): string {
  checkTile(t);
  let n = t.n;
  let nStr = String(n % 1000).padStart(3, "0");
  while (n >= 1000) {
    n = Math.floor(n / 1000);
    nStr = `x${String(n % 1000).padStart(3, "0")}/${nStr}`;
  }
  const p = t.w === 2 ** t.h ? "" : `.p/${t.w}`;
  return `tile/${t.h}/${t.l === -1 ? "data" : t.l}/${nStr}${p}`;
}

const TILE_PATH = /^tile\/([0-9]+)\/(data|[0-9]+)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([0-9]+))?$/;

/**
 * Parses a tile path; only the canonical form {@link formatTilePath} writes is accepted.
 * Throws {@link TileError}.
 *
 * @example
 * ```ts
 * parseTilePath("tile/8/0/x001/234.p/5"); // { h: 8, l: 0, n: 1234, w: 5 }
 * parseTilePath("tile/8/0/1234"); // throws
 * ```
 */
export function parseTilePath(path: string): Tile {
  const bad = () => new TileError(`Malformed tile path ${JSON.stringify(path.slice(0, 100))}`);
  if (path.length > MAX_TILE_PATH_LENGTH) throw bad();
  const m = TILE_PATH.exec(path);
  if (m === null) throw bad();
  const h = Number(m[1]);
  const l = m[2] === "data" ? -1 : Number(m[2]);
  if (h < 1 || h > 30 || l > 63) throw bad();
  let n = 0;
  for (const group of m[3].split("/")) n = n * 1000 + Number(group.replace("x", ""));
  const w = m[4] === undefined ? 2 ** h : Number(m[4]);
  if (!Number.isSafeInteger(n) || w < 1 || w > 2 ** h) throw bad();
  const t = { h, l, n, w };
  if (formatTilePath(t) !== path) throw bad();
  return t;
}

/** The tile of height h and least width holding `index`, and the bytes that hash to it. */
function tileForIndexRange(h: number, index: number): [Tile, number, number] {
  const [level, n0] = splitStoredHashIndex(index);
  const l = Math.floor(level / h);
  const within = level - l * h; // level inside the tile
  const tn = Math.floor(n0 * 2 ** within / 2 ** h);
  const n = n0 - tn * 2 ** h / 2 ** within; // node number inside the tile, at that level
  const w = (n + 1) * 2 ** within;
  return [{ h, l, n: tn, w }, n * 2 ** within * HASH_SIZE, w * HASH_SIZE];
}

/**
 * The tile of height `h` and least width that holds stored hash `index`.
 *
 * @example
 * ```ts
 * tileForIndex(8, storedHashIndex(0, 300)); // { h: 8, l: 0, n: 1, w: 45 }
 * ```
 */
export function tileForIndex(h: number, index: number): Tile {
  if (!Number.isInteger(h) || h < 1 || h > 30) throw new RangeError(`Invalid tile height ${h}`);
  return tileForIndexRange(h, index)[0];
}

/** The subtree hash of the 2^k hashes in `data`. */
function tileHash(data: Uint8Array): Hash {
  if (data.length === HASH_SIZE) return data.slice();
  const half = data.length / 2;
  return nodeHash(tileHash(data.subarray(0, half)), tileHash(data.subarray(half)));
}

/**
 * The stored hash at `index`, from the data of tile `t` (which must be the tile
 * {@link tileForIndex} names, or a wider one). Throws {@link TileError}.
 *
 * @example
 * ```ts
 * hashFromTile({ h: 8, l: 0, n: 0, w: 3 }, data, storedHashIndex(0, 2)); // record 2's hash
 * ```
 */
export function hashFromTile(t: Tile, data: Uint8Array, index: number): Hash {
  checkTile(t);
  if (t.l < 0) throw new TileError(`Tile ${formatTilePath(t)} holds data, not hashes`);
  if (data.length < t.w * HASH_SIZE) {
    throw new TileError(`Data of ${data.length} bytes is too short for ${formatTilePath(t)}`);
  }
  const [t1, start, end] = tileForIndexRange(t.h, index);
  if (t.l !== t1.l || t.n !== t1.n || t.w < t1.w) {
    throw new TileError(`Index ${index} is in ${formatTilePath(t1)} not ${formatTilePath(t)}`);
  }
  return tileHash(data.subarray(start, end));
}

/**
 * The tiles of height `h` to publish when a tree grows from `oldSize` to `newSize` records
 * (the new full tiles and the new partial ones, each width between).
 *
 * @example
 * ```ts
 * newTiles(8, 0, 2).map(formatTilePath); // ["tile/8/0/000.p/1", "tile/8/0/000.p/2"]
 * ```
 */
export function newTiles(h: number, oldSize: number, newSize: number): Tile[] {
  if (!Number.isInteger(h) || h < 1 || h > 30) throw new RangeError(`Invalid tile height ${h}`);
  for (const size of [oldSize, newSize]) {
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_TREE_SIZE) {
      throw new RangeError(`Tree size must be from 0 to ${MAX_TREE_SIZE}, got ${size}`);
    }
  }
  const full = 2 ** h;
  const tiles: Tile[] = [];
  for (let level = 0; Math.floor(newSize / 2 ** (h * level)) > 0; level++) {
    const oldN = Math.floor(oldSize / 2 ** (h * level));
    const newN = Math.floor(newSize / 2 ** (h * level));
    for (let n = Math.floor(oldN / full); n < Math.floor(newN / full); n++) {
      tiles.push({ h, l: level, n, w: full });
    }
    const n = Math.floor(newN / full);
    const maxW = newN - n * full;
    const minW = oldN > n * full ? oldN - n * full : 1;
    for (let w = minW; w <= maxW; w++) tiles.push({ h, l: level, n, w });
  }
  return tiles;
}

/**
 * The stored indexes whose hashes make up hash tile `t`, in order.
 *
 * @example
 * ```ts
 * tileDataIndexes({ h: 8, l: 0, n: 0, w: 2 }); // [0, 1]
 * ```
 */
export function tileDataIndexes(t: Tile): number[] {
  checkTile(t);
  if (t.l < 0) throw new TileError(`Tile ${formatTilePath(t)} holds data, not hashes`);
  const start = t.n * 2 ** t.h;
  return Array.from({ length: t.w }, (_, i) => storedHashIndex(t.h * t.l, start + i));
}

/**
 * The bytes of a hash tile: the hashes at {@link tileDataIndexes}, concatenated.
 *
 * @example
 * ```ts
 * const data = tileDataFromHashes(tileDataIndexes(tile).map((x) => stored[x]));
 * ```
 */
export function tileDataFromHashes(hashes: Hash[]): Uint8Array {
  const data = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => data.set(h, i * HASH_SIZE));
  return data;
}

/** Tile t's k'th parent in a tree of n records, or null when the tree has none. */
function tileParent(t: Tile, k: number, n: number): Tile | null {
  const l = t.l + k;
  const tn = Math.floor(t.n / 2 ** (k * t.h));
  let w = 2 ** t.h;
  const max = Math.floor(n / 2 ** (l * t.h));
  if (tn * 2 ** t.h + w >= max) {
    if (tn * 2 ** t.h >= max) return null;
    w = max - tn * 2 ** t.h;
  }
  return { h: t.h, l, n: tn, w };
}

const key = (t: Tile) => `${t.h}/${t.l}/${t.n}/${t.w}`;

/** Which tiles to fetch to read some stored hashes of a tree, and how to check them. */
export interface TileReadPlan {
  /** The tree the tiles must match. */
  tree: Tree;
  /** The stored indexes asked for. */
  indexes: number[];
  /** The tiles to fetch, parents before children. */
  tiles: Tile[];
  /** For each of `treeHashIndexes(tree.n)`, the tile (in `tiles`) holding it. */
  treeTiles: number[];
  /** For each of `indexes`, the tile (in `tiles`) holding it. */
  indexTiles: number[];
}

/**
 * Plans the reading of stored hashes `indexes` of `tree` from tiles of height `h`:
 * the tiles that hold them, plus those needed to authenticate them against the tree's
 * root hash. Throws {@link TileError} for an index outside the tree.
 *
 * @example
 * ```ts
 * planTileReads({ n: 300, hash }, 8, [storedHashIndex(0, 5)]).tiles.map(formatTilePath);
 * // ["tile/8/1/000.p/1", "tile/8/0/001.p/44", "tile/8/0/000"]
 * ```
 */
export function planTileReads(tree: Tree, h: number, indexes: number[]): TileReadPlan {
  if (!Number.isInteger(h) || h < 1 || h > 30) throw new RangeError(`Invalid tile height ${h}`);
  if (tree.hash.length !== HASH_SIZE) throw new TileError("Tree hash is not 32 bytes");
  const order = new Map<string, number>();
  const tiles: Tile[] = [];
  const treeTiles = treeHashIndexes(tree.n).map((x) => {
    const tile = tileParent(tileForIndex(h, x), 0, tree.n)!;
    const j = order.get(key(tile));
    if (j !== undefined) return j;
    order.set(key(tile), tiles.length);
    tiles.push(tile);
    return tiles.length - 1;
  });
  const limit = tree.n === 0 ? 0 : storedHashIndex(0, tree.n);
  const indexTiles = indexes.map((x) => {
    if (!Number.isSafeInteger(x) || x < 0 || x >= limit) {
      throw new TileError(`Stored hash index ${x} is not in the tree of size ${tree.n}`);
    }
    const tile = tileForIndex(h, x);
    let k = 0;
    let found = -1;
    for (;; k++) {
      const p = tileParent(tile, k, tree.n);
      if (p === null || k > 64) throw new TileError(`No tile of tree ${tree.n} holds index ${x}`);
      const j = order.get(key(p));
      if (j !== undefined) {
        if (k === 0) found = j;
        break;
      }
    }
    for (k--; k >= 0; k--) {
      const p = tileParent(tile, k, tree.n)!;
      if (p.w !== 2 ** p.h) throw new TileError(`Tile plan error: ${tree.n} ${x}`);
      order.set(key(p), tiles.length);
      if (k === 0) found = tiles.length;
      tiles.push(p);
    }
    return found;
  });
  return { tree, indexes, tiles, treeTiles, indexTiles };
}

/**
 * Authenticates the fetched tiles of a {@link planTileReads} plan (`data[i]` for
 * `plan.tiles[i]`, exactly `w·32` bytes each) against the tree's root hash and returns the
 * hashes asked for. Throws {@link TileError} ("downloaded inconsistent tile") when the tiles
 * do not match the tree.
 *
 * @example
 * ```ts
 * const plan = planTileReads(tree, 8, [storedHashIndex(0, id)]);
 * const [leaf] = hashesFromTiles(plan, await Promise.all(plan.tiles.map(fetchTile)));
 * ```
 */
export function hashesFromTiles(plan: TileReadPlan, data: Uint8Array[]): Hash[] {
  const { tree, tiles } = plan;
  if (data.length !== tiles.length) {
    throw new TileError(`Got ${data.length} tiles, expected ${tiles.length}`);
  }
  tiles.forEach((t, i) => {
    if (data[i].length !== t.w * HASH_SIZE) {
      throw new TileError(
        `Tile ${formatTilePath(t)} has ${data[i].length} bytes, expected ${t.w * HASH_SIZE}`,
      );
    }
  });
  const stx = treeHashIndexes(tree.n);
  if (stx.length > 0) {
    const last = stx.length - 1;
    let th = hashFromTile(tiles[plan.treeTiles[last]], data[plan.treeTiles[last]], stx[last]);
    for (let i = last - 1; i >= 0; i--) {
      th = nodeHash(hashFromTile(tiles[plan.treeTiles[i]], data[plan.treeTiles[i]], stx[i]), th);
    }
    if (!hashesEqual(th, tree.hash)) throw new TileError("Downloaded inconsistent tile");
  }
  const order = new Map(tiles.map((t, i) => [key(t), i]));
  for (let i = new Set(plan.treeTiles).size; i < tiles.length; i++) {
    const p = tileParent(tiles[i], 1, tree.n);
    const j = p === null ? undefined : order.get(key(p));
    if (p === null || j === undefined) throw new TileError("Tile plan error: lost parent");
    const h = hashFromTile(p, data[j], storedHashIndex(p.l * p.h, tiles[i].n));
    if (!hashesEqual(h, tileHash(data[i]))) throw new TileError("Downloaded inconsistent tile");
  }
  return plan.indexes.map((x, i) =>
    hashFromTile(tiles[plan.indexTiles[i]], data[plan.indexTiles[i]], x)
  );
}

/**
 * A {@link HashReader} over the tiles of `tree` (x/mod's `TileHashReader`): every hash it
 * returns is proven to be in the tree. `readTiles` fetches tile data (cache, network).
 *
 * @example
 * ```ts
 * const reader = tileHashReader(tree, 8, (tiles) => Promise.all(tiles.map(fetchTile)));
 * const [leaf] = await reader([storedHashIndex(0, id)]);
 * ```
 */
export function tileHashReader(
  tree: Tree,
  h: number,
  readTiles: (tiles: Tile[]) => Uint8Array[] | Promise<Uint8Array[]>,
): HashReader {
  return async (indexes) => {
    const plan = planTileReads(tree, h, indexes);
    return hashesFromTiles(plan, await readTiles(plan.tiles));
  };
}
