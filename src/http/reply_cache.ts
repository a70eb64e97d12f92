/**
 * The per-process cache of small GOPROXY answers (`.info`, `.mod`, `list`, `@latest` and
 * their 404s), on top of the state cache so that every change to the store drops it. Keys
 * never carry attacker-sized data: the path without its query string (GOPROXY clients send
 * none), or its SHA-256 when longer than {@link MAX_RAW_PATH_KEY}, and the SHA-256 of the
 * `Authorization` header. Answers and 404s live in separate spaces with byte budgets, so
 * made-up paths can churn the 404 space but never evict the answers or grow memory.
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha256.ts";
import type { StateCache } from "../registry/state_cache.ts";
import type { PreparedOutcome, RequestObserver } from "../ops/request_observer.ts";
import { cacheHeaders, notModified, type Reply } from "./responses.ts";

/** Paths up to this length are keys as they are; longer ones by their digest. */
export const MAX_RAW_PATH_KEY = 256;
/** Bytes of answers kept (space `reply`). */
export const REPLY_BUDGET = 32 * 1024 * 1024;
/** Bytes of 404 answers kept (space `reply404`). */
export const NOT_FOUND_BUDGET = 4 * 1024 * 1024;
/** Largest answer body kept; a go.mod may reach 16 MiB. */
export const MAX_CACHED_REPLY_BYTES = 16 * 1024;

/** The state-cache budgets of the reply spaces, for the {@link StateCache} constructor. */
export const REPLY_SPACE_BUDGETS = { reply: REPLY_BUDGET, reply404: NOT_FOUND_BUDGET };

/**
 * Bytes a kept answer holds beyond its body: its `Response`, prepared log record, reply and
 * keys (measured with tests/helpers/reply_cache_memory.ts: ~2.1 KB for a cached 404 on Deno
 * 2.9.6), so that a space's budget bounds the memory it really holds.
 */
export const REPLY_ENTRY_BYTES = 2048;
/** Bytes the 304 of an immutable answer adds once made (measured with the same: ~1.9 KB). */
export const NOT_MODIFIED_BYTES = 2048;

/** Headers every answer carries. */
export const COMMON_HEADERS: readonly [string, string][] = [["x-content-type-options", "nosniff"]];

/** What the request log and metrics say of a cached answer, recorded when it is kept. */
export interface ReplyAbout {
  /** Route kind. */
  route: string;
  /** Owner named by the path. */
  owner: string;
  /** Name of the principal the answer was made for (`""`: anonymous). */
  user: string;
}

/** A cached answer to a request, with what the log and metrics need of it. */
export interface ReplyHit {
  /** The response (a clone of the kept one). */
  response: Response;
  /** Its record for the log and metrics, prepared when the answer was kept. */
  outcome: PreparedOutcome;
}

/** Prepares the record of a cached answer (status, body bytes, refusal reason). */
export type PrepareOutcome = (
  about: ReplyAbout,
  status: number,
  bytes: number,
  reason: string,
) => PreparedOutcome;

interface CachedReply {
  reply: Reply;
  validUntil: number;
  /** The records of a full answer and (made on the first 304) of a 304. */
  fullOutcome: PreparedOutcome;
  notModifiedOutcome?: PreparedOutcome;
  about: ReplyAbout;
  /**
   * The full answer, built once when the reply is kept, and the 304, built on the first 304
   * (only immutable answers have one); each cloned for every hit: a clone copies the checked
   * header list, where a new `Response` validates every header again (measured here: 0.3 µs
   * against 3.5–5 µs for four headers).
   */
  full: Response;
  notModified?: Response;
}

/**
 * The cache key of a request: `null` for anything but `GET`. The origin and query string
 * are left out (answers depend on neither), credentials count only by their digest.
 *
 * @example
 * ```ts
 * replyCacheKey(new Request("http://h/api/packages/a/go/m/@v/list?x=1")); // "/api/packages/a/go/m/@v/list\n"
 * ```
 */
