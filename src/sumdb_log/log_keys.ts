/**
 * The Deno KV keys and values of the owners' checksum logs (one append-only, signed Go
 * checksum database per owner).
 *
 * | key | value |
 * | --- | --- |
 * | `["sumdb_log", owner]` | {@link LogMeta}: name, verifier key, where the signer key is kept, enabled |
 * | `["sumdb_key", owner]` | the signer key text (`PRIVATE+KEY+…`), when kept in the store; never served |
 * | `["sumdb_head", owner]` | {@link LogHead}: the tree size and the roots of its complete subtrees |
 * | `["sumdb_record", owner, id]` | record `id`'s text (the two go.sum lines) |
 * | `["sumdb_entry", owner, module, version]` | {@link LoggedVersion}: where a module version is in the log |
 * | `["sumdb_hash", owner, level, n]` | the stored hash of node (level, n): 32 bytes |
 *
 * Hashes are keyed by node, not by x/mod's dense stored-hash index, so a tile (the hashes of
 * one level, side by side) is one contiguous `list`.
 *
 * @module
 */
// TODO(lead): move into src/store/keys.ts and records.ts

/** Key builders of the owners' checksum logs; each returns a fresh array. */
export const logKeys = {
  meta: (owner: string): Deno.KvKey => ["sumdb_log", owner],
  signerKey: (owner: string): Deno.KvKey => ["sumdb_key", owner],
  head: (owner: string): Deno.KvKey => ["sumdb_head", owner],
  record: (owner: string, id: number): Deno.KvKey => ["sumdb_record", owner, id],
  records: (owner: string): Deno.KvKey => ["sumdb_record", owner],
  entry: (owner: string, module: string, version: string): Deno.KvKey => [
    "sumdb_entry",
    owner,
    module,
    version,
  ],
  entries: (owner: string): Deno.KvKey => ["sumdb_entry", owner],
  hash: (owner: string, level: number, n: number): Deno.KvKey => ["sumdb_hash", owner, level, n],
  hashLevel: (owner: string, level: number): Deno.KvKey => ["sumdb_hash", owner, level],
};

/** An owner's checksum log: written once by `enableLog`, then only `enabledAt` is added. */
export interface LogMeta {
  /** The log's name (a note key name), e.g. `registry.example.com/alice`. Never changes. */
  name: string;
  /** The verifier key (`<name>+<hash>+<key>`), what users put in `GOSUMDB`. */
  verifierKey: string;
  /** Where the signer key is kept: in the store (`["sumdb_key", owner]`) or in a key directory. */
  custody: "store" | "dir";
  /** ISO time the log was created (its backfill began). */
  createdAt: string;
  /** ISO time the backfill finished and the log began answering; absent while backfilling. */
  enabledAt?: string;
}

/**
 * The tree of an owner's log: its size and the roots of the complete subtrees that cover it,
 * largest first (the hashes at x/mod's `TreeHashIndexes(n)`), from which both the root hash
 * and the next append follow without reading any other stored hash.
 */
export interface LogHead {
  /** Number of records. */
  n: number;
  /** Roots of the complete subtrees covering records [0, n), largest first. */
  frontier: Uint8Array[];
}

/** Where a module version is in its owner's log. */
export interface LoggedVersion {
  /** The record's number in the log. */
  id: number;
  /** The record's text: `<module> <version> <h1>\n<module> <version>/go.mod <h1>\n`. */
  text: string;
}
