/**
 * The tamper-evident log of Go's checksum database (golang.org/x/mod/sumdb/tlog), after
 * RFC 6962: record and node hashes, the stored-hash layout, tree hashes, and record
 * (inclusion) and tree (consistency) proofs, producing and checking them.
 *
 * No I/O: each computation that needs stored hashes comes as a pair — `…Indexes` says which
 * stored hashes to read, `…FromHashes` computes from them — plus an async convenience that
 * calls a {@link HashReader} the caller provides (a KV read, a tile fetch, an array).
 * Tiles are in `tile.ts`, tree heads and records in `records.ts`.
 *
 * Sizes and indexes are JavaScript numbers: trees up to {@link MAX_TREE_SIZE} records.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** A record or tree hash: 32 bytes of SHA-256. */
export type Hash = Uint8Array;

/** Bytes in a {@link Hash}. */
export const HASH_SIZE = 32;

/** Largest tree this code handles (2^50 records), so that every stored index stays exact. */
export const MAX_TREE_SIZE = 2 ** 50;

/** Longest record or tree proof: one hash per level of the largest tree. */
export const MAX_PROOF_HASHES = 64;

/** Reads stored hashes by index (see {@link storedHashIndex}); one hash per index, in order. */
export type HashReader = (indexes: number[]) => Hash[] | Promise<Hash[]>;

/** A proof did not verify: the log is not what the signed tree head says. */
export class ProofError extends Error {
  constructor(message = "Invalid transparency proof") {
    super(message);
    this.name = "ProofError";
  }
}

/**
 * The hash of a log record: SHA-256(0x00 ‖ data).
 *
 * @example
 * ```ts
 * formatHash(recordHash("hello world")); // "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
 * ```
 */
export function recordHash(data: Uint8Array | string): Hash {
  return new Uint8Array(createHash("sha256").update(new Uint8Array([0])).update(data).digest());
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
  return new Uint8Array(
    createHash("sha256").update(new Uint8Array([1])).update(left).update(right).digest(),
  );
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

function checkCount(what: string, n: number, max = MAX_TREE_SIZE): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${what} must be an integer from 0 to ${max}, got ${n}`);
  }
}

/** 2^k for the largest k with 2^k < n (n ≥ 2), and k. */
function maxpow2(n: number): [number, number] {
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

async function read(reader: HashReader, indexes: number[]): Promise<Hash[]> {
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

/** Stored indexes of the complete subtrees covering records [lo, hi). */
function subTreeIndex(lo: number, hi: number, need: number[]): number[] {
  while (lo < hi) {
    const [k, level] = maxpow2(hi - lo + 1);
    need.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return need;
}

/** A cursor over the hashes read for the indexes a planner listed, in the same order. */
class Hashes {
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

/** Hash of the subtree [lo, hi) from the hashes subTreeIndex(lo, hi) listed. */
function subTreeHash(lo: number, hi: number, hashes: Hashes): Hash {
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
 * await treeHash(stored.length && n, (xs) => xs.map((x) => stored[x]));
 * ```
 */
export async function treeHash(n: number, reader: HashReader): Promise<Hash> {
  return treeHashFromHashes(n, await read(reader, treeHashIndexes(n)));
}

function checkRecordInputs(what: string, t: number, n: number): void {
  checkCount("Tree size", t);
  checkCount("Record number", n);
  if (n >= t) throw new RangeError(`${what}: record ${n} is not in a tree of size ${t}`);
}

function leafProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (lo + 1 === hi) return need;
  const [k] = maxpow2(hi - lo);
  if (n < lo + k) {
    leafProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    leafProofIndex(lo + k, hi, n, need);
  }
  return need;
}

function leafProof(lo: number, hi: number, n: number, hashes: Hashes): Hash[] {
  if (lo + 1 === hi) return [];
  const [k] = maxpow2(hi - lo);
  let p: Hash[];
  let th: Hash;
  if (n < lo + k) {
    p = leafProof(lo, lo + k, n, hashes);
    th = subTreeHash(lo + k, hi, hashes);
  } else {
    th = subTreeHash(lo, lo + k, hashes);
    p = leafProof(lo + k, hi, n, hashes);
  }
  p.push(th);
  return p;
}

