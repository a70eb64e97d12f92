/**
 * The pull-through cache as a service: which paths of an owner go upstream, and the answers
 * for them. Immutable files come from KV once fetched (also when the upstream is gone);
 * `list` and `@latest` are reused for the TTL and served stale when the upstream fails.
 *
 * @module
 */

import { processMetrics } from "../ops/process_metrics.ts";
import { matchPrefixPatterns, pathMatch } from "../gomod/match_prefix_patterns.ts";
import { checkModulePath } from "../gomod/path.ts";
import { canonicalVersion, isValidVersion } from "../gomod/version.ts";
import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import type { StateCache } from "../registry/state_cache.ts";
import { blobStream } from "../store/blob_store.ts";
import { type CachedFileKind, keys } from "../store/keys.ts";
import type { CachedFileRecord, UserRecord } from "../store/records.ts";
import {
  DEFAULT_FIRST_FETCH_LIMITS,
  FirstFetchLimit,
  type FirstFetchLimits,
} from "./first_fetch_limit.ts";
import { type FillLeaseTiming, underFillLease } from "./fill_lease.ts";
import { SingleFlight } from "./single_flight.ts";
import { DEFAULT_UPSTREAM_LIMITS, UpstreamClient, type UpstreamLimits } from "./upstream_client.ts";
import { UpstreamAnswers } from "./upstream_answers.ts";
import { UpstreamError } from "./upstream_error.ts";
import { parseUpstreamList } from "./upstream_list.ts";
import { checkFillAgainstSumdb } from "./sumdb_fill_check.ts";
import { parseSumdbUpstream } from "./sumdb_upstream_config.ts";
import { UpstreamSumdb } from "./upstream_sumdb.ts";
import {
  DEFAULT_UPSTREAM_APPEND_LIMITS,
  type UpstreamAppendLimits,
  UpstreamAppends,
} from "../sumdb_log/upstream_append.ts";

/** Settings of the pull-through cache. */
export interface PullThroughOptions {
  /** Upstream list in GOPROXY syntax (`off`/`""`: disabled). */
  upstream: string;
  /** Seconds a `list`/`@latest` answer is reused. */
  ttlSeconds: number;
  /** Bytes the cache may hold in total. */
  maxCacheBytes: number;
  /** Largest accepted zip (the upload limit). */
  maxZipSize: number;
  /** Upload lease stall timeout, for the chunks of a zip being fetched. */
  stallMs: number;
  /** Upstream timeouts and caps (defaults: {@link DEFAULT_UPSTREAM_LIMITS}). */
  limits?: Partial<UpstreamLimits>;
  /**
   * The checksum database fills are verified against, GOSUMDB syntax (default
   * `sum.golang.org`; `off`: no verification).
   */
  sumdbUpstream?: string;
  /** GONOSUMDB-syntax patterns of paths filled without verification (default none). */
  upstreamNoSumdb?: string;
  /**
   * How many records of the upstream checksum database each owner's own log may take
   * (defaults: {@link DEFAULT_UPSTREAM_APPEND_LIMITS}).
   */
  logAppends?: Partial<UpstreamAppendLimits>;
  /** Cross-process lease timing (defaults: 30 s lease, 10 min wait, 100 ms polls). */
  lease?: Partial<FillLeaseTiming>;
  /** First fetches per client (defaults: {@link DEFAULT_FIRST_FETCH_LIMITS}). */
  firstFetches?: Partial<FirstFetchLimits>;
  /**
   * How a stored zip is streamed (the app passes the hot-zip cache of hosted versions, so a
   * cached zip is served like a hosted one); default: straight from its chunks.
   */
  zipStream?: (
    blob: { blobId: string; size: number; chunks: number },
  ) => ReadableStream<Uint8Array>;
}

/** A GOPROXY read the pull-through cache answers. */
export type PullThroughRequest =
  | { module: string; kind: "list" | "latest" }
  | { module: string; kind: CachedFileKind; version: string };

/** What the HTTP layer sends back. */
export interface PullThroughAnswer {
  /** The body (a stream for `.mod` and `.zip`). */
  body: Uint8Array | ReadableStream<Uint8Array>;
  /** Its length in bytes. */
  size: number;
  /** `application/json`, `text/plain…` or `application/zip`. */
  contentType: string;
  /** The ETag of an immutable file; `undefined` for `list`/`@latest`. */
  etag?: string;
  /** Served from an expired copy because the upstream failed. */
  stale: boolean;
}

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

