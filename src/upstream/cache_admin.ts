/**
 * The operator's side of the pull-through cache: list what is cached (per module version:
 * which files, how many bytes), and evict one module version or every version of a module.
 *
 * Listing walks the three file kinds (`info`, `mod`, `zip`) in key order at once, so one
 * module version is one row whatever files of it are cached, and pages are bounded both in
 * rows and in keys examined (a pattern that matches little cannot make one request scan a
 * cache of many thousands of versions).
 *
 * An eviction deletes the file records and the module's `list`/`@latest` answers (with their
 * parts), lowers the byte counter by exactly the sizes of the records it deleted, and hands
 * the blobs to the sweeper with a reclaim marker due after the delete grace period (as a
 * deleted version's chunks), so a download that is streaming them finishes. All of it, with its audit entry,
 * in one atomic commit that checks every deleted record and the counter: a fill committing at
 * the same moment, or a second eviction, makes it read again, so bytes are never subtracted
 * twice and the counter never wraps below zero.
 *
 * @module
 */

import { bumpGeneration } from "../registry/state_cache.ts";
import { matchPrefixPatterns, pathMatch } from "../gomod/match_prefix_patterns.ts";
import { canonicalVersion, isValidVersion } from "../gomod/version.ts";
import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import { type Actor, audit } from "../registry/audit.ts";
import { NotFoundError } from "../registry/lifecycle.ts";
import type { ReclaimMarker } from "../store/blob_store.ts";
import { type CachedFileKind, keys } from "../store/keys.ts";
import type { CachedFileRecord, UpstreamAnswerRecord } from "../store/records.ts";
import { FILL_LEASE_OWNER } from "./fill_lease.ts";

/** The file kinds of one cached module version, in the order they are shown. */
export const CACHED_FILE_KINDS: readonly CachedFileKind[] = ["info", "mod", "zip"];
/** Most module versions one listing page may return. */
export const MAX_LIST_LIMIT = 10_000;
/** Module versions one listing page examines at most (matching or not) before it stops. */
export const DEFAULT_SCAN_LIMIT = 20_000;
/** Longest pattern list accepted (as for an owner's private paths). */
export const MAX_PATTERN_LENGTH = 4096;
/**
 * Module versions evicted per atomic commit: 3 record checks each, plus the counter and two
 * answers, within KV's 100 checks (and, with ≤ 17 parts per answer, its 1,000 mutations).
 */
const VERSIONS_PER_COMMIT = 25;

/** One cached module version. */
export interface CachedVersion {
  /** Module path. */
  module: string;
  /** Canonical version. */
  version: string;
  /** The kinds of files cached, in {@link CACHED_FILE_KINDS} order. */
  files: CachedFileKind[];
  /** Their sizes added up: what they count in the cache's byte counter. */
  bytes: number;
  /** The records themselves. */
  records: Partial<Record<CachedFileKind, CachedFileRecord>>;
}

/** One page of the listing. */
export interface CacheListing {
  /** The module versions of this page, in key order (module path, then version bytes). */
  versions: CachedVersion[];
  /** Where the next page starts (pass as `cursor`), or `null` after the last one. */
  next: string | null;
  /** Bytes the whole cache holds (its counter, the figure the budget is checked against). */
  totalBytes: number;
}

/** What {@link listCache} is asked for. */
export interface CacheListOptions {
  /**
   * GOPRIVATE-style globs (comma-separated `path.Match` patterns over leading path
   * elements): `example.com/m` matches that module and `example.com/m/v2`, not
   * `example.com/mx`. Omitted or `""`: everything.
   */
  pattern?: string;
  /** Rows at most (1 to {@link MAX_LIST_LIMIT}). */
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string | null;
  /** Module versions examined at most (default {@link DEFAULT_SCAN_LIMIT}). */
  scanLimit?: number;
}

/** What one eviction removed. */
export interface Eviction {
  /** Module path. */
  module: string;
  /** Each evicted version with its files and bytes. */
  versions: { version: string; files: CachedFileKind[]; bytes: number }[];
  /** Bytes the counter went down by. */
  bytes: number;
}

/**
 * Checks a listing pattern; returns the reason it is refused, else `null`.
 *
 * @example
 * ```ts
 * checkCachePattern("github.com/pkg,*.example.com"); // null
 * checkCachePattern("github.com/["); // a reason
 * ```
 */
export function checkCachePattern(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `the pattern must have at most ${MAX_PATTERN_LENGTH} characters`;
  }
  if (/[\s\p{Cc}]/u.test(pattern)) {
    return "the pattern must not contain spaces or control characters";
  }
  for (const glob of pattern.split(",")) {
    if (glob !== "" && pathMatch(glob.replace(/\/$/, ""), "") === null) {
      return `pattern ${JSON.stringify(glob.slice(0, 80))} is malformed`;
    }
  }
  return null;
}

