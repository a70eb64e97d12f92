/**
 * The tamper-evident log of Go's checksum database (golang.org/x/mod/sumdb/tlog), after
 * RFC 6962: record and node hashes, the stored-hash layout, tree hashes, and record
 * (inclusion) and tree (consistency) proofs, producing and checking them.
 *
 * No I/O: each computation that needs stored hashes comes as a pair — `…Indexes` says which
 * stored hashes to read, `…FromHashes` computes from them — plus an async convenience that
 * calls a {@link HashReader} the caller provides (a KV read, a tile fetch, an array).
 * Proofs are in `proof.ts`, tiles in `tile.ts`, tree heads and records in `records.ts`;
 * `mod.ts` exports them all.
 *
 * Sizes and indexes are JavaScript numbers: trees up to {@link MAX_TREE_SIZE} records.
 *
 * @module
 */

import { sha256 } from "../crypto/sha256.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** A record or tree hash: 32 bytes of SHA-256. */
export type Hash = Uint8Array;

/** Bytes in a {@link Hash}. */
export const HASH_SIZE = 32;

/** Largest tree this code handles (2^50 records), so that every stored index stays exact. */
export const MAX_TREE_SIZE = 2 ** 50;

/** A tree: its size and root hash (what a signed tree head states). */
export interface Tree {
  /** Number of records. */
  n: number;
  /** Root hash. */
  hash: Hash;
}

/** Reads stored hashes by index (see {@link storedHashIndex}); one hash per index, in order. */
export type HashReader = (indexes: number[]) => Hash[] | Promise<Hash[]>;

/**
 * The hash of a log record: SHA-256(0x00 ‖ data).
 *
 * @example
 * ```ts
 * formatHash(recordHash("hello world")); // "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
 * ```
 */
export function recordHash(data: Uint8Array | string): Hash {
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  const buf = new Uint8Array(1 + bytes.length); // buf[0] = 0
  buf.set(bytes, 1);
  return sha256(buf);
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
 *
 * @example
 * ```ts
 * nodeHash(recordHash("a"), recordHash("b")); // the root of the tree ["a", "b"]
 * ```
 */
export function nodeHash(left: Hash, right: Hash): Hash {
  const buf = new Uint8Array(1 + 2 * HASH_SIZE); // one update is faster than three
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + HASH_SIZE);
  return sha256(buf);
}

/**
 * Whether two hashes are equal.
 *
 * @example
 * ```ts
 * hashesEqual(recordHash("a"), recordHash("a")); // true
 * ```
 */
