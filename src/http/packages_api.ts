/**
 * The JSON API of packages (Gitea-compatible paths): an owner's modules, one module, one
 * version, deleting a version; and the admin audit log.
 *
 * @module
 */

import { unescapeCase } from "../gomod/path.ts";
import { canonicalVersion, compareVersions } from "../gomod/version.ts";
import { readAudit } from "../registry/audit.ts";
import { deleteVersion, NotFoundError } from "../registry/lifecycle.ts";
import type { Origin } from "../registry/origin.ts";
import { keys } from "../store/keys.ts";
import type { UserRecord, VersionRecord } from "../store/records.ts";
import {
  type CachedVersion,
  cachedVersionsOf,
  listCachedModules,
} from "../upstream/cache_admin.ts";
import type { RequestContext } from "./context.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import { cacheHeaders, json } from "./responses.ts";

/** Parses `page` and `limit` query parameters (1-based page; limit 1–100, default 20). */
function paging(url: URL): { page: number; limit: number } {
  const page = Number(url.searchParams.get("page") ?? "1");
  const limit = Number(url.searchParams.get("limit") ?? "20");
  if (!Number.isInteger(page) || page < 1) {
    throw new HttpError(400, "page must be a whole number ≥ 1");
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpError(400, "limit must be a whole number from 1 to 100");
  }
  return { page, limit };
}

/** `X-Total-Count` and a `Link` header with next/prev/first/last pages, as Gitea sends. */
function pageHeaders(ctx: RequestContext, page: number, limit: number, total: number): Headers {
  const h = new Headers({ "x-total-count": String(total) });
  const last = Math.max(1, Math.ceil(total / limit));
  const link = (p: number, rel: string) => `<${pageLink(ctx, p, limit)}>; rel="${rel}"`;
  const links = [];
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"));
  if (links.length) h.set("link", links.join(", "));
  return h;
}

function pageLink(ctx: RequestContext, page: number, limit: number): string {
  const u = new URL(ctx.url);
  u.searchParams.set("page", String(page));
  u.searchParams.set("limit", String(limit));
  return ctx.link(u);
}

/** Answers about an owner's modules change with every publish; private ones per credentials. */
function ownerAnswer(response: Response, owner: UserRecord): Response {
  const policy = { kind: "mutable", isPrivate: owner.visibility === "private" } as const;
  for (const [k, v] of cacheHeaders(policy)) response.headers.set(k, v);
  return response;
}

function withHeaders(response: Response, headers: Headers): Response {
  for (const [k, v] of headers) response.headers.set(k, v);
  return response;
}

/**
 * `GET /api/v1/packages/{owner}?type=go`: the owner's hosted modules with their versions,
 * paged. With `source=cached`: the pull-through modules it serves from the shared cache.
 */
export async function listOwnerPackages(ctx: RequestContext): Promise<Response> {
  const owner = await ctx.readableOwner();
  const type = ctx.url.searchParams.get("type");
  if (type !== null && type !== "go") {
    return ownerAnswer(withHeaders(json([]), new Headers({ "x-total-count": "0" })), owner);
  }
  const source = ctx.url.searchParams.get("source") ?? "hosted";
  if (source !== "hosted" && source !== "cached") {
    throw new HttpError(400, `source must be "hosted" or "cached"`);
  }
  if (source === "cached") return await listCachedPackages(ctx, owner);
  const { page, limit } = paging(ctx.url);
  const kv = ctx.services.kv;
  const total = Number(
    (await kv.get<Deno.KvU64>(keys.counter(owner.name, "modules"))).value?.value ?? 0n,
  );
  const names: string[] = [];
  let i = 0;
  for await (const e of kv.list({ prefix: keys.modules(owner.name) }, { limit: page * limit })) {
    if (i++ >= (page - 1) * limit) names.push(e.key[2] as string);
  }
  const body = [];
  for (const name of names) body.push(await moduleJson(ctx, owner.name, name));
  return ownerAnswer(withHeaders(json(body), pageHeaders(ctx, page, limit, total)), owner);
}