/**
 * Splits `MODULE[@VERSION]`; throws a `RangeError` naming the problem (an empty or too long
 * path, a version that is not canonical).
 *
 * @example
 * ```ts
 * parseCacheTarget("example.com/m@v1.0.0"); // { module: "example.com/m", version: "v1.0.0" }
 * parseCacheTarget("example.com/m"); // { module: "example.com/m", version: null }
 * ```
 */
export function parseCacheTarget(text: string): { module: string; version: string | null } {
  const at = text.indexOf("@");
  const module = at < 0 ? text : text.slice(0, at);
  const version = at < 0 ? null : text.slice(at + 1);
  if (module === "") throw new RangeError(`Missing module path in ${JSON.stringify(text)}`);
  if (version !== null && (!isValidVersion(version) || canonicalVersion(version) !== version)) {
    throw new RangeError(
      `Cannot evict version ${JSON.stringify(version.slice(0, 200))}: not a canonical version`,
    );
  }
  if (!fitsKeyLimits(module, version ?? "")) {
    throw new RangeError("The module path or version is longer than any that can be cached");
  }
  return { module, version };
}

/** The cursor text of a position: `module@version`. */
function cursorOf(v: { module: string; version: string }): string {
  return `${v.module}@${v.version}`;
}

/** Lists one page of cached module versions. Throws a `RangeError` for a bad cursor or pattern. */
export async function listCache(kv: Deno.Kv, options: CacheListOptions): Promise<CacheListing> {
  const { limit, pattern = "", scanLimit = DEFAULT_SCAN_LIMIT } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`The limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  }
  const problem = checkCachePattern(pattern);
  if (problem) throw new RangeError(problem);
  let after: Position | null = null;
  if (options.cursor) {
    const { module, version } = parseCursor(options.cursor);
    after = { module, version };
  }
  const versions: CachedVersion[] = [];
  let next: string | null = null;
  let scanned = 0;
  let last: CachedVersion | null = null;
  for await (const v of walk(kv, rangeFor(after, literalPrefix(pattern)), after)) {
    if (versions.length >= limit || scanned >= scanLimit) {
      next = cursorOf(last!);
      break;
    }
    scanned++;
    last = v;
    if (pattern === "" || matchPrefixPatterns(pattern, v.module)) versions.push(v);
  }
  return { versions, next, totalBytes: await cachedBytes(kv) };
}

/**
 * The cached versions of one module (at most `limit`, in key order), for the packages API.
 */
export async function cachedVersionsOf(
  kv: Deno.Kv,
  module: string,
  limit: number,
): Promise<CachedVersion[]> {
  if (!fitsKeyLimits(module)) return [];
  const out: CachedVersion[] = [];
  for await (const v of walk(kv, (kind) => ({ prefix: moduleFilesPrefix(kind, module) }), null)) {
    if (out.length >= limit) break;
    out.push(v);
  }
  return out;
}

/** Cached modules grouped, for an owner's listing in the packages API. */
export interface CachedModulesPage {
  /** Modules with their cached versions (at most `versionsPerModule` each). */
  modules: { module: string; versions: CachedVersion[] }[];
  /** The module the next page starts after, or `null`. */
  next: string | null;
}

/**
 * One page of cached modules that `accept` lets through (an owner's hosted and private
 * paths are never served from the cache, so its listing leaves them out), starting after
 * the module `after`. Bounded by `limit` modules and {@link DEFAULT_SCAN_LIMIT} versions
 * examined.
 */
export async function listCachedModules(
  kv: Deno.Kv,
  options: {
    after: string | null;
    limit: number;
    versionsPerModule: number;
    accept: (module: string) => Promise<boolean>;
  },
): Promise<CachedModulesPage> {
  const after: Position | null = options.after === null
    ? null
    : { module: options.after, version: null };
  if (after && !fitsKeyLimits(after.module)) throw new RangeError("The cursor is too long");
  type Group = { module: string; versions: CachedVersion[] };
  const groups: Group[] = [];
  const state: { current: Group | null } = { current: null };
  let scanned = 0;
  let next: string | null = null;
  for await (const v of walk(kv, rangeFor(after, ""), after)) {
    const current = state.current;
    if (current === null || current.module !== v.module) {
      if (current && await options.accept(current.module)) groups.push(current);
      if (current && (groups.length >= options.limit || scanned >= DEFAULT_SCAN_LIMIT)) {
        next = current.module;
        state.current = null;
        break;
      }
      state.current = { module: v.module, versions: [] };
    }
    scanned++;
    const group = state.current!;
    if (group.versions.length < options.versionsPerModule) group.versions.push(v);
  }
  const last = state.current;
  if (last && await options.accept(last.module)) groups.push(last);
  const modules = groups;
  return { modules, next };
}

/** Bytes the cache holds, by its counter. */
export async function cachedBytes(kv: Deno.Kv): Promise<number> {
  return Number((await kv.get<Deno.KvU64>(keys.upstreamBytes())).value?.value ?? 0n);
}

/**
 * Evicts `module@version`, or every cached version of `module` when `version` is `null`.
 * Throws {@link NotFoundError} when nothing of it is cached.
 */
export async function evictCached(
  kv: Deno.Kv,
  module: string,
  version: string | null,
  actor: Actor,
  graceMs: number,
): Promise<Eviction> {
  const what = version === null ? module : `${module}@${version}`;
  if (!fitsKeyLimits(module, version ?? "")) {
    throw new NotFoundError(`${what}: not in the pull-through cache`);
  }
  let versions: string[];
  if (version !== null) {
    versions = [version];
  } else {
    versions = [];
    for await (const v of walk(kv, (kind) => ({ prefix: moduleFilesPrefix(kind, module) }), null)) {
      versions.push(v.version);
    }
  }
  const eviction: Eviction = { module, versions: [], bytes: 0 };
  for (let i = 0; i < versions.length; i += VERSIONS_PER_COMMIT) {
    const batch = versions.slice(i, i + VERSIONS_PER_COMMIT);
    const removed = await evictBatch(kv, module, batch, version !== null, actor, graceMs);
    eviction.versions.push(...removed.versions);
    eviction.bytes += removed.bytes;
  }
  if (eviction.versions.length === 0) {
    throw new NotFoundError(`${what}: not in the pull-through cache`);
  }
  return eviction;
}

/**
 * Evicts what is cached of `versions` of `module` in one atomic commit, retried until no
 * concurrent change (a fill, another eviction) got in between its read and its commit.
 */
async function evictBatch(
  kv: Deno.Kv,
  module: string,
  versions: string[],
  single: boolean,
  actor: Actor,
  graceMs: number,
): Promise<Eviction> {
  const fileKeys = versions.flatMap((v) =>
    CACHED_FILE_KINDS.map((kind) => keys.upstreamFile(kind, module, v))
  );
  for (;;) {
    const entries: Deno.KvEntryMaybe<CachedFileRecord>[] = [];
    for (let i = 0; i < fileKeys.length; i += 10) {
      entries.push(...await kv.getMany<CachedFileRecord[]>(fileKeys.slice(i, i + 10)));
    }
    const [counter, list, latest] = await kv.getMany<
      [Deno.KvU64, UpstreamAnswerRecord, UpstreamAnswerRecord]
    >([
      keys.upstreamBytes(),
      keys.upstreamAnswer("list", module),
      keys.upstreamAnswer("latest", module),
    ]);
    const eviction: Eviction = { module, versions: [], bytes: 0 };
    const now = Date.now();
    const marker: ReclaimMarker = { owner: FILL_LEASE_OWNER, after: now + graceMs };
    const op = kv.atomic().check(counter);
    for (const [i, v] of versions.entries()) {
      const row = { version: v, files: [] as CachedFileKind[], bytes: 0 };
      for (const [j, kind] of CACHED_FILE_KINDS.entries()) {
        const entry = entries[i * CACHED_FILE_KINDS.length + j];
        if (!entry.value) continue;
        op.check(entry).delete(entry.key);
        if (entry.value.blobId) op.set(keys.reclaim(entry.value.blobId), marker);
        row.files.push(kind);
        row.bytes += entry.value.size;
      }
      if (row.files.length === 0) continue;
      eviction.versions.push(row);
      eviction.bytes += row.bytes;
    }
    if (eviction.versions.length === 0) return eviction;
    const used = counter.value?.value ?? 0n;
    const bytes = BigInt(eviction.bytes);
    // Never below zero, even if the counter was already lower than the records say.
    op.set(keys.upstreamBytes(), new Deno.KvU64(used > bytes ? used - bytes : 0n));
    // The module's list/@latest answers go too (asked again next time), with the parts of a
    // large one; checked, so an answer stored meanwhile is not left without its parts.
    for (const [kind, head] of [["list", list], ["latest", latest]] as const) {
      if (!head.value) continue;
      op.check(head).delete(head.key);
      const parts = head.value.parts;
      for (let i = 0; parts && i < parts.count; i++) {
        op.delete(keys.upstreamAnswerPart(kind, module, parts.id, i));
      }
    }
    const target = single ? `${module}@${versions[0]}` : module;
    const detail: Record<string, string> = { bytes: String(eviction.bytes) };
    if (single) detail.files = eviction.versions[0].files.join(",");
    else detail.versions = eviction.versions.map((r) => r.version).join(",");
    audit(op, actor, "cache.evict", target, detail);
    // Servers keep stored files in their state caches: the generation tells them to forget.
    bumpGeneration(op);
    if ((await op.commit()).ok) return eviction;
  }
}

/** A position in key order: after a module version, or after every version of a module. */
interface Position {
  module: string;
  version: string | null;
}

type RangeFor = (kind: CachedFileKind) => Deno.KvListSelector;

/** `["upstream", kind, module]`: the files of one kind of every version of a module. */
function moduleFilesPrefix(kind: CachedFileKind, module: string): Deno.KvKey {
  return keys.upstreamFile(kind, module, "").slice(0, 3);
}

/** The key range of one kind: from after `after`, within modules starting with `prefix`. */
function rangeFor(after: Position | null, prefix: string): RangeFor {
  return (kind) => {
    const all = keys.upstreamFile(kind, "", "").slice(0, 2);
    let start: Deno.KvKey | null = null;
    if (after) {
      // Module paths hold no NUL: every key of `after.module` sorts before `module + "\0"`.
      start = after.version === null
        ? [...all, after.module + "\0"]
        : [...all, after.module, after.version];
    }
    if (prefix === "") return start ? { prefix: all, start } : { prefix: all };
    const end = [...all, prefix + "\u{10FFFF}"];
    const from = start && compareText(start[2] as string, prefix) >= 0 ? start : [...all, prefix];
    // A cursor past the range: an empty range (start must not pass end).
    if (compareText(from[2] as string, end[2] as string) >= 0) return { start: end, end };
    return { start: from, end };
  };
}

/** The characters of a pattern list before its first glob metacharacter, common to all. */
function literalPrefix(pattern: string): string {
  const globs = pattern.split(",").filter((g) => g !== "");
  if (globs.length === 0) return "";
  const literals = globs.map((g) => g.slice(0, g.search(/[*?[\\]|$/)));
  let common = literals[0];
  for (const l of literals) {
    while (!l.startsWith(common)) common = common.slice(0, -1);
  }
  return common;
}

/**
 * The cached module versions in key order, merged from the three kinds' key ranges, strictly
 * after `after`.
 */
async function* walk(
  kv: Deno.Kv,
  range: RangeFor,
  after: Position | null,
): AsyncGenerator<CachedVersion> {
  const lists = CACHED_FILE_KINDS.map((kind) =>
    kv.list<CachedFileRecord>(range(kind), { batchSize: 500 })[Symbol.asyncIterator]()
  );
  const advance = async (i: number) => {
    for (;;) {
      const r = await lists[i].next();
      if (r.done) return null;
      const pair = { module: r.value.key[2] as string, version: r.value.key[3] as string };
      if (after && !isAfter(pair, after)) continue;
      return { ...pair, record: r.value.value };
    }
  };
  const heads = await Promise.all(lists.map((_, i) => advance(i)));
  for (;;) {
    let min: { module: string; version: string } | null = null;
    for (const h of heads) if (h && (min === null || comparePair(h, min) < 0)) min = h;
    if (min === null) return;
    const row: CachedVersion = {
      module: min.module,
      version: min.version,
      files: [],
      bytes: 0,
      records: {},
    };
    for (const [i, kind] of CACHED_FILE_KINDS.entries()) {
      const h = heads[i];
      if (!h || comparePair(h, min) !== 0) continue;
      row.files.push(kind);
      row.bytes += h.record.size;
      row.records[kind] = h.record;
      heads[i] = await advance(i);
    }
    yield row;
  }
}

function isAfter(pair: { module: string; version: string }, after: Position): boolean {
  const m = compareText(pair.module, after.module);
  if (m !== 0 || after.version === null) return m > 0;
  return compareText(pair.version, after.version) > 0;
}

function comparePair(
  a: { module: string; version: string },
  b: { module: string; version: string },
): number {
  return compareText(a.module, b.module) || compareText(a.version, b.version);
}

/** Compares by code points, which is the UTF-8 byte order Deno KV sorts string keys in. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a), y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function parseCursor(cursor: string): { module: string; version: string } {
  const at = cursor.indexOf("@");
  if (at <= 0 || !fitsKeyLimits(cursor.slice(0, at), cursor.slice(at + 1))) {
    throw new RangeError(
      `The cursor ${JSON.stringify(cursor.slice(0, 80))} is not one a listing gave`,
    );
  }
  return { module: cursor.slice(0, at), version: cursor.slice(at + 1) };
}
