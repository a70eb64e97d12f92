/**
 * The HTTP app: a plain `fetch` handler over the store, usable by `Deno.serve`,
 * `deno serve` and Deno Deploy alike.
 *
 * @module
 */

import type { Config } from "./config.ts";
import { parseAuthorization } from "./http/credentials.ts";
import { RequestContext, type Services } from "./http/context.ts";
import { serveProxyRequest } from "./http/goproxy_routes.ts";
import { BASIC_CHALLENGE, errorResponse, HttpError } from "./http/http_error.ts";
import type { Reply } from "./http/responses.ts";
import { compilePattern, type PathMatcher } from "./http/router.ts";
import { uploadModule } from "./http/upload_route.ts";
import { adminEnableLog, ownerLogSettings } from "./http/sumdb_api.ts";
import { serveSumdb } from "./http/sumdb_routes.ts";
import { auditLog, listOwnerPackages, modulePackage } from "./http/packages_api.ts";
import {
  adminCacheEvict,
  adminCacheList,
  adminCreateOrg,
  adminDeleteUser,
  adminMember,
  adminOwner,
  adminUsers,
  BOOTSTRAP_NAME,
  userRevokeToken,
  userTokens,
} from "./http/admin_api.ts";
import {
  Authenticator,
  BusyError,
  type Credentials,
  type Principal,
  type SlowCheckGate,
} from "./registry/authenticate.ts";
import { constantTimeEqual } from "./registry/secrets.ts";
import { ModuleReader } from "./registry/modules.ts";
import { StateCache } from "./registry/state_cache.ts";
import { DEFAULT_ZIP_CACHE_SIZE } from "./registry/zip_cache.ts";
import {
  type Attempt,
  clientAddress,
  PasswordThrottle,
  type ThrottleLimits,
} from "./registry/throttle.ts";
import {
  COMMON_HEADERS,
  REPLY_SPACE_BUDGETS,
  ReplyCache,
  replyCacheKey,
} from "./http/reply_cache.ts";
import { sweepAbandonedUploads } from "./store/blob_store.ts";
import type { VersionRecord } from "./store/records.ts";
import { ChecksumLogs } from "./sumdb_log/checksum_logs.ts";
import { PullThrough, type PullThroughOptions } from "./upstream/pull_through.ts";

/** Options of the app (the subset of the configuration the handler needs). */
export interface AppOptions {
  /** Largest accepted zip in bytes. */
  maxZipSize: number;
  /** Seconds an upload may make no progress before it is reclaimed. */
  uploadStallSeconds: number;
  /** Milliseconds between sweeps of abandoned uploads (0: no sweeping). */
  sweepIntervalMs: number;
  /** Default storage quota per owner in bytes; 0 for none. */
  quota?: number;
  /** Seconds a deleted version's chunks remain (default 600). */
  deleteGraceSeconds?: number;
  /** Peer addresses allowed to set `X-Forwarded-For`. */
  trustedProxies?: string[];
  /** Failed password attempts per minute before 429 (defaults: 10 per client and user, 30 per client, 30 per user). */
  authLimits?: ThrottleLimits;
  /** `MODYARD_ADMIN_TOKEN`: may create the first admin while none exists. Never stored. */
  bootstrapToken?: string;
  /** Public base URL for links (`--base-url`); `""` to use each request's origin. */
  baseUrl?: string;
  /** Bytes of hot zips kept in memory (default 256 MiB; 0: none). */
  zipCacheSize?: number;
  /** Directory of the owners' checksum-log signer keys (`--sumdb-key-dir`); absent: the store. */
  sumdbKeyDir?: string;
  /** Pull-through settings (upstream list, TTL, budget, limits); absent: disabled. */
  pullThrough?: Omit<PullThroughOptions, "maxZipSize" | "stallMs" | "zipStream">;
}

/** Default interval of the background sweep of abandoned uploads and deleted versions. */
const SWEEP_INTERVAL_MS = 30_000;

/** The app options of a configuration (the bootstrap token comes from the environment only). */
export function appOptionsFrom(config: Config): AppOptions {
  return {
    maxZipSize: config.maxZipSize,
    uploadStallSeconds: config.uploadStallSeconds,
    quota: config.quota,
    deleteGraceSeconds: config.deleteGraceSeconds,
    bootstrapToken: Deno.env.get("MODYARD_ADMIN_TOKEN") || undefined,
    trustedProxies: config.trustedProxy.split(",").map((a) => a.trim()).filter((a) => a),
    sweepIntervalMs: Math.min(SWEEP_INTERVAL_MS, config.uploadStallSeconds * 1000),
    baseUrl: config.baseUrl,
    zipCacheSize: config.zipCacheSize,
    sumdbKeyDir: config.sumdbKeyDir,
    pullThrough: {
      upstream: config.upstream,
      ttlSeconds: config.upstreamTtlSeconds,
      maxCacheBytes: config.upstreamCacheMaxBytes,
      sumdbUpstream: config.sumdbUpstream,
      upstreamNoSumdb: config.upstreamNoSumdb,
    },
  };
}

