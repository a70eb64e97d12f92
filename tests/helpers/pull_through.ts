/**
 * Pull-through test fixtures: an upstream (a second in-process modyard serving an owner)
 * behind a counting proxy that records every request per path, can go down, and can serve
 * arbitrary bytes for one path; and a downstream modyard with pull-through configured.
 *
 * @module
 */

import type { App } from "../../src/app.ts";
import { createToken, createUser } from "../../src/registry/accounts.ts";
import type { UpstreamLimits } from "../../src/upstream/upstream_client.ts";
import type { FillLeaseTiming } from "../../src/upstream/fill_lease.ts";
import type { FirstFetchLimits } from "../../src/upstream/first_fetch_limit.ts";
import { setPrivatePaths, setPullThrough } from "../../src/upstream/owner_settings.ts";
import { basic, startTestServer, type TestServer } from "./server.ts";
import { moduleZip } from "./zip.ts";

/** A counting proxy in front of an upstream modyard. */
export interface CountingUpstream {
  /** The upstream modyard. */
  server: TestServer;
  /** GOPROXY URL of the upstream owner, through the counting proxy. */
  goproxy: string;
  /** Requests seen per GOPROXY path (after the owner's `/go/`, still escaped). */
  counts: Map<string, number>;
  /** Whether any forwarded request carried an Authorization header. */
  sawAuthorization: boolean;
  /** While `true`, every request answers 503 (an outage). */
  down: boolean;
  /** Bytes served (200) for a path instead of the upstream's answer. */
  overrides: Map<string, Uint8Array>;
  /**
   * A checksum database the upstream offers as a proxy does: `sumdb/<name>/<path>` is
   * forwarded to `<url>/<path>` (counted like every other path). Unset: those are 404.
   */
  sumdb: { name: string; url: string } | undefined;
  /** Requests seen for paths starting with `prefix` (all when omitted). */
  total(prefix?: string): number;
  /** Publishes a module version to the upstream owner. */
  publish(module: string, version: string, files?: Record<string, string>): Promise<Uint8Array>;
  /** Publishes a ready module zip to the upstream owner. */
  publishZip(zip: Uint8Array): Promise<void>;
  /** Stops the proxy (connections refused from then on) and the upstream. */
  close(): Promise<void>;
}

/** The owner the upstream modyard serves. */
export const UPSTREAM_OWNER = "up";