/**
 * The stored indexes {@link proveRecordFromHashes} needs to prove record `n` in the tree
 * of size `t`.
 *
 * @example
 * ```ts
 * proveRecordIndexes(2, 0); // [1]: record 1's hash
 * ```
 */
export function proveRecordIndexes(t: number, n: number): number[] {
  checkRecordInputs("Record proof", t, n);
  return leafProofIndex(0, t, n, []);
}

/**
 * The proof (RFC 6962 audit path) that the tree of size `t` contains record `n`, from the
 * hashes at {@link proveRecordIndexes}(t, n).
 *
 * @example
 * ```ts
 * proveRecordFromHashes(2, 0, [recordHash("b")]); // [recordHash("b")]
 * ```
 */
export function proveRecordFromHashes(t: number, n: number, hashes: Hash[]): Hash[] {
  checkRecordInputs("Record proof", t, n);
  const cursor = new Hashes(hashes);
  const p = leafProof(0, t, n, cursor);
  cursor.done();
  return p;
}

/**
 * The proof that the tree of size `t` contains record `n`, reading from `reader`.
 *
 * @example
 * ```ts
 * const proof = await proveRecord(10, 3, (xs) => xs.map((x) => stored[x]));
 * ```
 */
export async function proveRecord(t: number, n: number, reader: HashReader): Promise<Hash[]> {
  return proveRecordFromHashes(t, n, await read(reader, proveRecordIndexes(t, n)));
}

/** The subtree [lo, hi) hash implied by proof hashes p[0, end) and the leaf hash. */
function runRecordProof(
  p: Hash[],
  end: number,
  lo: number,
  hi: number,
  n: number,
  leaf: Hash,
): Hash {
  if (lo + 1 === hi) {
    if (end !== 0) throw new ProofError("Invalid transparency proof: too many hashes");
    return leaf;
  }
  if (end === 0) throw new ProofError("Invalid transparency proof: too few hashes");
  const [k] = maxpow2(hi - lo);
  if (n < lo + k) return nodeHash(runRecordProof(p, end - 1, lo, lo + k, n, leaf), p[end - 1]);
  return nodeHash(p[end - 1], runRecordProof(p, end - 1, lo + k, hi, n, leaf));
}

function checkProofHashes(p: Hash[]): void {
  if (p.length > MAX_PROOF_HASHES) {
    throw new ProofError(`Invalid transparency proof: more than ${MAX_PROOF_HASHES} hashes`);
  }
  for (const h of p) {
    if (h.length !== HASH_SIZE) throw new ProofError("Invalid transparency proof: bad hash size");
  }
}

/**
 * Checks that `p` proves that the tree of size `t` with root `th` has record `n` with
 * record hash `h`. Throws {@link ProofError} when it does not, `RangeError` for inputs
 * that describe no record.
 *
 * @example
 * ```ts
 * checkRecord(proof, tree.n, tree.hash, id, recordHash(recordText)); // or throws
 * ```
 */
export function checkRecord(p: Hash[], t: number, th: Hash, n: number, h: Hash): void {
  checkRecordInputs("Record proof", t, n);
  checkProofHashes(p);
  if (!hashesEqual(runRecordProof(p, p.length, 0, t, n, h), th)) {
    throw new ProofError(`Invalid transparency proof: record ${n} is not in tree ${t}`);
  }
}

function checkTreeInputs(t: number, n: number): void {
  checkCount("Tree size", t);
  checkCount("Older tree size", n);
  if (n < 1 || n > t) {
    throw new RangeError(`Tree proof: size ${n} is not between 1 and the tree size ${t}`);
  }
}

function treeProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (n === hi) return lo === 0 ? need : subTreeIndex(lo, hi, need);
  const [k] = maxpow2(hi - lo);
  if (n <= lo + k) {
    treeProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    treeProofIndex(lo + k, hi, n, need);
  }
  return need;
}