/** A running app: its handler and the means to stop its background work. */
export interface App {
  /** The request handler; `info` (from `Deno.serve`) gives the client address. */
  fetch(request: Request, info?: Deno.ServeHandlerInfo): Response | Promise<Response>;
  /** The store the app serves from. */
  kv: Deno.Kv;
  /**
   * Stops background work (cache polling, sweeping) and writes the batched download counts;
   * await it before closing the store. Does not close the store.
   */
  close(): Promise<void>;
}

const TEXT_PLAIN = "text/plain; charset=utf-8";

type Handler = (ctx: RequestContext, rest: string) => Promise<Response>;

interface Route {
  methods: string[];
  match: PathMatcher;
  handler: Handler;
}

const routes: Route[] = [
  {
    methods: ["GET", "POST"],
    match: compilePattern("/api/v1/admin/users"),
    handler: (ctx) => adminUsers(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/admin/users/:name"),
    handler: (ctx) => adminDeleteUser(ctx),
  },
  {
    methods: ["POST"],
    match: compilePattern("/api/v1/admin/orgs"),
    handler: (ctx) => adminCreateOrg(ctx),
  },
  {
    methods: ["PUT", "DELETE"],
    match: compilePattern("/api/v1/admin/orgs/:org/members/:user"),
    handler: (ctx) => adminMember(ctx),
  },
  {
    methods: ["PATCH"],
    match: compilePattern("/api/v1/admin/owners/:owner"),
    handler: (ctx) => adminOwner(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/admin/cache"),
    handler: (ctx) => adminCacheList(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/admin/cache/*"),
    handler: (ctx, rest) => adminCacheEvict(ctx, rest),
  },
  {
    methods: ["GET", "POST"],
    match: compilePattern("/api/v1/user/tokens"),
    handler: (ctx) => userTokens(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/user/tokens/:id"),
    handler: (ctx) => userRevokeToken(ctx),
  },
  {
    methods: ["PUT"],
    match: compilePattern("/api/v1/admin/owners/:owner/sumdb"),
    handler: (ctx) => adminEnableLog(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/packages/:owner/sumdb"),
    handler: (ctx) => ownerLogSettings(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/packages/:owner"),
    handler: (ctx) => listOwnerPackages(ctx),
  },
  {
    methods: ["GET", "HEAD", "DELETE"],
    match: compilePattern("/api/v1/packages/:owner/go/*"),
    handler: (ctx, rest) => modulePackage(ctx, rest),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/admin/audit"),
    handler: (ctx) => auditLog(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/healthz"),
    handler: () =>
      Promise.resolve(
        new Response("ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } }),
      ),
  },
  {
    methods: ["PUT"],
    match: compilePattern("/api/packages/:owner/go/upload"),
    handler: (ctx) => uploadModule(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/packages/:owner/go/sumdb/*"),
    handler: (ctx, rest) => serveSumdb(ctx, rest),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/packages/:owner/go/*"),
    handler: (ctx, rest) => serveProxyRequest(ctx, rest),
  },
];

/** Builds the app over an open store. */
export function createApp(kv: Deno.Kv, options: AppOptions): App {
  const cache = new StateCache(kv, REPLY_SPACE_BUDGETS);
  const replies = new ReplyCache(cache);
  const services: Services = {
    kv,
    auth: new Authenticator(kv, cache),
    modules: new ModuleReader(kv, cache, {
      zipCacheSize: options.zipCacheSize ?? DEFAULT_ZIP_CACHE_SIZE,
    }),
    limits: {
      maxZipSize: options.maxZipSize,
      stallMs: options.uploadStallSeconds * 1000,
      defaultQuota: options.quota ?? 0,
      deleteGraceMs: (options.deleteGraceSeconds ?? 600) * 1000,
    },
    invalidate: () => cache.invalidate(),
    baseUrl: options.baseUrl ?? "",
    logs: new ChecksumLogs(kv, { keyDir: options.sumdbKeyDir || undefined }),
  };
  if (options.pullThrough) {
    const pullThrough = new PullThrough(kv, cache, {
      ...options.pullThrough,
      maxZipSize: options.maxZipSize,
      stallMs: options.uploadStallSeconds * 1000,
      // ModuleReader.zip reads only these three fields of a version record.
      zipStream: (blob) => services.modules.zip(blob as VersionRecord),
    });
    if (pullThrough.enabled) services.pullThrough = pullThrough;
  }
  const throttle = new PasswordThrottle(options.authLimits);
  const isBootstrap = (c: Credentials) =>
    options.bootstrapToken !== undefined && options.bootstrapToken.length >= 16 &&
    c.kind === "token" && constantTimeEqual(c.token, options.bootstrapToken);
  const trusted = new Set(options.trustedProxies ?? []);
  let sweeper: ReturnType<typeof setInterval> | undefined;
  if (options.sweepIntervalMs > 0) {
    sweeper = setInterval(() => {
      sweepAbandonedUploads(kv).then((swept) => {
        for (const s of swept) {
          console.log(
            `swept abandoned upload ${s.blobId} of ${s.owner}: ${s.chunks} chunks, ${s.bytes} bytes`,
          );
        }
      }).catch((err) => console.error("sweep failed:", err));
    }, options.sweepIntervalMs);
    Deno.unrefTimer(sweeper as unknown as number);
  }

  /**
   * Who the request comes from: `null` without credentials; a 401 for wrong ones; a 429
   * while password attempts from this client, at this user name, or from this client at
   * any name exceed their limits. Attempts are counted before the slow check.
   */
  async function principalFor(request: Request, client: string): Promise<Principal | null> {
    const credentials = parseAuthorization(request.headers.get("authorization"));
    if (!credentials) return null;
    if (isBootstrap(credentials)) {
      if (!(await services.auth.adminEverCreated())) return bootstrapPrincipal();
      console.warn("MODYARD_ADMIN_TOKEN presented, but an admin exists: ignored");
      throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
    }
    // Passwords can be guessed; 160-bit tokens cannot, so a valid token is never held up
    // by failures someone else caused from the same address or at the same name. A password
    // attempt is counted when its slow check is about to run, before it runs.
    const gate: SlowCheckGate<Attempt> | undefined = credentials.kind === "basic"
      ? {
        admit() {
          const counted = throttle.begin(client, credentials.user);
          if ("retryAfter" in counted) {
            throw new HttpError(429, "too many failed authentication attempts; try again later", {
              "retry-after": String(counted.retryAfter),
            });
          }
          return counted;
        },
        succeeded: (attempt) => throttle.succeeded(attempt),
        cancelled: (attempt) => throttle.cancelled(attempt),
      }
      : undefined;
    const principal = await services.auth.authenticate(credentials, gate);
    if (!principal) throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
    return principal;
  }

  async function handle(
    request: Request,
    url: URL,
    client: string,
    ctxOut: { ctx?: RequestContext },
  ): Promise<Response> {
    for (const route of routes) {
      const groups = route.match(url.pathname);
      if (!groups) continue;
      if (!route.methods.includes(request.method)) {
        throw new HttpError(405, `method ${request.method} not allowed here`, {
          allow: route.methods.join(", "),
        });
      }
      const principal = await principalFor(request, client);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(groups)) params[k] = decode(v);
      const ctx = new RequestContext(request, url, services, principal, params, client);
      ctxOut.ctx = ctx;
      return await route.handler(ctx, params["0"] ?? "");
    }
    throw new HttpError(404, "not found");
  }

  /**
   * Answers a request that the reply cache could not. Small metadata answers are cached per
   * (path, credentials digest) until the store changes; the credentials were checked when
   * the answer was made, and stay valid until the cached validUntil.
   */
  async function answer(
    request: Request,
    info: Deno.ServeHandlerInfo | undefined,
    cacheKey: string | null,
  ): Promise<Response> {
    const epoch = cache.freshEpoch();
    const out: { ctx?: RequestContext } = {};
    const remember = (reply: Reply) => {
      if (cacheKey === null || !out.ctx?.cacheable) return;
      replies.remember(cacheKey, reply, out.ctx.principal?.validUntil ?? Infinity, epoch);
    };
    try {
      const peer = (info?.remoteAddr as Deno.NetAddr | undefined)?.hostname ?? "unknown";
      const client = clientAddress(peer, request.headers.get("x-forwarded-for"), trusted);
      const response = await handle(request, new URL(request.url), client, out);
      if (out.ctx?.reply) remember(out.ctx.reply);
      return response;
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 404) {
          remember({
            status: 404,
            body: err.message + "\n",
            contentType: TEXT_PLAIN,
            policy: { kind: "none" },
          });
        }
        return errorResponse(err, request.url.includes("/api/v1/"));
      }
      if (err instanceof BusyError) {
        return errorResponse(new HttpError(503, err.message, { "retry-after": "1" }));
      }
      console.error("internal error:", err);
      return errorResponse(new HttpError(500, "internal error"));
    }
  }

  return {
    kv,
    fetch(request: Request, info?: Deno.ServeHandlerInfo): Response | Promise<Response> {
      const cacheKey = replyCacheKey(request);
      const hit = cacheKey === null ? undefined : replies.respond(cacheKey, request);
      return hit ?? answer(request, info, cacheKey).then((response) => {
        for (const [name, value] of COMMON_HEADERS) response.headers.set(name, value);
        return response;
      });
    },
    async close() {
      cache.close();
      if (sweeper !== undefined) clearInterval(sweeper);
      try {
        await services.modules.close();
      } catch (err) {
        // Also when close() was not awaited and the store closed under the flush.
        console.error(`download counts could not be written: ${(err as Error).message}`);
      }
    },
  };
}

/** The principal of the bootstrap token: no user of its own, only the first-admin route. */
function bootstrapPrincipal(): Principal {
  return {
    user: { name: BOOTSTRAP_NAME, admin: false, visibility: "public", createdAt: "" },
    scope: "write",
    validUntil: 0,
    via: "bootstrap",
  };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(404, `invalid percent-encoding in ${JSON.stringify(s)}`);
  }
}