/** `GET` or `DELETE /api/v1/packages/{owner}/go/{module}[/{version}]`. */
export async function modulePackage(ctx: RequestContext, rest: string): Promise<Response> {
  const { module, version } = parseModuleAndVersion(rest);
  if (ctx.request.method === "DELETE") {
    if (version === null) throw new HttpError(405, "delete a version: DELETE …/{module}/{version}");
    return await deleteModuleVersion(ctx, module, version);
  }
  const owner = await ctx.readableOwner();
  const hosted = await moduleJson(ctx, owner.name, module);
  if (hosted.versions.length === 0 && await seesCache(ctx, owner, module)) {
    return await cachedPackage(ctx, owner, module, version);
  }
  if (version === null) {
    if (hosted.versions.length === 0) throw new HttpError(404, `${module}: not found`);
    return ownerAnswer(json(hosted), owner);
  }
  const found = hosted.versions.find((v) => v.version === version);
  if (!found) throw new HttpError(404, `${module}@${version}: not found`);
  return ownerAnswer(json(found), owner);
}

/**
 * Whether the caller is shown the pull-through modules `owner` serves from the shared cache
 * (for `module`, when given: one the owner would ask upstream, i.e. not hosted by it and
 * outside its private paths). The cache is shared by every owner, so what it holds tells
 * what any owner's builds fetched: it is shown to the owner itself, its organisation's
 * members and admins, never to anonymous readers or other users.
 */
async function seesCache(ctx: RequestContext, owner: UserRecord, module?: string) {
  const pullThrough = ctx.services.pullThrough;
  const p = ctx.principal;
  if (!pullThrough || owner.pullThrough !== true || !p || p.via === "bootstrap") return false;
  if (!p.user.admin && p.user.name !== owner.name && await ctx.role(owner) === null) return false;
  return module === undefined || await pullThrough.goesUpstream(owner, module);
}

/** Answers that include cached modules depend on who asks: never kept by shared caches. */
function memberAnswer(response: Response): Response {
  for (const [k, v] of cacheHeaders({ kind: "mutable", isPrivate: true })) {
    response.headers.set(k, v);
  }
  return response;
}

/** Most versions of one cached module shown by the packages API. */
const MAX_CACHED_VERSIONS = 1000;

/** `GET …/go/{module}[/{version}]` of a module the owner serves from the cache. */
async function cachedPackage(
  ctx: RequestContext,
  owner: UserRecord,
  module: string,
  version: string | null,
): Promise<Response> {
  const versions = (await cachedVersionsOf(ctx.services.kv, module, MAX_CACHED_VERSIONS))
    .map(cachedVersionJson).sort((a, b) => compareVersions(a.version, b.version));
  if (version === null) {
    if (versions.length === 0) throw new HttpError(404, `${module}: not found`);
    return memberAnswer(
      json({ owner: owner.name, type: "go", name: module, source: "cached", versions }),
    );
  }
  const found = versions.find((v) => v.version === version);
  if (!found) throw new HttpError(404, `${module}@${version}: not found`);
  return memberAnswer(json(found));
}

/**
 * `GET /api/v1/packages/{owner}?type=go&source=cached&limit=…&cursor=…`: the modules the owner
 * serves from the pull-through cache, in module path order, up to 100 versions each; the next
 * page through `Link: <…>; rel="next"` (a cursor, not page numbers: there is no counter of
 * cached modules). An empty list for callers who are not shown the cache.
 */
async function listCachedPackages(ctx: RequestContext, owner: UserRecord): Promise<Response> {
  const { limit } = paging(ctx.url);
  const cursor = ctx.url.searchParams.get("cursor");
  if (!(await seesCache(ctx, owner))) return memberAnswer(json([]));
  const pullThrough = ctx.services.pullThrough!;
  let page;
  try {
    page = await listCachedModules(ctx.services.kv, {
      after: cursor,
      limit,
      versionsPerModule: 100,
      accept: (module) => pullThrough.goesUpstream(owner, module),
    });
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(400, err.message);
    throw err;
  }
  const response = memberAnswer(json(page.modules.map((m) => ({
    owner: owner.name,
    type: "go",
    name: m.module,
    source: "cached",
    versions: m.versions.map(cachedVersionJson).sort((a, b) =>
      compareVersions(a.version, b.version)
    ),
  }))));
  if (page.next !== null) {
    const next = new URL(ctx.url);
    next.searchParams.set("cursor", page.next);
    response.headers.set("link", `<${ctx.link(next)}>; rel="next"`);
  }
  return response;
}

