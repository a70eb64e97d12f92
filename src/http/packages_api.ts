/**
 * The JSON API of packages (Gitea-compatible paths): an owner's modules, one module, one
 * version, deleting a version; and the admin audit log.
 *
 * @module
 */

import { unescapeCase } from "../gomod/path.ts";
import { canonicalVersion } from "../gomod/version.ts";
import { readAudit } from "../registry/audit.ts";
import { deleteVersion, NotFoundError } from "../registry/lifecycle.ts";
import { keys } from "../store/keys.ts";
import type { UserRecord, VersionRecord } from "../store/records.ts";
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

/** `GET /api/v1/packages/{owner}?type=go`: the owner's modules with their versions, paged. */
export async function listOwnerPackages(ctx: RequestContext): Promise<Response> {
  const owner = await ctx.readableOwner();
  const type = ctx.url.searchParams.get("type");
  if (type !== null && type !== "go") {
    return ownerAnswer(withHeaders(json([]), new Headers({ "x-total-count": "0" })), owner);
  }
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
  if (version === null) {
    const found = await moduleJson(ctx, owner.name, module);
    if (found.versions.length === 0) throw new HttpError(404, `${module}: not found`);
    return ownerAnswer(json(found), owner);
  }
  const found = (await moduleJson(ctx, owner.name, module)).versions.find((v) =>
    v.version === version
  );
  if (!found) throw new HttpError(404, `${module}@${version}: not found`);
  return ownerAnswer(json(found), owner);
}

async function deleteModuleVersion(
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
}

async function moduleJson(
  ctx: RequestContext,
  owner: string,
  module: string,
): Promise<{ owner: string; type: "go"; name: string; versions: VersionJson[] }> {
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