/**
 * Whether a private pattern matches `module` or a path below it (a pattern with more
 * elements whose leading ones match all of `module`'s).
 */
function guardsAncestor(patterns: string, module: string): boolean {
  if (matchPrefixPatterns(patterns, module)) return true;
  const depth = module.split("/").length;
  return patterns.split(",").some((glob) => {
    const elements = glob.replace(/\/$/, "").split("/");
    return elements.length > depth &&
      pathMatch(elements.slice(0, depth).join("/"), module) === true;
  });
}

/** The pull-through cache of one process. */
export class PullThrough {
  /** Whether an upstream is configured at all. */
  readonly enabled: boolean;

  /** Bytes the cache may hold in total (`--upstream-cache-max-bytes`). */
  get maxCacheBytes(): number {
    return this.options.maxCacheBytes;
  }
  readonly #client: UpstreamClient;
  readonly #flights = new SingleFlight();
  readonly #timing: FillLeaseTiming;
  readonly #firstFetches: FirstFetchLimit;
  readonly #answers: UpstreamAnswers;
  /** The upstream checksum database, unless `off` (or pull-through is disabled). */
  readonly sumdb: UpstreamSumdb | null;
  /** Appends of the upstream database's records to owners' own logs (with {@link sumdb}). */
  readonly logAppends: UpstreamAppends | null;

