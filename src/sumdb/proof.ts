/**
 * Record (inclusion) and tree (consistency) proofs of the checksum database's log
 * (golang.org/x/mod/sumdb/tlog, RFC 6962 §2.1.1–2.1.2): producing them from stored hashes,
 * as `…Indexes` / `…FromHashes` pairs and async conveniences over a {@link HashReader},
 * and checking them. No I/O.
 *
 * @module
 */

import {
  checkCount,
  type Hash,
  HASH_SIZE,
  Hashes,
  hashesEqual,
  type HashReader,
  maxpow2,
  nodeHash,
  read,
  subTreeHash,
  subTreeIndex,
} from "./tlog.ts";

/** Longest record or tree proof: one hash per level of the largest tree. */
export const MAX_PROOF_HASHES = 64;

/** A proof did not verify: the log is not what the signed tree head says. */
export class ProofError extends Error {
  constructor(message = "Invalid transparency proof") {
    super(message);
    this.name = "ProofError";
  }
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
