/**
 * What an attacker with write access to the store can do, for tamper tests: rewrite a
 * version's stored bytes in place (its `["blob", blobId, part, i]` chunks), with or without
 * making its version record agree, rewrite an owner's checksum log under the same key, and
 * put an earlier copy of the store file back (a rollback).
 *
 * @module
 */

import { CHUNK_SIZE } from "../../src/store/blob_store.ts";
import { type BlobPart, keys } from "../../src/store/keys.ts";
import type { VersionRecord } from "../../src/store/records.ts";
import { appendVersions, type LogItem } from "../../src/sumdb_log/append.ts";
import type { LoggedVersion } from "../../src/store/records.ts";

/** A version's record; throws when the version is not published. */
export async function versionRecord(
  kv: Deno.Kv,
  owner: string,
  module: string,
  version: string,
): Promise<VersionRecord> {
  const record = (await kv.get<VersionRecord>(keys.version(owner, module, version))).value;
  if (record === null) throw new Error(`${owner}/${module}@${version} is not published`);
  return record;
}

function partChunks(record: VersionRecord, part: BlobPart): number {
  return part === "zip" ? record.chunks : record.modChunks;
}

/**
 * The stored bytes of a part (`zip` or `mod`) of a version, read chunk by chunk.
 *
 * @example
 * ```ts
 * const zip = await storedPart(kv, record, "zip");
 * ```
 */
export async function storedPart(
  kv: Deno.Kv,
  record: VersionRecord,
  part: BlobPart,
): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < partChunks(record, part); i++) {
    const chunk = await kv.get<Uint8Array>(keys.blobChunk(record.blobId, part, i));
    if (chunk.value === null) throw new Error(`chunk ${i} of ${record.blobId}/${part} is missing`);
    pieces.push(chunk.value);
  }
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Overwrites the chunks of a part of a version with `bytes` of the same length (so the
 * record's sizes stay true), as an attacker with store access would; the record itself is
 * left alone unless `record` gives fields to change in it.
 *
 * @example
 * ```ts
 * await overwritePart(kv, "alice", record, "zip", tampered, { sha256, h1 });
 * ```
 */
export async function overwritePart(
  kv: Deno.Kv,
  owner: string,
  record: VersionRecord,
  part: BlobPart,
  bytes: Uint8Array,
  changes?: Partial<Pick<VersionRecord, "sha256" | "h1" | "goModH1">>,
): Promise<void> {
  const old = await storedPart(kv, record, part);
  if (old.length !== bytes.length) {
    throw new RangeError(`tampered ${part} has ${bytes.length} bytes, not ${old.length}`);
  }
  for (let i = 0; i < partChunks(record, part); i++) {
    const piece = bytes.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
    await kv.set(keys.blobChunk(record.blobId, part, i), piece);
  }
  if (changes) {
    await kv.set(keys.version(owner, record.module, record.version), { ...record, ...changes });
  }
}

/**
 * Rewrites an owner's checksum log under the same key: deletes every record, entry, stored
 * hash and the head, then appends the logged items again in the order `reorder` gives (a
 * fork: same signer, other history). Returns the items in their old order.
 *
 * @example
 * ```ts
 * await rewriteLog(kv, "alice", (items) => [items[1], items[0], ...items.slice(2)]);
 * ```
 */
export async function rewriteLog(
  kv: Deno.Kv,
  owner: string,
  reorder: (items: LogItem[]) => LogItem[],
): Promise<LogItem[]> {
  const items: { id: number; item: LogItem }[] = [];
  for await (const e of kv.list<LoggedVersion>({ prefix: keys.logEntries(owner) })) {
    const [zipLine, modLine] = e.value.text.split("\n");
    items.push({
      id: e.value.id,
      item: {
        module: e.key[2] as string,
        version: e.key[3] as string,
        h1: zipLine.split(" ")[2],
        goModH1: modLine.split(" ")[2],
      },
    });
  }
  const old = items.sort((a, b) => a.id - b.id).map((x) => x.item);
  for (const prefix of [keys.logRecords(owner), keys.logEntries(owner), ["sumdb_hash", owner]]) {
    for await (const e of kv.list({ prefix })) await kv.delete(e.key);
  }
  await kv.delete(keys.logHead(owner));
  await appendVersions(kv, owner, reorder(old));
  return old;
}

/** SQLite's side files of a store file, which a copy of the store must carry along. */
const SIDE_FILES = ["", "-wal", "-shm"];

/**
 * Copies a closed store file (with its SQLite `-wal`/`-shm` files, removing stale ones at
 * the destination): a backup, or a backup put back.
 *
 * @example
 * ```ts
 * await copyStoreFile(kvPath, `${dir}/backup.kv`);
 * ```
 */
export async function copyStoreFile(from: string, to: string): Promise<void> {
  for (const side of SIDE_FILES) {
    try {
      await Deno.copyFile(from + side, to + side);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) || side === "") throw err;
      await Deno.remove(to + side).catch(() => {});
    }
  }
}
