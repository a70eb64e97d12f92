/**
 * Verifying a lookup answer of a checksum database as the `go` command does
 * (golang.org/x/mod/sumdb's client: `Lookup`, `mergeLatest`, `checkRecord`): the signed tree
 * head by a known key, its consistency with the head trusted so far, and the record's hash
 * read from tiles authenticated against the newer head. Pure over a `readTiles` callback
 * the caller provides (cache, network); nothing is stored here.
 *
 * @module
 */

import { type Note, openNote, type Verifiers } from "./note.ts";
import type { Verifier } from "./note_key.ts";
import { type GoSumLine, parseGoSumRecord, parseLookup, parseTree } from "./records.ts";
import { type Tile, TILE_HEIGHT, tileHashReader } from "./tile.ts";
import {
  formatHash,
  hashesEqual,
  recordHash,
  storedHashIndex,
  type Tree,
  treeHash,
} from "./tlog.ts";

/** Two signed heads of one database that no append-only log can both have produced. */
export class ForkError extends Error {
  /** The head trusted before. */
  readonly older: Tree;
  /** The head that contradicts it. */
  readonly newer: Tree;
  constructor(older: Tree, newer: Tree, what: string) {
    super(
      `Checksum database misbehaved: ${what} (tree ${older.n} ${formatHash(older.hash)} ` +
        `against tree ${newer.n} ${formatHash(newer.hash)})`,
    );
    this.name = "ForkError";
    this.older = older;
    this.newer = newer;
  }
}

/** The record in a lookup answer is not the record the log holds under its id. */
export class LookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LookupError";
  }
}

/** The record a lookup proved, and the head to trust from now on. */
export interface VerifiedLookup {
  /** Record id. */
  id: number;
  /** Record text (what the log hashed). */
  text: Uint8Array;
  /** Its go.sum lines. */
  lines: GoSumLine[];
  /** The tree head of this answer. */
  tree: Tree;
  /** The opened note of that head. */
  note: Note;
  /** The newest head known now (this one or `trusted`): store it for the next lookup. */
  latest: Tree;
}

/** Reads tile data by tile (the caller's cache or network); `w·32` bytes per tile. */
export type TileFetcher = (tiles: Tile[]) => Uint8Array[] | Promise<Uint8Array[]>;

/**
 * Verifies a lookup answer: the head is signed by a known key; if a head was trusted
 * before, the two are consistent (the smaller tree's root is recomputed from the larger
 * tree's authenticated tiles); the record is in the larger tree, its hash read from tiles.
 * Throws `NoteError`s for the signature, `RecordError`s for syntax, {@link ForkError} when
 * the heads contradict each other, {@link LookupError} when the record is not the logged one,
 * `TileError` for tiles that do not match their head, and `RangeError` for a record the tree
 * cannot hold.
 *
 * @example
 * ```ts
 * const v = await verifyLookup(body, [verifier], fetchTiles, trusted);
 * await saveTrustedHead(v.latest); // then compare v.lines with the downloaded h1
 * ```
 */
export async function verifyLookup(
  body: Uint8Array,
  known: Verifiers | Verifier[],
  readTiles: TileFetcher,
  trusted: Tree | null = null,
  height: number = TILE_HEIGHT,
): Promise<VerifiedLookup> {
  const lookup = parseLookup(body);
  const note = await openNote(lookup.signedHead, known);
  const tree = parseTree(note.text);
  let latest = tree;
  if (trusted !== null && trusted.n > 0) {
    const [older, newer] = trusted.n <= tree.n ? [trusted, tree] : [tree, trusted];
    latest = newer;
    if (older.n > 0) {
      const root = await treeHash(older.n, tileHashReader(newer, height, readTiles));
      if (!hashesEqual(root, older.hash)) {
        throw new ForkError(trusted, tree, "the new head does not extend the trusted one");
      }
    }
  }
  if (lookup.id >= latest.n) {
    throw new RangeError(`Cannot validate record ${lookup.id} in a tree of size ${latest.n}`);
  }
  const reader = tileHashReader(latest, height, readTiles);
  const [leaf] = await reader([storedHashIndex(0, lookup.id)]);
  if (!hashesEqual(leaf, recordHash(lookup.text))) {
    throw new LookupError(
      `Cannot authenticate record data in server response: record ${lookup.id} is not the one ` +
        `tree ${latest.n} holds`,
    );
  }
  return {
    id: lookup.id,
    text: lookup.text,
    lines: parseGoSumRecord(lookup.text),
    tree,
    note,
    latest,
  };
}
