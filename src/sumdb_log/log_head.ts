/**
 * Growing a log's tree head by records, as pure functions: the stored hashes each append
 * writes (x/mod's `StoredHashesForRecordHash`) and the new {@link LogHead}, computed from the
 * head alone. No I/O.
 *
 * @module
 */

import {
  type Hash,
  recordHash,
  storedHashesForRecordHash,
  storedHashesIndexes,
  type Tree,
  treeHashFromHashes,
} from "../sumdb/tlog.ts";
import type { LogHead } from "../store/records.ts";

/** The head of a log with no records. */
export const EMPTY_HEAD: LogHead = Object.freeze({ n: 0, frontier: [] }) as LogHead;

/** One stored hash: the hash of node (level, n). */
export interface StoredNode {
  /** Level in the tree (0 for record hashes). */
  level: number;
  /** Node number within the level. */
  n: number;
  /** The hash. */
  hash: Hash;
}

/**
 * The tree a head describes: its size and root hash (32 zero bytes when empty).
 *
 * @example
 * ```ts
 * headTree(EMPTY_HEAD); // { n: 0, hash: new Uint8Array(32) }
 * ```
 */
export function headTree(head: LogHead): Tree {
  return { n: head.n, hash: treeHashFromHashes(head.n, head.frontier) };
}

/**
 * Appends one record to a head: the new head and the stored hashes to write (the record's
 * hash, then the roots of the subtrees it completes).
 *
 * @example
 * ```ts
 * const { head, stored } = appendRecord(EMPTY_HEAD, "example.com/m v1.0.0 h1:…\n…");
 * head.n; // 1
 * stored; // [{ level: 0, n: 0, hash: recordHash(text) }]
 * ```
 */
export function appendRecord(
  head: LogHead,
  text: string | Uint8Array,
): { head: LogHead; stored: StoredNode[] } {
  const n = head.n;
  const m = storedHashesIndexes(n).length; // the subtrees record n completes
  if (head.frontier.length < m) {
    throw new RangeError(`Log head of size ${n} has ${head.frontier.length} subtree roots`);
  }
  const keep = head.frontier.length - m;
  const hashes = storedHashesForRecordHash(n, recordHash(text), head.frontier.slice(keep));
  const stored = hashes.map((hash, level) => ({ level, n: Math.floor(n / 2 ** level), hash }));
  return {
    head: { n: n + 1, frontier: [...head.frontier.slice(0, keep), hashes[m]] },
    stored,
  };
}