export function hashesEqual(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Base64 of a hash, as tree heads and x/mod print it.
 *
 * @example
 * ```ts
 * formatHash(new Uint8Array(32)); // "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
 * ```
 */
export function formatHash(h: Hash): string {
  return encodeBase64(h);
}

/**
 * Parses the base64 of a hash; throws `SyntaxError` unless it is exactly 32 bytes.
 *
 * @example
 * ```ts
 * parseHash("TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=").length; // 32
 * ```
 */
export function parseHash(s: string): Hash {
  const h = s.length === 44 ? decodeBase64(s) : null;
  if (h === null || h.length !== HASH_SIZE) {
    throw new SyntaxError(`Malformed hash ${JSON.stringify(s.slice(0, 60))}`);
  }
  return h;
}

/** @internal Throws `RangeError` unless `n` is an integer from 0 to `max`. */
export function checkCount(what: string, n: number, max = MAX_TREE_SIZE): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${what} must be an integer from 0 to ${max}, got ${n}`);
  }
}

/** @internal 2^k for the largest k with 2^k < n (n ≥ 2), and k. */
export function maxpow2(n: number): [number, number] {
  let l = 0;
  while (2 ** (l + 1) < n) l++;
  return [2 ** l, l];
}

function trailingZeros(n: number): number {
  let z = 0;
  while (n > 0 && n % 2 === 0) {
    n /= 2;
    z++;
  }
  return z;
}

/**
 * Where the hash of node (level, n) is stored in the dense order in which a log writes its
 * hashes: leaf n's hash, then the hashes of the subtrees it completes.
 *
 * @example
 * ```ts
 * storedHashIndex(0, 2); // 3 (after leaf 0, leaf 1, and their parent)
 * storedHashIndex(1, 0); // 2
 * ```
 */
export function storedHashIndex(level: number, n: number): number {
  checkCount("Level", level, 63);
  checkCount("Node number", n);
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  let i = 0;
  for (; n > 0; n = Math.floor(n / 2)) i += n;
  const index = i + level;
  if (!Number.isSafeInteger(index)) throw new RangeError(`Node (${level}, ${n}) is too far out`);
  return index;
}

/**
 * The inverse of {@link storedHashIndex}: the [level, n] stored at `index`.
 *
 * @example
 * ```ts
 * splitStoredHashIndex(2); // [1, 0]
 * ```
 */
export function splitStoredHashIndex(index: number): [number, number] {
  checkCount("Stored hash index", index, 2 * MAX_TREE_SIZE);
  let n = Math.floor(index / 2);
  let indexN = storedHashIndex(0, n);
  for (;;) {
    const x = indexN + 1 + trailingZeros(n + 1);
    if (x > index) break;
    n++;
    indexN = x;
  }
  const level = index - indexN;
  return [level, Math.floor(n / 2 ** level)];
}

/**
 * How many hashes a log of `n` records stores.
 *
 * @example
 * ```ts
 * storedHashCount(2); // 3
 * ```
 */
export function storedHashCount(n: number): number {
  checkCount("Tree size", n);
  if (n === 0) return 0;
  return storedHashIndex(0, n - 1) + 1 + trailingZeros(n);
}

/**
 * The stored indexes {@link storedHashesForRecordHash} needs to append record `n`: the
 * roots of the complete subtrees the new record closes, in increasing order.
 *
 * @example
 * ```ts
 * storedHashesIndexes(1); // [0] (leaf 0, sibling of leaf 1)
 * ```
 */
export function storedHashesIndexes(n: number): number[] {
  checkCount("Record number", n, MAX_TREE_SIZE - 1);
  const m = trailingZeros(n + 1);
  const indexes = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    indexes[m - 1 - i] = storedHashIndex(i, Math.floor(n / 2 ** i) - 1);
  }
  return indexes;
}

/**
 * The hashes to store, from index `storedHashIndex(0, n)` on, when appending record `n`
 * with record hash `h`; `old` holds the hashes at {@link storedHashesIndexes}(n).
 *
 * @example
 * ```ts
 * const h1 = storedHashesForRecordHash(1, recordHash("b"), [recordHash("a")]);
 * // [hash of "b", root of ["a", "b"]]
 * ```
 */
export function storedHashesForRecordHash(n: number, h: Hash, old: Hash[]): Hash[] {
  const m = storedHashesIndexes(n).length;
  if (old.length !== m) throw new RangeError(`Appending record ${n} needs ${m} stored hashes`);
  const hashes = [h];
  for (let i = 0; i < m; i++) {
    h = nodeHash(old[m - 1 - i], h);
    hashes.push(h);
  }
  return hashes;
}

/**
 * {@link storedHashesForRecordHash} for record data, reading what it needs from `reader`.
 *
 * @example
 * ```ts
 * const stored: Hash[] = [];
 * for (const [n, r] of records.entries()) {
 *   stored.push(...await storedHashes(n, r, (xs) => xs.map((x) => stored[x])));
 * }
 * ```
 */
export async function storedHashes(
  n: number,
  data: Uint8Array | string,
  reader: HashReader,
): Promise<Hash[]> {
  return storedHashesForRecordHash(n, recordHash(data), await read(reader, storedHashesIndexes(n)));
}

/** @internal Calls `reader` and checks what it returns. */
export async function read(reader: HashReader, indexes: number[]): Promise<Hash[]> {
  if (indexes.length === 0) return [];
  const hashes = await reader(indexes);
  if (hashes.length !== indexes.length) {
    throw new Error(`Hash reader returned ${hashes.length} hashes for ${indexes.length} indexes`);
  }
  for (const h of hashes) {
    if (h.length !== HASH_SIZE) throw new Error(`Hash reader returned a ${h.length}-byte hash`);
  }
  return hashes;
}

/** @internal Stored indexes of the complete subtrees covering records [lo, hi). */
export function subTreeIndex(lo: number, hi: number, need: number[]): number[] {
  while (lo < hi) {
    const [k, level] = maxpow2(hi - lo + 1);
    need.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return need;
}

/** @internal A cursor over the hashes read for the indexes a planner listed, in order. */
export class Hashes {
  i = 0;
  constructor(readonly list: Hash[]) {}
  next(count: number): Hash[] {
    if (this.i + count > this.list.length) throw new RangeError("Too few stored hashes given");
    return this.list.slice(this.i, this.i += count);
  }
  done(): void {
    if (this.i !== this.list.length) throw new RangeError("Too many stored hashes given");
  }
}

/** @internal Hash of the subtree [lo, hi) from the hashes subTreeIndex(lo, hi) listed. */
export function subTreeHash(lo: number, hi: number, hashes: Hashes): Hash {
  let numTree = 0;
  while (lo < hi) {
    lo += maxpow2(hi - lo + 1)[0];
    numTree++;
  }
  const parts = hashes.next(numTree);
  let h = parts[numTree - 1];
  for (let i = numTree - 2; i >= 0; i--) h = nodeHash(parts[i], h);
  return h;
}

/**
 * The stored indexes {@link treeHashFromHashes} needs for the tree of `n` records
 * (at most 1 + log₂ n).
 *
 * @example
 * ```ts
 * treeHashIndexes(3); // [2, 3]: the subtree of records 0–1, and record 2
 * ```
 */
export function treeHashIndexes(n: number): number[] {
  checkCount("Tree size", n);
  return subTreeIndex(0, n, []);
}

/**
 * The root hash of the tree of `n` records from the hashes at {@link treeHashIndexes}(n).
 * The empty tree's hash is 32 zero bytes.
 *
 * @example
 * ```ts
 * treeHashFromHashes(1, [recordHash("a")]); // recordHash("a")
 * ```
 */
export function treeHashFromHashes(n: number, hashes: Hash[]): Hash {
  checkCount("Tree size", n);
  if (n === 0) return new Uint8Array(HASH_SIZE);
  const cursor = new Hashes(hashes);
  const h = subTreeHash(0, n, cursor);
  cursor.done();
  return h;
}

/**
 * The root hash of the tree of `n` records, reading stored hashes from `reader`.
 *
 * @example
 * ```ts
 * await treeHash(10, (xs) => xs.map((x) => stored[x])); // the root of the first 10 records
 * ```
 */
export async function treeHash(n: number, reader: HashReader): Promise<Hash> {
  return treeHashFromHashes(n, await read(reader, treeHashIndexes(n)));
}

const utf8 = new TextEncoder();
