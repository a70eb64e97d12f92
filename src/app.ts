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
import { BASIC_CHALLENGE, errorBody, errorResponse, HttpError } from "./http/http_error.ts";
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
import { parseEnvSignerKeys } from "./sumdb_log/log_signer.ts";
import { PullThrough, type PullThroughOptions } from "./upstream/pull_through.ts";
import { HttpMetrics } from "./ops/http_metrics.ts";
import { type LogFormat, Logger, type LogLevel } from "./ops/log.ts";
import { renderMetrics } from "./ops/metrics_page.ts";
import { serveMetrics, serveReadyz } from "./ops/ops_routes.ts";
import { READY_DEADLINE_MS, storeProbe } from "./ops/readiness.ts";
import { declaredLength, RequestObserver } from "./ops/request_observer.ts";
import { goproxyKind, type RouteKind } from "./ops/route_kind.ts";
import { readUpstreamBytes, readUsageTotals, type StoreSize } from "./ops/store_size.ts";
import { otelEnabled } from "./ops/trace_span.ts";
import { afterDelay } from "./ops/web_timer.ts";
import {
  ownerWebhook,
  ownerWebhooks,
  webhookDeliveries,
  webhookRedeliver,
} from "./http/webhook_api.ts";
import { WebhookDispatcher } from "./webhooks/dispatcher.ts";
import { type WebhookOptions, webhookSettings } from "./webhooks/webhook_settings.ts";

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
  /** Signer keys of owners' logs kept outside the store, given directly (`MODYARD_SUMDB_SIGNER_KEYS`). */
  sumdbSignerKeys?: string[];
  /** Pull-through settings (upstream list, TTL, budget, limits); absent: disabled. */
  pullThrough?: Omit<PullThroughOptions, "maxZipSize" | "stallMs" | "zipStream">;
  /** `--metrics-token`: a bearer token that may read `/metrics` from anywhere; `""`: none. */
  metricsToken?: string;
  /** `--log-format` of the app's own logger (when no {@link logger} is given). */
  logFormat?: LogFormat;
  /** `--log-level` of the app's own logger; without it (and without a logger): `error`. */
  logLevel?: LogLevel;
  /** A logger to write to (not closed by the app); else the app makes its own on stdout. */
  logger?: Logger;
  /** Milliseconds `/readyz` waits for the store (default 2,000). */
  readyDeadlineMs?: number;
  /** The read `/readyz` makes (tests inject a hanging one); default: one small key. */
  readyProbe?: () => Promise<unknown>;
  /** Webhook delivery settings (defaults: 8 attempts, 30 s first backoff, 10 s timeout, no private targets). */
  webhooks?: WebhookOptions;
}

/** Milliseconds from creation to the start of the webhook loop and the sweeper. */
const BACKGROUND_START_DELAY_MS = 250;

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
    // A secret: from the environment only, never a flag (flags show up in process lists).
    sumdbSignerKeys: parseEnvSignerKeys(Deno.env.get("MODYARD_SUMDB_SIGNER_KEYS")),
    pullThrough: {
      upstream: config.upstream,
      ttlSeconds: config.upstreamTtlSeconds,
      maxCacheBytes: config.upstreamCacheMaxBytes,
      sumdbUpstream: config.sumdbUpstream,
      upstreamNoSumdb: config.upstreamNoSumdb,
      logAppends: { perWindow: config.sumdbUpstreamAppends },
    },
    metricsToken: config.metricsToken,
    logFormat: config.logFormat,
    logLevel: config.logLevel,
    webhooks: {
      attempts: config.webhookAttempts,
      backoffMs: config.webhookBackoffMs,
      timeoutMs: config.webhookTimeoutSeconds * 1000,
      allowPrivate: config.webhookAllowPrivate,
      // A secret: from the environment only, never a flag.
      key: Deno.env.get("MODYARD_WEBHOOK_KEY") || undefined,
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
   * Reclaims the chunks of abandoned uploads and of deleted versions past their grace, once
   * (the timer does it every `sweepIntervalMs`; `Deno.cron` on Deno Deploy); resolves to the
   * number of blobs reclaimed. Never throws (a failure is logged).
   */
  sweep(): Promise<number>;
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
  /** The route kind of metrics and logs, from the path after the pattern's `*`. */
  kind: RouteKind | ((rest: string) => RouteKind);
  /** Whether the handler checks credentials itself (the app does not first). */
  ownAuth?: boolean;
  /** Whether the handler parses its own raw path (params are not percent-decoded first). */
  rawPath?: boolean;
}

