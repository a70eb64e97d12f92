/**
 * Go's checksum database (golang.org/x/mod/sumdb), as pure functions: signed notes and
 * their keys, the RFC 6962 log with its proofs, tiles, tree heads, records and lookups.
 * No I/O: callers fetch and store; these functions compute and check.
 *
 * @example
 * ```ts
 * import { openNote, parseLookup, parseTree, storedHashIndex, tileHashReader } from "./mod.ts";
 * const lookup = parseLookup(body);
 * const tree = parseTree((await openNote(lookup.signedHead, [verifier])).text);
 * const read = tileHashReader(tree, 8, fetchTiles);
 * const [leaf] = await read([storedHashIndex(0, lookup.id)]); // equals recordHash(lookup.text)
 * ```
 *
 * @module
 */

export * from "./base64.ts";
export * from "./note_key.ts";
export * from "./note.ts";
export {
  formatHash,
  type Hash,
  HASH_SIZE,
  hashesEqual,
  type HashReader,
  MAX_TREE_SIZE,
  nodeHash,
  parseHash,
  recordHash,
  splitStoredHashIndex,
  storedHashCount,
  storedHashes,
  storedHashesForRecordHash,
  storedHashesIndexes,
  storedHashIndex,
  type Tree,
  treeHash,
  treeHashFromHashes,
  treeHashIndexes,
} from "./tlog.ts";
export * from "./proof.ts";
export * from "./tile.ts";
export * from "./records.ts";
export * from "./lookup_check.ts";