/** The JSON of one cached version in the packages API. */
function cachedVersionJson(v: CachedVersion) {
  const info = v.records.info?.body;
  let time = "";
  try {
    const parsed = info ? JSON.parse(new TextDecoder().decode(info)) : null;
    if (typeof parsed?.Time === "string") time = parsed.Time;
  } catch { /* an .info that is not JSON was never stored; "" otherwise */ }
  return {
    version: v.version,
    time,
    files: v.files,
    bytes: v.bytes,
    size: v.records.zip?.size ?? 0,
    sha256: v.records.zip?.sha256 ?? "",
    h1: v.records.zip?.h1 ?? "",
    gomod_h1: v.records.mod?.h1 ?? "",
    fetched_at: v.files.map((k) => v.records[k]!.fetchedAt).sort()[0],
  };
}

/**
 * Deletes a version for `ctx.principal` under the API's write rule for `ctx.params.owner`
 * (204; 401/403 as {@link RequestContext.writableOwner}, 404 when there is no such version).
 * The web UI's delete form calls it too.
 */
export async function deleteModuleVersion(
  ctx: RequestContext,
  module: string,
  version: string,
): Promise<Response> {
  const owner = await ctx.writableOwner("delete");
  try {
    await deleteVersion(
      ctx.services.kv,
      owner.name,
      module,
      version,
      ctx.actor(),
      ctx.services.limits.deleteGraceMs,
    );
  } catch (err) {
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    throw err;
  }
  ctx.services.invalidate();
  return new Response(null, { status: 204 });
}

/** `GET /api/v1/admin/audit`: the audit log, newest first (admins only). */
export async function auditLog(ctx: RequestContext): Promise<Response> {
  const principal = ctx.principal;
  if (!principal) throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  if (!principal.user.admin) throw new HttpError(403, "only admins may read the audit log");
  const { page, limit } = paging(ctx.url);
  const { entries, more } = await readAudit(ctx.services.kv, page, limit);
  const response = json(entries);
  if (more) response.headers.set("link", `<${pageLink(ctx, page + 1, limit)}>; rel="next"`);
  return response;
}

/** The JSON of one version. */
export interface VersionJson {
  version: string;
  time: string;
  publisher: string;
  size: number;
  sha256: string;
  h1: string;
  gomod_h1: string;
  go_version: string;
  retracted: boolean;
  retraction_rationale: string;
  downloads: number;
  /** Where the publisher says the zip came from; absent when they did not say. */
  origin?: Origin;
}

async function moduleJson(
  ctx: RequestContext,
  owner: string,
  module: string,
): Promise<
  { owner: string; type: "go"; name: string; source: "hosted"; versions: VersionJson[] }
> {
  const modules = ctx.services.modules;
  const [versions, retracted, downloads] = await Promise.all([
    modules.versions(owner, module),
    modules.retracted(owner, module),
    modules.downloads(owner, module),
  ]);
  return {
    owner,
    type: "go",
    name: module,
    source: "hosted",
    versions: versions.map((v: VersionRecord) => ({
      version: v.version,
      time: v.time,
      publisher: v.publisher,
      size: v.size,
      sha256: v.sha256,
      h1: v.h1,
      gomod_h1: v.goModH1,
      go_version: v.goVersion,
      retracted: retracted.has(v.version),
      retraction_rationale: retracted.get(v.version) ?? "",
      downloads: downloads.get(v.version) ?? 0,
      ...(v.origin ? { origin: v.origin } : {}),
    })),
  };
}

/**
 * Splits the (percent-decoded) path after `/go/` into module and optional version. The module is
 * percent-encoded with its case kept (`github.com%2FBurntSushi%2Ftoml`, as Gitea's API
 * expects) or `!`-case-encoded; a final segment that is a canonical version is the version.
 */
export function parseModuleAndVersion(decoded: string): { module: string; version: string | null } {
  const slash = decoded.lastIndexOf("/");
  const last = decoded.slice(slash + 1);
  let module = decoded, version: string | null = null;
  const lastVersion = unescapeCase(last) ?? last;
  if (slash > 0 && lastVersion.startsWith("v") && canonicalVersion(lastVersion) === lastVersion) {
    module = decoded.slice(0, slash);
    version = lastVersion;
  }
  if (module.includes("!")) {
    const unescaped = unescapeCase(module);
    if (unescaped === null) throw new HttpError(404, `invalid escaped module path "${module}"`);
    module = unescaped;
  }
  if (module === "") throw new HttpError(404, "missing module path");
  return { module, version };
}
