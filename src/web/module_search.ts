/**
 * The home page's data: module search across the owners a visitor may read, and recently
 * published versions. Both are bounded: a search scans at most {@link MAX_SEARCH_OWNERS}
 * owners and {@link MAX_SEARCH_MODULES} module names and returns at most
 * {@link MAX_SEARCH_RESULTS}; the recent list reads at most {@link MAX_RECENT_SCAN} audit
 * entries.
 *
 * @module
 */

import type { Services } from "../http/context.ts";
import { readAudit } from "../registry/audit.ts";
import { keys } from "../store/keys.ts";
import type { UserRecord } from "../store/records.ts";
import type { ReadableOwners } from "./readable_owners.ts";

/** Most owners one search scans. */
export const MAX_SEARCH_OWNERS = 500;
/** Most module names one search compares. */
export const MAX_SEARCH_MODULES = 20_000;
/** Most results one search returns. */
export const MAX_SEARCH_RESULTS = 50;
/** Longest search text (longer ones are cut). */
export const MAX_QUERY_LENGTH = 200;
/** Most audit entries read for the recent list. */
export const MAX_RECENT_SCAN = 300;

/** One search hit. */
export interface SearchHit {
  /** Owner name. */
  owner: string;
  /** Module path. */
  module: string;
  /** Its `@latest` version, when it has one. */
  latest?: string;
}

/** What a search found, and whether it stopped at a bound. */
export interface SearchResult {
  /** Hits in owner, then module path order. */
  hits: SearchHit[];
  /** Whether a bound stopped the search before it looked at everything. */
  truncated: boolean;
}

/**
 * Module paths containing `query` (case-insensitive) among the readable owners' modules.
 */
export async function searchModules(
  services: Services,
  readable: ReadableOwners,
  query: string,
): Promise<SearchResult> {
  const needle = query.slice(0, MAX_QUERY_LENGTH).toLowerCase();
  const hits: SearchHit[] = [];
  let owners = 0, modules = 0;
  const kv = services.kv;
  for await (const o of kv.list<UserRecord>({ prefix: keys.users() })) {
    if (++owners > MAX_SEARCH_OWNERS) return { hits, truncated: true };
    if (!(await readable.admits(o.value))) continue;
    const owner = o.value.name;
    for await (const m of kv.list({ prefix: keys.modules(owner) }, { batchSize: 500 })) {
      if (++modules > MAX_SEARCH_MODULES) return { hits, truncated: true };
      const module = m.key[2] as string;
      if (!module.toLowerCase().includes(needle)) continue;
      const latest = await services.modules.latest(owner, module);
      hits.push({ owner, module, latest: latest?.version });
      if (hits.length >= MAX_SEARCH_RESULTS) return { hits, truncated: true };
    }
  }
  return { hits, truncated: false };
}

/** A recently published version. */
export interface RecentVersion {
  /** Owner name. */
  owner: string;
  /** Module path. */
  module: string;
  /** Version. */
  version: string;
  /** ISO publish time. */
  time: string;
}

/**
 * Up to `limit` versions published most recently to owners the visitor may read and still
 * published (from the audit log, newest first).
 */
export async function recentVersions(
  services: Services,
  readable: ReadableOwners,
  limit = 10,
): Promise<RecentVersion[]> {
  const { entries } = await readAudit(services.kv, 1, MAX_RECENT_SCAN);
  const out: RecentVersion[] = [];
  for (const e of entries) {
    if (e.action !== "publish") continue;
    const slash = e.target.indexOf("/"), at = e.target.lastIndexOf("@");
    if (slash < 0 || at < slash) continue;
    const owner = e.target.slice(0, slash);
    const module = e.target.slice(slash + 1, at), version = e.target.slice(at + 1);
    if (!(await readable.get(owner))) continue;
    const record = await services.modules.version(owner, module, version);
    if (
      !record || out.some((r) => r.owner === owner && r.module === module && r.version === version)
    ) continue;
    out.push({ owner, module, version, time: record.time });
    if (out.length >= limit) break;
  }
  return out;
}