export function replyCacheKey(request: Request): string | null {
  if (request.method !== "GET") return null;
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  const auth = request.headers.get("authorization");
  return (path.length <= MAX_RAW_PATH_KEY ? path : sha256Hex(path)) + "\n" +
    (auth === null ? "" : sha256Hex(auth));
}

/** Cached answers, read and written under keys from {@link replyCacheKey}. */
export class ReplyCache {
  /** Requests answered from the cache. */
  hits = 0;
  /** Cacheable requests (GET) the cache could not answer. */
  misses = 0;

  /**
   * Creates the cache over `state` (whose budgets include {@link REPLY_SPACE_BUDGETS});
   * `prepare` makes the log and metrics record of each answer kept.
   */
  constructor(
    private readonly state: StateCache,
    private readonly prepare: PrepareOutcome,
  ) {}

  /** A reply cache whose answers' records are prepared by `observer` (as GETs). */
  static observed(state: StateCache, observer: RequestObserver): ReplyCache {
    return new ReplyCache(state, (about, status, bytes, reason) =>
      observer.prepare({
        method: "GET",
        route: about.route,
        owner: about.owner,
        status,
        bytesOut: bytes,
        bytesIn: 0,
        user: about.user,
        reason,
      }));
  }

  /**
   * The response to `request` from a cached answer whose credentials are still valid (a 304
   * when the client has it) with what the log needs of it, or `undefined`. The hot path of metadata reads: no parsing, no
   * header building beyond the `Response` itself.
   */
  respond(key: string, request: Request): ReplyHit | undefined {
    const hit = this.state.peek<CachedReply>("reply", key) ??
      this.state.peek<CachedReply>("reply404", key);
    if (!hit || hit.validUntil <= Date.now()) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const { reply } = hit;
    if (reply.policy.kind === "immutable" && notModified(request, reply.policy)) {
      hit.notModifiedOutcome ??= this.prepare(hit.about, 304, 0, "");
      hit.notModified ??= new Response(null, {
        status: 304,
        headers: [...cacheHeaders(reply.policy), ...COMMON_HEADERS],
      });
      return { response: hit.notModified.clone(), outcome: hit.notModifiedOutcome };
    }
    return { response: hit.full.clone(), outcome: hit.fullOutcome };
  }

  /**
   * Keeps an answer made during `epoch` (from {@link StateCache.freshEpoch}) whose
   * credentials stay valid until `validUntil`; large bodies are not kept.
   */
  remember(
    key: string,
    reply: Reply,
    validUntil: number,
    epoch: number,
    about: ReplyAbout = { route: "", owner: "", user: "" },
  ): void {
    const size = typeof reply.body === "string" ? 2 * reply.body.length : reply.body.byteLength;
    if (size > MAX_CACHED_REPLY_BYTES) return;
    const bytes = typeof reply.body === "string"
      ? new TextEncoder().encode(reply.body).byteLength
      : reply.body.byteLength;
    const space = reply.status === 404 ? "reply404" : "reply";
    const reason = reply.status >= 400 && typeof reply.body === "string"
      ? reply.body.trimEnd()
      : "";
    const cached: CachedReply = {
      reply,
      validUntil,
      fullOutcome: this.prepare(about, reply.status, bytes, reason),
      about,
      full: new Response(reply.body, {
        status: reply.status,
        headers: [
          ...cacheHeaders(reply.policy),
          ["content-type", reply.contentType],
          ...COMMON_HEADERS,
        ],
      }),
    };
    // The 304 is made on the first 304, but counted from the start: the budget then bounds
    // what the entry can come to hold.
    const extra = reply.policy.kind === "immutable" ? NOT_MODIFIED_BYTES : 0;
    this.state.put(space, key, cached, epoch, size + REPLY_ENTRY_BYTES + extra);
  }
}
