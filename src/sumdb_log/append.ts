/**
 * Appending records to an owner's log in KV. Every append is part of one atomic operation
 * that checks the head's versionstamp and writes the records, their entries, their stored
 * hashes and the new head: two processes on one store can never write two records at the
 * same index (the loser's commit fails and it reads the head again).
 *
 * @module
 */

import { formatGoSumRecord } from "../sumdb/records.ts";
import { appendRecord, EMPTY_HEAD } from "./log_head.ts";
import type { LoggedVersion, LogHead, LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";

/** A module version to log: its two go.sum hashes. */
export interface LogItem {
  /** Module path. */
  module: string;
  /** Version. */
  version: string;
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod. */
  goModH1: string;
}

/** The record text of a log item: the zip's go.sum line, then the go.mod's. */
export function itemText(item: LogItem): string {
  return formatGoSumRecord(item.module, item.version, item.h1, item.goModH1);
}

/**
 * Adds the appending of `items` (in order) after the head read in `head` to `op`, with the
 * check of that head's versionstamp. Returns the new head and the items' ids.
 *
 * @example
 * ```ts
 * const head = await kv.get<LogHead>(keys.logHead(owner));
 * const op = kv.atomic();
 * addAppend(op, owner, head, [{ module, version, h1, goModH1 }]);
 * if (!(await op.commit()).ok) { ... read the head again and retry ... }
 * ```
 */
export function addAppend(
  op: Deno.AtomicOperation,
  owner: string,
  head: Deno.KvEntryMaybe<LogHead>,
  items: LogItem[],
): { head: LogHead; ids: number[] } {
  op.check(head);
  let current = head.value ?? EMPTY_HEAD;
  const ids: number[] = [];
  for (const item of items) {
    const text = itemText(item);
    const id = current.n;
    const next = appendRecord(current, text);
    op.set(keys.logRecord(owner, id), text);
    op.set(keys.logEntry(owner, item.module, item.version), { id, text } satisfies LoggedVersion);
    for (const s of next.stored) op.set(keys.logHash(owner, s.level, s.n), s.hash);
    current = next.head;
    ids.push(id);
  }
  op.set(keys.logHead(owner), current);
  return { head: current, ids };
}

/** Most of a KV atomic operation's limits one append batch may use (81,920 key bytes, 1,000 mutations, 819,200 bytes). */
const BATCH_KEY_BYTES = 60_000;
const BATCH_BYTES = 600_000;
const BATCH_MUTATIONS = 900;

const encoder = new TextEncoder();

/** Number of stored hashes appending record `n` writes: 1 + the trailing ones of `n`. */
function storedCount(n: number): number {
  let count = 1;
  for (let x = n; x % 2 === 1; x = (x - 1) / 2) count++;
  return count;
}

/** Upper bounds of the key bytes, all bytes and mutations of appending `item` as record `n`. */
function appendCost(owner: string, n: number, item: LogItem): [number, number, number] {
  const ownerBytes = encoder.encode(owner).length;
  const text = encoder.encode(itemText(item)).length;
  const hashes = storedCount(n);
  const entryKey = 30 + ownerBytes + encoder.encode(item.module).length +
    encoder.encode(item.version).length;
  const keyBytes = entryKey + (1 + hashes) * (30 + ownerBytes);
  return [keyBytes, keyBytes + 2 * text + 100 + hashes * 40, 2 + hashes];
}

/**
 * Splits `items` into the longest first batch that fits one atomic operation (with the head
 * and its check) when appended after record `n - 1`, and the rest. Pure.
 *
 * @example
 * ```ts
 * const [batch, rest] = nextBatch("alice", head.n, items);
 * ```
 */
export function nextBatch(owner: string, n: number, items: LogItem[]): [LogItem[], LogItem[]] {
  let keyBytes = 2_000, bytes = 6_000, mutations = 2; // the head, its check
  let i = 0;
  for (; i < items.length; i++) {
    const [k, b, m] = appendCost(owner, n + i, items[i]);
    const full = keyBytes + k > BATCH_KEY_BYTES || bytes + b > BATCH_BYTES ||
      mutations + m > BATCH_MUTATIONS;
    if (i > 0 && full) break;
    keyBytes += k;
    bytes += b;
    mutations += m;
  }
  return [items.slice(0, i), items.slice(i)];
}

/** A module version is already in the log with other content. */
export class LoggedConflictError extends Error {
  /** Creates the error. */
  constructor(readonly item: LogItem, readonly logged: LoggedVersion) {
    super(
      `${item.module}@${item.version} is in the checksum log with other content ` +
        `(record ${logged.id}: ${JSON.stringify(logged.text)})`,
    );
    this.name = "LoggedConflictError";
  }
}

/**
 * Appends the items not yet in the owner's log, in order, in as few atomic operations as
 * the KV limits allow (enable's backfill). Items already logged with the same text are
 * skipped; with other text, {@link LoggedConflictError}. Returns how many were appended.
 *
 * @example
 * ```ts
 * await appendVersions(kv, "alice", [{ module, version, h1, goModH1 }]);
 * ```
 */
export async function appendVersions(
  kv: Deno.Kv,
  owner: string,
  items: LogItem[],
): Promise<number> {
  let pending = await notLogged(kv, owner, items);
  let appended = 0;
  while (pending.length > 0) {
    const head = await kv.get<LogHead>(keys.logHead(owner));
    const [batch, rest] = nextBatch(owner, head.value?.n ?? 0, pending);
    const op = kv.atomic();
    addAppend(op, owner, head, batch);
    if ((await op.commit()).ok) {
      appended += batch.length;
      pending = rest;
    } else {
      pending = await notLogged(kv, owner, pending); // another process appended meanwhile
    }
  }
  return appended;
}

/** The items not in the owner's log (one scan of its entries); throws on other content. */
async function notLogged(kv: Deno.Kv, owner: string, items: LogItem[]): Promise<LogItem[]> {
  if (items.length === 0) return [];
  const logged = new Map<string, LoggedVersion>();
  for await (const e of kv.list<LoggedVersion>({ prefix: keys.logEntries(owner) })) {
    logged.set(JSON.stringify([e.key[2], e.key[3]]), e.value);
  }
  return items.filter((item) => {
    const found = logged.get(JSON.stringify([item.module, item.version]));
    if (found === undefined) return true;
    if (found.text !== itemText(item)) throw new LoggedConflictError(item, found);
    return false;
  });
}

/**
 * Appends one module version to the owner's log, unless it is logged already (same text);
 * returns its entry. Throws {@link LoggedConflictError} for other content, `Error` when the
 * owner has no log.
 *
 * @example
 * ```ts
 * const { id } = await appendVersion(kv, "alice", { module, version, h1, goModH1 });
 * ```
 */
export async function appendVersion(
  kv: Deno.Kv,
  owner: string,
  item: LogItem,
): Promise<LoggedVersion> {
  const entryKey = keys.logEntry(owner, item.module, item.version);
  for (;;) {
    const [meta, head, entry] = await kv.getMany<[LogMeta, LogHead, LoggedVersion]>([
      keys.logMeta(owner),
      keys.logHead(owner),
      entryKey,
    ]);
    if (meta.value === null) throw new Error(`Owner ${JSON.stringify(owner)} has no checksum log`);
    if (entry.value !== null) {
      if (entry.value.text !== itemText(item)) throw new LoggedConflictError(item, entry.value);
      return entry.value;
    }
    const op = kv.atomic().check(meta).check(entry);
    const { ids } = addAppend(op, owner, head, [item]);
    if ((await op.commit()).ok) return { id: ids[0], text: itemText(item) };
  }
}
