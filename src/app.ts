/**
 * The HTTP app: a plain `fetch` handler over the store, usable by `Deno.serve`,
 * `deno serve` and Deno Deploy alike.
 *
 * @module
 */

import { parseAuthorization } from "./http/credentials.ts";
import { RequestContext, type Services } from "./http/context.ts";
import { serveProxyRequest } from "./http/goproxy_routes.ts";
import { BASIC_CHALLENGE, errorResponse, HttpError } from "./http/http_error.ts";
import { uploadModule } from "./http/upload_route.ts";
import { Authenticator, BusyError } from "./registry/authenticate.ts";
import { ModuleReader } from "./registry/modules.ts";
import { StateCache } from "./registry/state_cache.ts";
import { sweepAbandonedUploads } from "./store/blob_store.ts";

/** Options of the app (the subset of the configuration the handler needs). */
export interface AppOptions {
  /** Largest accepted zip in bytes. */
  maxZipSize: number;
  /** Seconds an upload may make no progress before it is reclaimed. */
  uploadStallSeconds: number;
  /** Milliseconds between sweeps of abandoned uploads (0: no sweeping). */
  sweepIntervalMs: number;
}

/** A running app: its handler and the means to stop its background work. */
export interface App {
  /** The request handler. */
  fetch(request: Request): Promise<Response>;
  /** The store the app serves from. */
  kv: Deno.Kv;
  /** Stops background work (cache polling, sweeping). Does not close the store. */
  close(): void;
}

type Handler = (ctx: RequestContext, rest: string) => Promise<Response>;

interface Route {
  methods: string[];
  pattern: URLPattern;
  handler: Handler;
}

const routes: Route[] = [
  {
    methods: ["GET", "HEAD"],
    pattern: new URLPattern({ pathname: "/healthz" }),
    handler: () =>
      Promise.resolve(
        new Response("ok\n", { headers: { "content-type": "text/plain; charset=utf-8" } }),
      ),
  },
  {
    methods: ["PUT"],
    pattern: new URLPattern({ pathname: "/api/packages/:owner/go/upload" }),
    handler: (ctx) => uploadModule(ctx),
  },
  {
    methods: ["GET", "HEAD"],
    pattern: new URLPattern({ pathname: "/api/packages/:owner/go/sumdb/*" }),
    handler: () => {
      throw new HttpError(404, "modyard does not proxy checksum databases");
    },
  },
  {
    methods: ["GET", "HEAD"],
    pattern: new URLPattern({ pathname: "/api/packages/:owner/go/*" }),
    handler: (ctx, rest) => serveProxyRequest(ctx, rest),
  },
];

/** Builds the app over an open store. */
export function createApp(kv: Deno.Kv, options: AppOptions): App {
  const cache = new StateCache(kv);
  const services: Services = {
    kv,
    auth: new Authenticator(kv, cache),
    modules: new ModuleReader(kv, cache),
    limits: { maxZipSize: options.maxZipSize, stallMs: options.uploadStallSeconds * 1000 },
    invalidate: () => cache.invalidate(),
  };
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

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    for (const route of routes) {
      const match = route.pattern.exec(url);
      if (!match) continue;
      if (!route.methods.includes(request.method)) {
        throw new HttpError(405, `method ${request.method} not allowed here`, {
          allow: route.methods.join(", "),
        });
      }
      const credentials = parseAuthorization(request.headers.get("authorization"));
      const principal = credentials ? await services.auth.authenticate(credentials) : null;
      if (credentials && !principal) {
        throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
      }
      const groups = match.pathname.groups;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(groups)) if (v !== undefined) params[k] = decode(v);
      const ctx = new RequestContext(request, url, services, principal, params);
      return await route.handler(ctx, params["0"] ?? "");
    }
    throw new HttpError(404, "not found");
  }

  return {
    kv,
    async fetch(request: Request): Promise<Response> {
      try {
        return await handle(request);
      } catch (err) {
        if (err instanceof HttpError) return errorResponse(err);
        if (err instanceof BusyError) {
          return errorResponse(new HttpError(503, err.message, { "retry-after": "1" }));
        }
        console.error("internal error:", err);
        return errorResponse(new HttpError(500, "internal error"));
      }
    },
    close() {
      cache.close();
      if (sweeper !== undefined) clearInterval(sweeper);
    },
  };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(404, `invalid percent-encoding in ${JSON.stringify(s)}`);
  }
}
