/**
 * The GOPROXY protocol under `/api/packages/{owner}/go/`: `list`, `.info`, `.mod`, `.zip`,
 * `@latest`, and Gitea's `latest.*` aliases.
 *
 * @module
 */

import { unescapeCase } from "../gomod/path.ts";
import type { VersionRecord } from "../store/records.ts";
import type { PullThroughRequest } from "../upstream/pull_through.ts";
import { UpstreamError } from "../upstream/upstream_error.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { bodyTag, type CachePolicy, notModified, reply, respond } from "./responses.ts";

/** A parsed GOPROXY request path. */
export type ProxyRequest =
  | { module: string; kind: "list" }
  | { module: string; kind: "latest" }
  | { module: string; kind: "info" | "mod" | "zip"; version: string };

/**
 * Parses the part of a GOPROXY URL after `/go/` (already percent-decoded): the
 * case-encoded module path, then `@v/list`, `@v/{version}.{info,mod,zip}` or `@latest`.
 * Throws a 404 {@link HttpError} for a path no `go` command would send.
 *
 * @example
 * ```ts
 * parseProxyPath("github.com/!burnt!sushi/toml/@v/v1.2.0.info");
 * // { module: "github.com/BurntSushi/toml", kind: "info", version: "v1.2.0" }
 * ```
 */
export function parseProxyPath(rest: string): ProxyRequest {
  const unescape = (s: string, what: string) => {
    const out = unescapeCase(s);
    if (out === null || out === "") {
      throw new HttpError(404, `invalid escaped ${what} ${JSON.stringify(s)}`);
    }
    return out;
  };
  if (rest.endsWith("/@latest")) {
    return { module: unescape(rest.slice(0, -"/@latest".length), "module path"), kind: "latest" };
  }
  const at = rest.lastIndexOf("/@v/");
  if (at < 0) throw new HttpError(404, `not a GOPROXY path: ${JSON.stringify(rest)}`);
  const module = unescape(rest.slice(0, at), "module path");
  const file = rest.slice(at + 4);
  if (file === "list") return { module, kind: "list" };
  const dot = file.lastIndexOf(".");
  const ext = file.slice(dot + 1);
  if (dot <= 0 || (ext !== "info" && ext !== "mod" && ext !== "zip")) {
    throw new HttpError(404, `not a GOPROXY file: ${JSON.stringify(file)}`);
  }
  return { module, kind: ext, version: unescape(file.slice(0, dot), "version") };
}

/** Answers one GOPROXY read for an owner the principal may read. */
export async function serveProxyRequest(ctx: RequestContext, rest: string): Promise<Response> {
  const owner = await ctx.readableOwner();
  // From here on, answers (404s included) depend only on published state: cacheable.
  ctx.cacheable = true;
  const req = parseProxyPath(rest);
  const modules = ctx.services.modules;
  const isPrivate = owner.visibility === "private";
  if (await ctx.services.pullThrough?.goesUpstream(owner, req.module)) {
    ctx.cacheable = false; // the upstream's answers change without a generation bump
    return await servePulledThrough(ctx, req, isPrivate);
  }
  const mutable: CachePolicy = { kind: "mutable", isPrivate };

  if (req.kind === "list") {
    const versions = await modules.versions(owner.name, req.module);
    if (versions.length === 0) throw notFound(req.module);
    return reply(ctx, await modules.listBody(owner.name, req.module), TEXT, mutable);
  }
  if (req.kind === "latest") {
    const latest = await modules.latest(owner.name, req.module);
    if (!latest) throw notFound(req.module);
    return reply(ctx, infoBody(latest), JSON_TYPE, mutable);
  }

  let record: VersionRecord | undefined;
  let policy: CachePolicy;
  if (req.version === "latest") {
    record = await modules.latest(owner.name, req.module);
    if (!record) throw notFound(req.module);
    policy = mutable;
  } else {
    record = await modules.version(owner.name, req.module, req.version);
    if (!record) {
      const pin = await modules.pin(owner.name, req.module, req.version);
      if (pin?.deletedAt) {
        throw new HttpError(
          410,
          `${req.module}@${req.version}: deleted from ${owner.name} on ${pin.deletedAt}; it is no longer served here`,
        );
      }
      throw notFound(`${req.module}@${req.version}`);
    }
    const etag = req.kind === "mod" ? record.goModH1 : record.h1;
    policy = { kind: "immutable", etag, isPrivate };
  }
  switch (req.kind) {
    case "info": {
      // Not the zip's h1: a version deleted and published again with the same bytes gets a
      // new Time (and maybe another Origin), so the tag follows this body.
      const body = infoBody(record);
      const tagged = policy.kind === "immutable" ? { ...policy, etag: bodyTag(body) } : policy;
      return reply(ctx, body, JSON_TYPE, tagged);
    }
    case "mod":
      return reply(ctx, await modules.goMod(record), TEXT, policy);
    case "zip": {
      const counted = ctx.request.method === "GET" && !notModified(ctx.request, policy);
      if (counted) {
        const full = modules.countDownload(owner.name, record);
        if (full) await full;
      }
      const body = counted ? modules.zip(record) : null;
      return respond(ctx.request, body, "application/zip", policy, [
        ["content-length", String(record.size)],
      ]);
    }
  }
}

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

/** `{"Version","Time"}`, plus `"Origin"` when the publisher sent one (as proxy.golang.org). */
function infoBody(record: VersionRecord): string {
  const info = record.origin
    ? { Version: record.version, Time: record.time, Origin: record.origin }
    : { Version: record.version, Time: record.time };
  return JSON.stringify(info) + "\n";
}

function notFound(what: string): HttpError {
  return new HttpError(404, `${what}: not found`);
}

/** Answers a path that an owner with pull-through on never published, from the cache/upstream. */
async function servePulledThrough(
  ctx: RequestContext,
  req: ProxyRequest,
  isPrivate: boolean,
): Promise<Response> {
  let answer;
  try {
    answer = await ctx.services.pullThrough!.read(req as PullThroughRequest, ctx.client);
  } catch (err) {
    if (err instanceof UpstreamError) {
      const headers = err.retryAfter ? { "retry-after": String(err.retryAfter) } : undefined;
      throw new HttpError(err.status, err.message, headers);
    }
    throw err;
  }
  const policy: CachePolicy = answer.etag
    ? { kind: "immutable", etag: answer.etag, isPrivate }
    : { kind: "mutable", isPrivate };
  const extra: [string, string][] = [["content-length", String(answer.size)]];
  if (answer.stale) extra.push(["x-modyard-cache", "stale"]);
  let body = answer.body;
  if (ctx.request.method === "HEAD" || notModified(ctx.request, policy)) {
    if (body instanceof ReadableStream) await body.cancel();
    body = new Uint8Array(0);
  }
  return respond(ctx.request, body as BodyInit, answer.contentType, policy, extra);
}