const routes: Route[] = [
  {
    methods: ["GET", "POST"],
    match: compilePattern("/api/v1/admin/users"),
    kind: "admin",
    handler: (ctx) => adminUsers(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/admin/users/:name"),
    kind: "admin",
    handler: (ctx) => adminDeleteUser(ctx),
  },
  {
    methods: ["POST"],
    match: compilePattern("/api/v1/admin/orgs"),
    kind: "admin",
    handler: (ctx) => adminCreateOrg(ctx),
  },
  {
    methods: ["PUT", "DELETE"],
    match: compilePattern("/api/v1/admin/orgs/:org/members/:user"),
    kind: "admin",
    handler: (ctx) => adminMember(ctx),
  },
  {
    methods: ["PATCH"],
    match: compilePattern("/api/v1/admin/owners/:owner"),
    kind: "admin",
    handler: (ctx) => adminOwner(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/admin/cache"),
    kind: "admin",
    handler: (ctx) => adminCacheList(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/admin/cache/*"),
    kind: "admin",
    handler: (ctx, rest) => adminCacheEvict(ctx, rest),
  },
  {
    methods: ["GET", "POST"],
    match: compilePattern("/api/v1/user/tokens"),
    kind: "tokens",
    handler: (ctx) => userTokens(ctx),
  },
  {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/user/tokens/:id"),
    kind: "tokens",
    handler: (ctx) => userRevokeToken(ctx),
  },
  {
    methods: ["PUT"],
    match: compilePattern("/api/v1/admin/owners/:owner/sumdb"),
    kind: "admin",
    handler: (ctx) => adminEnableLog(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/packages/:owner/sumdb"),
    kind: "packages_api",
    handler: (ctx) => ownerLogSettings(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/packages/:owner"),
    kind: "packages_api",
    handler: (ctx) => listOwnerPackages(ctx),
  },
  {
    methods: ["GET", "HEAD", "DELETE"],
    match: compilePattern("/api/v1/packages/:owner/go/*"),
    kind: "packages_api",
    handler: (ctx, rest) => modulePackage(ctx, rest),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/admin/audit"),
    kind: "admin",
    handler: (ctx) => auditLog(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/healthz"),
    kind: "healthz",
    handler: () =>
      Promise.resolve(
        new Response("ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } }),
      ),
  },
  {
    methods: ["PUT"],
    match: compilePattern("/api/packages/:owner/go/upload"),
    kind: "upload",
    handler: (ctx) => uploadModule(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/packages/:owner/go/sumdb/*"),
    kind: "sumdb",
    handler: (ctx, rest) => serveSumdb(ctx, rest),
  },
  {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/packages/:owner/go/*"),
    kind: goproxyKind,
    handler: (ctx, rest) => serveProxyRequest(ctx, rest),
  },
];

/** Builds the app over an open store. */
export function createApp(kv: Deno.Kv, options: AppOptions): App {
  const cache = new StateCache(kv, REPLY_SPACE_BUDGETS);
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
    logs: new ChecksumLogs(kv, {
      keyDir: options.sumdbKeyDir || undefined,
      envKeys: options.sumdbSignerKeys,
    }),
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
  const logger = options.logger ??
    new Logger({ format: options.logFormat ?? "text", level: options.logLevel ?? "error" });
  const observer = new RequestObserver(new HttpMetrics(), logger, otelEnabled());
  // Each cached answer's log line and metrics record are prepared once, when it is kept.
  const replies = ReplyCache.observed(cache, observer);
  const webhooks = webhookSettings(options.webhooks);
  const dispatcher = new WebhookDispatcher(kv, webhooks, logger);
  const reclaimed = { uploads: 0, chunks: 0, bytes: 0 };
  /** One sweep of abandoned uploads and deleted versions' chunks; resolves to blobs reclaimed. */
  const sweep = async (): Promise<number> => {
    try {
      const swept = await sweepAbandonedUploads(kv);
      for (const s of swept) {
        reclaimed.uploads++;
        reclaimed.chunks += s.chunks;
        reclaimed.bytes += s.bytes;
        logger.event("info", "reclaimed blob", {
          blob: s.blobId,
          owner: s.owner,
          chunks: s.chunks,
          bytes: s.bytes,
        });
      }
      return swept.length;
    } catch (err) {
      logger.event("error", "sweep failed", { error: String(err) });
      return 0;
    } finally {
      // Where a scheduler runs the sweep (Deno.cron on Deploy), webhooks are delivered too.
      await dispatcher.drain().catch((err) => {
        logger.event("error", "webhook delivery failed", { error: String(err) });
      });
    }
  };
  let sweeper: ReturnType<typeof setInterval> | undefined;
  // The background loops start once the server is up: the first setInterval loads Node's
  // timers, 15-35 ms that would otherwise delay the first answer (see ops/web_timer.ts).
  const cancelStart = afterDelay(BACKGROUND_START_DELAY_MS, () => {
    dispatcher.start();
    if (options.sweepIntervalMs > 0) {
      sweeper = setInterval(sweep, options.sweepIntervalMs);
      Deno.unrefTimer(sweeper as unknown as number);
    }
  });

  /** The text of a scrape; store totals from the counters, cached until the store changes. */
  async function scrape(): Promise<string> {
    let store: StoreSize | null = null;
    try {
      const totals = await cache.get("store_size", "", () => readUsageTotals(kv));
      store = { ...totals, upstreamBytes: await readUpstreamBytes(kv) };
    } catch {
      store = null;
    }
    const zips = services.modules.zips;
    return renderMetrics({
      http: observer.metrics,
      caches: [
        { cache: "reply", hits: replies.hits, misses: replies.misses },
        { cache: "zip", hits: zips.hits, misses: zips.misses },
        { cache: "state", hits: cache.hits, misses: cache.misses },
      ],
      zipCache: { used: zips.used, budget: zips.budget, bypassed: zips.bypassed },
      reclaimed,
      store,
      logDropped: logger.dropped,
    });
  }

  const readyProbe = options.readyProbe ?? storeProbe(kv);
  const appRoutes: Route[] = [...routes, {
    methods: ["GET", "HEAD"],
    match: compilePattern("/readyz"),
    kind: "readyz",
    handler: () => serveReadyz(readyProbe, options.readyDeadlineMs ?? READY_DEADLINE_MS),
  }, {
    methods: ["GET", "HEAD"],
    match: compilePattern("/metrics"),
    kind: "metrics",
    ownAuth: true,
    handler: (ctx) =>
      serveMetrics(ctx.request, {
        peer: ctx.peer,
        token: options.metricsToken ?? "",
        principal: () => principalFor(ctx.request, ctx.client),
      }, scrape),
  }, {
    methods: ["GET", "HEAD", "POST"],
    match: compilePattern("/api/v1/owners/:owner/webhooks"),
    kind: "webhooks",
    handler: (ctx) => ownerWebhooks(ctx, webhooks),
  }, {
    methods: ["DELETE"],
    match: compilePattern("/api/v1/owners/:owner/webhooks/:id"),
    kind: "webhooks",
    handler: (ctx) => ownerWebhook(ctx),
  }, {
    methods: ["GET", "HEAD"],
    match: compilePattern("/api/v1/owners/:owner/webhooks/:id/deliveries"),
    kind: "webhooks",
    handler: (ctx) => webhookDeliveries(ctx),
  }, {
    methods: ["POST"],
    match: compilePattern("/api/v1/owners/:owner/webhooks/:id/deliveries/:delivery/redeliver"),
    kind: "webhooks",
    handler: (ctx) => webhookRedeliver(ctx, webhooks),
  }, {
    // The web UI: every path outside /api/ the routes above leave, loaded on first use so
    // that its templates and Markdown libraries cost nothing at start-up. It authenticates
    // with its own session cookie; the Authorization header is not read there.
    methods: ["GET", "HEAD", "POST"],
    match: (path) => path.startsWith("/api/") ? null : { "0": path.slice(1) },
    kind: "ui",
    ownAuth: true,
    // A malformed escape is the UI's own 404 page, not the API's text/plain one.
    rawPath: true,
    handler: async (ctx) => {
      const { serveUi } = await import("./web/ui.ts");
      return await serveUi(ctx, { passwordGate, logger });
    },
  }];

  /**
   * The gate of one password check by `client` at `user`: counted before the slow check
   * runs; a 429 while this client, this name, or this client at any name is over its limits.
   */
  function passwordGate(client: string, user: string): SlowCheckGate<Attempt> {
    return {
      admit() {
        const counted = throttle.begin(client, user);
        if ("retryAfter" in counted) {
          throw new HttpError(429, "too many failed authentication attempts; try again later", {
            "retry-after": String(counted.retryAfter),
          });
        }
        return counted;
      },
      succeeded: (attempt) => throttle.succeeded(attempt),
      cancelled: (attempt) => throttle.cancelled(attempt),
    };
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
      logger.event("warn", "MODYARD_ADMIN_TOKEN presented, but an admin exists: ignored");
      throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
    }
    // Passwords can be guessed; 160-bit tokens cannot, so a valid token is never held up
    // by failures someone else caused from the same address or at the same name. A password
    // attempt is counted when its slow check is about to run, before it runs.
    const gate = credentials.kind === "basic" ? passwordGate(client, credentials.user) : undefined;
    const principal = await services.auth.authenticate(credentials, gate);
    if (!principal) throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
    return principal;
  }

  async function handle(
    request: Request,
    url: URL,
    peer: string,
    client: string,
    ctxOut: RequestState,
  ): Promise<Response> {
    for (const route of appRoutes) {
      const groups = route.match(url.pathname);
      if (!groups) continue;
      ctxOut.route = typeof route.kind === "string" ? route.kind : route.kind(groups["0"] ?? "");
      ctxOut.owner = groups.owner ?? "";
      if (!route.methods.includes(request.method)) {
        throw new HttpError(405, `method ${request.method} not allowed here`, {
          allow: route.methods.join(", "),
        });
      }
      const principal = route.ownAuth ? null : await principalFor(request, client);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(groups)) params[k] = route.rawPath ? v : decode(v);
      const ctx = new RequestContext(request, url, services, principal, params, client);
      ctx.peer = peer;
      ctxOut.ctx = ctx;
      ctxOut.owner = params.owner ?? "";
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
    out: RequestState,
  ): Promise<Response> {
    const epoch = cache.freshEpoch();
    const remember = (reply: Reply) => {
      if (cacheKey === null || !out.ctx?.cacheable) return;
      replies.remember(cacheKey, reply, out.ctx.principal?.validUntil ?? Infinity, epoch, {
        route: out.route,
        owner: out.owner,
        user: out.ctx.principal?.user.name ?? "",
      });
    };
    /** The refusal of `err`, its body counted for the log and metrics. */
    const refuse = (err: HttpError, asJson = false) => {
      out.bytes = utf8.encode(errorBody(err, asJson)).byteLength;
      return errorResponse(err, asJson);
    };
    try {
      const peer = (info?.remoteAddr as Deno.NetAddr | undefined)?.hostname ?? "unknown";
      const client = clientAddress(peer, request.headers.get("x-forwarded-for"), trusted);
      const response = await handle(request, new URL(request.url), peer, client, out);
      if (out.ctx?.reply) {
        remember(out.ctx.reply);
        const body = out.ctx.reply.body;
        out.bytes = typeof body === "string" ? utf8.encode(body).byteLength : body.byteLength;
      }
      return response;
    } catch (err) {
      out.reason = err instanceof Error ? err.message : String(err);
      if (err instanceof HttpError) {
        if (err.status === 404) {
          remember({
            status: 404,
            body: err.message + "\n",
            contentType: TEXT_PLAIN,
            policy: { kind: "none" },
          });
        }
        return refuse(err, request.url.includes("/api/v1/"));
      }
      if (err instanceof BusyError) {
        return refuse(new HttpError(503, err.message, { "retry-after": "1" }));
      }
      logger.event("error", "internal error", {
        error: (err as Error)?.stack ?? String(err),
      });
      out.reason = "internal error";
      return refuse(new HttpError(500, "internal error"));
    }
  }

  return {
    kv,
    sweep,
    fetch(request: Request, info?: Deno.ServeHandlerInfo): Response | Promise<Response> {
      const startedMs = performance.now();
      const cacheKey = replyCacheKey(request);
      if (cacheKey !== null) {
        const hit = replies.respond(cacheKey, request);
        if (hit) {
          observer.observePrepared(hit.outcome, startedMs);
          return hit.response;
        }
      }
      const out: RequestState = { route: "not_found", owner: "", reason: "" };
      return answer(request, info, cacheKey, out).then((response) => {
        for (const [name, value] of COMMON_HEADERS) response.headers.set(name, value);
        observer.observe({
          method: request.method,
          route: out.route,
          owner: out.owner,
          status: response.status,
          startedMs,
          bytesOut: out.bytes ?? declaredLength(response.headers),
          bytesIn: declaredLength(request.headers),
          user: out.ctx?.principal?.user.name ?? "",
          reason: response.status >= 400 ? out.reason : "",
        });
        return response;
      });
    },
    async close() {
      cache.close();
      cancelStart();
      if (sweeper !== undefined) clearInterval(sweeper);
      await dispatcher.close();
      try {
        await services.modules.close();
      } catch (err) {
        // Also when close() was not awaited and the store closed under the flush.
        logger.event("error", "download counts could not be written", {
          error: (err as Error).message,
        });
      }
      await logger.flush();
    },
  };
}

/** What one request in flight has learnt so far, for the reply cache, metrics and logs. */
interface RequestState {
  /** The request's context once a route matched and the principal is known. */
  ctx?: RequestContext;
  /** Route kind (`not_found` until a route matches). */
  route: RouteKind;
  /** Owner named by the path, or `""`. */
  owner: string;
  /** The plain-text reason of a refusal. */
  reason: string;
  /** Body bytes of an in-memory answer (streamed ones declare a `Content-Length`). */
  bytes?: number;
}

const utf8 = new TextEncoder();

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