function treeProof(lo: number, hi: number, n: number, hashes: Hashes): Hash[] {
  if (n === hi) return lo === 0 ? [] : [subTreeHash(lo, hi, hashes)];
  const [k] = maxpow2(hi - lo);
  let p: Hash[];
  let th: Hash;
  if (n <= lo + k) {
    p = treeProof(lo, lo + k, n, hashes);
    th = subTreeHash(lo + k, hi, hashes);
  } else {
    th = subTreeHash(lo, lo + k, hashes);
    p = treeProof(lo + k, hi, n, hashes);
  }
  p.push(th);
  return p;
}

/**
 * The stored indexes {@link proveTreeFromHashes} needs to prove that the tree of size `t`
 * extends the tree of size `n`.
 *
 * @example
 * ```ts
 * proveTreeIndexes(3, 2); // [3]: record 2's hash
 * ```
 */
export function proveTreeIndexes(t: number, n: number): number[] {
  checkTreeInputs(t, n);
  return treeProofIndex(0, t, n, []);
}

/**
 * The consistency proof that the tree of size `t` contains the tree of size `n` as a
 * prefix, from the hashes at {@link proveTreeIndexes}(t, n).
 *
 * @example
 * ```ts
 * proveTreeFromHashes(3, 2, [recordHash("c")]); // [recordHash("c")]
 * ```
 */
export function proveTreeFromHashes(t: number, n: number, hashes: Hash[]): Hash[] {
  checkTreeInputs(t, n);
  const cursor = new Hashes(hashes);
  const p = treeProof(0, t, n, cursor);
  cursor.done();
  return p;
}

/**
 * The consistency proof from the tree of size `n` to the tree of size `t`, reading from
 * `reader`.
 *
 * @example
 * ```ts
 * const proof = await proveTree(300, 256, (xs) => xs.map((x) => stored[x]));
 * ```
 */
export async function proveTree(t: number, n: number, reader: HashReader): Promise<Hash[]> {
  return proveTreeFromHashes(t, n, await read(reader, proveTreeIndexes(t, n)));
}

/** The [old, new] hashes of subtree [lo, hi) implied by p[0, end) and the old root. */
function runTreeProof(
  p: Hash[],
  end: number,
  lo: number,
  hi: number,
  n: number,
  old: Hash,
): [Hash, Hash] {
  if (n === hi) {
    if (lo === 0) {
      if (end !== 0) throw new ProofError("Invalid transparency proof: too many hashes");
      return [old, old];
    }
    if (end !== 1) throw new ProofError("Invalid transparency proof: wrong number of hashes");
    return [p[0], p[0]];
  }
  if (end === 0) throw new ProofError("Invalid transparency proof: too few hashes");
  const [k] = maxpow2(hi - lo);
  const last = p[end - 1];
  if (n <= lo + k) {
    const [oh, th] = runTreeProof(p, end - 1, lo, lo + k, n, old);
    return [oh, nodeHash(th, last)];
  }
  const [oh, th] = runTreeProof(p, end - 1, lo + k, hi, n, old);
  return [nodeHash(last, oh), nodeHash(last, th)];
}

/**
 * Checks that `p` proves that the tree of size `t` with root `th` contains the tree of
 * size `n` with root `h` as a prefix. Throws {@link ProofError} when it does not.
 *
 * @example
 * ```ts
 * checkTree(proof, newer.n, newer.hash, older.n, older.hash); // or throws
 * ```
 */
export function checkTree(p: Hash[], t: number, th: Hash, n: number, h: Hash): void {
  checkTreeInputs(t, n);
  checkProofHashes(p);
  const [oh, nh] = runTreeProof(p, p.length, 0, t, n, h);
  if (!hashesEqual(oh, h) || !hashesEqual(nh, th)) {
    throw new ProofError(`Invalid transparency proof: tree ${t} does not extend tree ${n}`);
  }
}