  /** Creates the service; throws a `SyntaxError` for a bad upstream list or database. */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly cache: StateCache,
    private readonly options: PullThroughOptions,
  ) {
    const entries = parseUpstreamList(options.upstream);
    this.enabled = entries.length > 0;
    const limits = { ...DEFAULT_UPSTREAM_LIMITS, ...options.limits };
    this.#client = new UpstreamClient(entries, limits);
    const sumdb = parseSumdbUpstream(options.sumdbUpstream ?? "sum.golang.org");
    this.sumdb = sumdb && this.enabled ? new UpstreamSumdb(kv, sumdb, entries, limits) : null;
    this.logAppends = this.sumdb &&
      new UpstreamAppends(kv, this.sumdb, {
        ...DEFAULT_UPSTREAM_APPEND_LIMITS,
        ...options.logAppends,
      });
    this.#timing = { leaseMs: 30_000, waitMs: 600_000, pollMs: 100, ...options.lease };
    this.#firstFetches = new FirstFetchLimit({
      ...DEFAULT_FIRST_FETCH_LIMITS,
      ...options.firstFetches,
    });
    this.#answers = new UpstreamAnswers(kv, this.#client, this.#flights, options.ttlSeconds);
  }

  /**
   * Whether `module` of `owner` goes upstream: pull-through is configured and on for the
   * owner, and the path is not {@link hostedOrPrivate}.
   */
  async goesUpstream(owner: UserRecord, module: string): Promise<boolean> {
    if (!this.enabled || owner.pullThrough !== true) return false;
    return !(await this.hostedOrPrivate(owner, module));
  }

  /**
   * Whether `module` never leaves modyard for `owner`, whatever its pull-through setting:
   * the path or a path below it matches one of the owner's private patterns, it is longer
   * than a key allows, or the owner published some version of it or of a path above or
   * below it (deleted versions included). Such paths are never asked of an upstream proxy
   * or checksum database.
   */
  async hostedOrPrivate(owner: UserRecord, module: string): Promise<boolean> {
    if (owner.privatePaths && guardsAncestor(owner.privatePaths, module)) return true;
    if (!fitsKeyLimits(module)) return true;
    // A module above or below a hosted one could serve its packages (the go command asks
    // every leading-element prefix of a package path), so those paths stay hosted-only too.
    const published = await this.cache.get(
      "pull_through_hosted",
      `${owner.name}\0${module}`,
      async () => {
        const some = async (sel: Deno.KvListSelector) => {
          for await (const _ of this.kv.list(sel, { limit: 1 })) return true;
          return false;
        };
        for (let p = module; p !== ""; p = p.slice(0, Math.max(0, p.lastIndexOf("/")))) {
          if (await some({ prefix: keys.modulePins(owner.name, p) })) return true;
        }
        return await some({
          start: keys.modulePins(owner.name, module + "/"),
          end: keys.modulePins(owner.name, module + "0"), // "0" follows "/"
        });
      },
      () => 8,
    );
    return published;
  }

  /**
   * Answers one read from the cache or the upstream for `client` (its address, for the
   * first-fetch limit). Throws {@link UpstreamError}.
   */
  async read(req: PullThroughRequest, client = "unknown"): Promise<PullThroughAnswer> {
    const problem = checkModulePath(req.module);
    if (problem !== null) {
      throw new UpstreamError(
        404,
        `${JSON.stringify(req.module)} is not a valid module path: ${problem}`,
      );
    }
    if (req.kind === "list" || req.kind === "latest") {
      return await this.#answers.read(req.kind, req.module);
    }
    const { kind, version } = req as { kind: CachedFileKind; version: string };
    if (version === "latest") return await this.#answers.read("latest", req.module);
    if (!isValidVersion(version) || canonicalVersion(version) !== version) {
      throw new UpstreamError(
        404,
        `${req.module}@${version}: the pull-through cache serves canonical versions only`,
      );
    }
    const record = await this.#file(kind, req.module, version, client);
    if (kind === "info") {
      return {
        body: record.body!,
        size: record.size,
        contentType: JSON_TYPE,
        etag: record.sha256,
        stale: false,
      };
    }
    const blob = { blobId: record.blobId!, size: record.size, chunks: record.chunks };
    return {
      body: kind === "zip" && this.options.zipStream
        ? this.options.zipStream(blob)
        : blobStream(this.kv, blob.blobId, kind, blob.chunks),
      size: record.size,
      contentType: kind === "zip" ? "application/zip" : TEXT,
      etag: record.h1,
      stale: false,
    };
  }

  /** The checksum-database check of a module's fills, or `undefined` when it is exempt. */
  #verifier(module: string) {
    const sumdb = this.sumdb;
    if (!sumdb || matchPrefixPatterns(this.options.upstreamNoSumdb ?? "", module)) return undefined;
    return (kind: "mod" | "zip", m: string, version: string, h1: string) =>
      checkFillAgainstSumdb(sumdb, kind, m, version, h1);
  }

  /** A stored file, fetched first when absent (once per process, once across processes). */
  async #file(
    kind: CachedFileKind,
    module: string,
    version: string,
    client: string,
  ): Promise<CachedFileRecord> {
    const key = keys.upstreamFile(kind, module, version);
    const stored = async () => (await this.kv.get<CachedFileRecord>(key)).value;
    // A stored file never changes until it is evicted, and fills and evictions bump the store
    // generation: the polled state cache may answer. A cached absence is read again below.
    const hit = await this.cache.get(
      "pull_through_files",
      `${kind}\0${module}\0${version}`,
      stored,
      (r) => 256 + (r?.body?.byteLength ?? 0),
    ) ?? await stored();
    if (hit) {
      processMetrics.pullThroughHits++;
      return hit;
    }
    const what = `${module}@${version} (${kind})`;
    const wait = this.#firstFetches.take(client);
    if (wait > 0) {
      throw new UpstreamError(
        429,
        `${what}: this client made modyard fetch ${this.#firstFetches.limits.perWindow} new files from upstream recently; try again in ${wait} s`,
        wait,
      );
    }
    await this.#flights.run(`${kind}\0${module}\0${version}`, () =>
      underFillLease(
        this.kv,
        keys.upstreamFill(kind, module, version),
        async () => (await stored()) !== null,
        async () =>
          // Loaded on the first fill (node:crypto; see src/crypto/sha256.ts).
          (await import("./cache_fill.ts")).fillFile(
            {
              kv: this.kv,
              client: this.#client,
              maxZipSize: this.options.maxZipSize,
              maxCacheBytes: this.options.maxCacheBytes,
              stallMs: this.options.stallMs,
              verify: this.#verifier(module),
            },
            kind,
            module,
            version,
          ),
        this.#timing,
        what,
      ));
    this.cache.invalidate(); // the absence this process cached is stale now
    const filled = await stored();
    if (!filled) throw new UpstreamError(502, `${what}: the fill ended without storing it`);
    return filled;
  }
}
