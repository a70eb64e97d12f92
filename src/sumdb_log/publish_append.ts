/**
 * What publishing does with the owner's checksum log, inside publish's one final commit:
 * read the log's meta, head and the version's entry with publish's other keys (no extra
 * round trip), refuse content other than the logged one, and append the version's record
 * in the commit that makes it visible, so no version is ever served before it is logged.
 *
 * @module
 */

import { goSumHashes, parseGoSumRecord } from "../sumdb/records.ts";
import { addAppend, itemText, type LogItem } from "./append.ts";
import type { LoggedVersion, LogHead, LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";

/** The values of the log keys publish reads, in the order of {@link publishLogKeys}. */
export type PublishLogValues = [LogMeta, LogHead, LoggedVersion];

/** The log entries publish reads, in the order of {@link publishLogKeys}. */
export type PublishLogEntries = [
  Deno.KvEntryMaybe<LogMeta>,
  Deno.KvEntryMaybe<LogHead>,
  Deno.KvEntryMaybe<LoggedVersion>,
];

/**
 * The keys publish reads for the log: the owner's log meta, its head, and the version's
 * entry.
 *
 * @example
 * ```ts
 * const [meta, head, entry] = await kv.getMany(publishLogKeys(owner, module, version));
 * ```
 */
export function publishLogKeys(
  owner: string,
  module: string,
  version: string,
): [Deno.KvKey, Deno.KvKey, Deno.KvKey] {
  return [keys.logMeta(owner), keys.logHead(owner), keys.logEntry(owner, module, version)];
}

/**
 * The zip h1 the log holds for a version when it differs from the item's content (then the
 * publish is refused), else `null`.
 *
 * @example
 * ```ts
 * loggedH1Conflict(entry.value, item); // "h1:…=" or null
 * ```
 */
export function loggedH1Conflict(entry: LoggedVersion | null, item: LogItem): string | null {
  if (entry === null || entry.text === itemText(item)) return null;
  const logged = goSumHashes(parseGoSumRecord(entry.text), item.module, item.version);
  return logged.zip ?? entry.text.trim();
}

/**
 * Adds the log's part to publish's commit: a check of the log meta (a log enabled meanwhile
 * makes the publish retry and append), and, when the owner has a log and the version is not
 * in it, the append of its record (checking the head's versionstamp).
 *
 * @example
 * ```ts
 * addPublishAppend(op, owner, [meta, head, entry], { module, version, h1, goModH1 });
 * ```
 */
export function addPublishAppend(
  op: Deno.AtomicOperation,
  owner: string,
  [meta, head, entry]: PublishLogEntries,
  item: LogItem,
): void {
  op.check(meta);
  if (meta.value === null || entry.value !== null) return;
  addAppend(op, owner, head, [item]);
}