/** Starts an upstream modyard behind a counting proxy. */
export async function startCountingUpstream(): Promise<CountingUpstream> {
  const server = await startTestServer();
  const auth = await server.user(UPSTREAM_OWNER);
  const prefix = `/api/packages/${UPSTREAM_OWNER}/go/`;
  const counts = new Map<string, number>();
  const overrides = new Map<string, Uint8Array>();
  const state = { down: false, sawAuthorization: false };
  const proxy = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (req.headers.has("authorization")) state.sawAuthorization = true;
    if (state.down) return new Response("upstream is down\n", { status: 503 });
    const override = overrides.get(path);
    if (override) return new Response(override as Uint8Array<ArrayBuffer>);
    const db = up.sumdb;
    if (db && path.startsWith(`sumdb/${db.name}/`)) {
      const res = await fetch(`${db.url}/${path.slice(`sumdb/${db.name}/`.length)}`);
      return new Response(res.body, { status: res.status, headers: res.headers });
    }
    const res = await fetch(`${server.url}${url.pathname}`);
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  let closed = false;
  const up: CountingUpstream = {
    server,
    goproxy: `http://127.0.0.1:${proxy.addr.port}${prefix.slice(0, -1)}`,
    counts,
    get sawAuthorization() {
      return state.sawAuthorization;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    overrides,
    sumdb: undefined,
    total(p = "") {
      let n = 0;
      for (const [k, v] of counts) if (k.startsWith(p)) n += v;
      return n;
    },
    async publish(module, version, files) {
      const zip = await moduleZip(
        module,
        version,
        files ?? { "go.mod": `module ${module}\n`, "a.go": "package a\n" },
      );
      await up.publishZip(zip);
      return zip;
    },
    async publishZip(zip) {
      const res = await server.upload(UPSTREAM_OWNER, zip, auth);
      if (res.status !== 201) {
        throw new Error(`upstream publish: ${res.status} ${await res.text()}`);
      }
      await res.body?.cancel();
    },
    async close() {
      if (closed) return;
      closed = true;
      await proxy.shutdown();
      await server.close();
    },
  };
  return up;
}

/** A downstream modyard with pull-through configured. */
export interface PullThroughServer {
  /** Base URL. */
  url: string;
  /** The store. */
  kv: Deno.Kv;
  /** The app. */
  app: App;
  /** GOPROXY URL of an owner. */
  proxy(owner: string): string;
  /**
   * Creates an owner with a write token (Basic header value returned), pull-through on
   * unless `pullThrough: false`, and optional private paths.
   */
  owner(
    name: string,
    options?: { pullThrough?: boolean; privatePaths?: string; private?: boolean },
  ): Promise<string>;
  /** Publishes a module version to an owner. */
  publish(owner: string, auth: string, module: string, version: string): Promise<void>;
  /** Stops the server; closes the store unless it was given. */
  close(): Promise<void>;
}

/** Options of a downstream server. */
export interface PullThroughServerOptions {
  /** Upstream list. */
  upstream: string;
  /** TTL of list/@latest in seconds (default 60). */
  ttlSeconds?: number;
  /** Cache budget (default 1 GiB). */
  maxCacheBytes?: number;
  /** Upstream limits. */
  limits?: Partial<UpstreamLimits>;
  /** Cross-process lease timing. */
  lease?: Partial<FillLeaseTiming>;
  /** A store shared with another server (not closed by `close`). */
  kv?: Deno.Kv;
  /** First-fetch limits per client. */
  firstFetches?: Partial<FirstFetchLimits>;
  /** Peers whose X-Forwarded-For is believed. */
  trustedProxies?: string[];
  /**
   * The checksum database fills are verified against (GOSUMDB syntax). Default `off`: the
   * counting upstream offers no database, and the tests of the cache itself need none.
   */
  sumdbUpstream?: string;
  /** Paths filled without verification (GONOSUMDB syntax). */
  upstreamNoSumdb?: string;
}

/** Starts a downstream modyard whose owners may use pull-through. */
export async function startPullThroughServer(
  options: PullThroughServerOptions,
): Promise<PullThroughServer> {
  const server = await startTestServer({
    store: options.kv,
    pullThrough: {
      upstream: options.upstream,
      ttlSeconds: options.ttlSeconds ?? 60,
      maxCacheBytes: options.maxCacheBytes ?? 1024 * 1024 * 1024,
      limits: options.limits,
      lease: options.lease,
      firstFetches: options.firstFetches,
      sumdbUpstream: options.sumdbUpstream ?? "off",
      upstreamNoSumdb: options.upstreamNoSumdb,
    },
    trustedProxies: options.trustedProxies,
  });
  const { url, kv } = server;
  return {
    url,
    kv,
    app: server.app,
    proxy: server.proxy,
    async owner(name, opts = {}) {
      await createUser(kv, name, { visibility: opts.private ? "private" : "public" });
      if (opts.pullThrough !== false) await setPullThrough(kv, name, true);
      if (opts.privatePaths) await setPrivatePaths(kv, name, opts.privatePaths);
      const { token } = await createToken(kv, name, { scope: "write" });
      return basic(name, token);
    },
    async publish(owner, auth, module, version) {
      const zip = await moduleZip(module, version, {
        "go.mod": `module ${module}\n`,
        "hosted.go": "package lib\n",
      });
      const res = await fetch(`${url}/api/packages/${owner}/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      if (res.status !== 201) throw new Error(`publish: ${res.status} ${await res.text()}`);
      await res.body?.cancel();
    },
    close: server.close,
  };
}

/** GET a URL: status, body bytes, headers. */
export async function fetchBytes(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; bytes: Uint8Array; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes, text: new TextDecoder().decode(bytes), headers: res.headers };
}
