/**
 * Account management over HTTP, for deployments without a shell (Deno Deploy): admins
 * manage users, organisations, members and owners; every user manages their own tokens.
 * The first admin can be created with `MODYARD_ADMIN_TOKEN` while no admin exists.
 *
 * @module
 */

import {
  AccountError,
  createOrg,
  createToken,
  createUser,
  deleteOwner,
  listTokens,
  listUsers,
  MAX_PASSWORD_LENGTH,
  MAX_TOKEN_LABEL_LENGTH,
  PRIVATE_AFTER_PUBLIC_WARNING,
  removeMember,
  revokeToken,
  setMember,
  setQuota,
  setVisibility,
} from "../registry/accounts.ts";
import { unescapeCase } from "../gomod/path.ts";
import { NotFoundError } from "../registry/lifecycle.ts";
import type { TokenRecord, UserRecord } from "../store/records.ts";
import { keys } from "../store/keys.ts";
import { TOKEN_PREFIX, tokenHash } from "../registry/secrets.ts";
import {
  type CachedVersion,
  evictCached,
  listCache,
  parseCacheTarget,
} from "../upstream/cache_admin.ts";
import type { RequestContext } from "./context.ts";
import {
  checkPrivatePaths,
  NO_UPSTREAM_WARNING,
  setPrivatePaths,
  setPullThrough,
} from "../upstream/owner_settings.ts";
import { parseAuthorization } from "./credentials.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import { readJsonObject } from "./json_body.ts";
import { json } from "./responses.ts";

/**
 * The name the bootstrap token acts under: the parentheses make it a name no user can have,
 * so it never matches a user's memberships or tokens.
 */
export const BOOTSTRAP_NAME = "(bootstrap)";
/** Longest token lifetime accepted over HTTP, in days (ten years). */
export const MAX_EXPIRES_IN_DAYS = 3650;

function requireAdmin(ctx: RequestContext): void {
  const p = ctx.principal;
  if (!p) throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  if (!p.user.admin) throw new HttpError(403, "only admins may do this");
  if (p.scope !== "write") {
    throw new HttpError(403, "this token has read scope; this needs a write token");
  }
}

function requireWriter(ctx: RequestContext): string {
  const p = ctx.principal;
  if (!p || p.via === "bootstrap") {
    throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  }
  if (p.scope !== "write") {
    throw new HttpError(403, "this token has read scope; this needs a write token");
  }
  return p.user.name;
}

/** The body as a JSON object; read only after the caller was authorised. */
function body(ctx: RequestContext): Promise<Record<string, unknown>> {
  return readJsonObject(ctx.request);
}

/** A string field of at most `max` characters (names, roles, labels, passwords). */
function str(
  b: Record<string, unknown>,
  key: string,
  required = false,
  max = 256,
): string | undefined {
  const v = b[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v === "") {
    throw new HttpError(400, `"${key}" must be a non-empty string`);
  }
  if (v.length > max) throw new HttpError(400, `"${key}" must have at most ${max} characters`);
  return v;
}

function visibility(b: Record<string, unknown>): "public" | "private" | undefined {
  const v = str(b, "visibility");
  if (v !== undefined && v !== "public" && v !== "private") {
    throw new HttpError(400, `"visibility" must be "public" or "private"`);
  }
  return v;
}

function publicUser(u: UserRecord) {
  return {
    name: u.name,
    kind: u.kind ?? "user",
    admin: u.admin,
    visibility: u.visibility,
    created_at: u.createdAt,
    deleted_at: u.deleted ?? null,
  };
}

/** Runs an account operation, turning its refusals into 400/404/409 answers. */
async function account<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AccountError) {
      const status = /^no user|is not a member|has no token/.test(err.message)
        ? 404
        : /already exists|is reserved|already deleted/.test(err.message)
        ? 409
        : 400;
      throw new HttpError(status, err.message);
    }
    throw err;
  }
}

/** `GET /api/v1/admin/users` and `POST /api/v1/admin/users`. */
export async function adminUsers(ctx: RequestContext): Promise<Response> {
  if (ctx.request.method === "GET") {
    requireAdmin(ctx);
    return json((await listUsers(ctx.services.kv)).map(publicUser));
  }
  const bootstrap = ctx.principal?.via === "bootstrap";
  if (!bootstrap) requireAdmin(ctx);
  const b = await body(ctx);
  if (b.admin !== undefined && typeof b.admin !== "boolean") {
    throw new HttpError(400, `"admin" must be true or false`);
  }
  // The bootstrap token may only create the first admin.
  if (bootstrap && b.admin !== true) {
    throw new HttpError(403, "the bootstrap token may only create an admin");
  }
  const password = str(b, "password", false, MAX_PASSWORD_LENGTH);
  const user = await account(() =>
    createUser(ctx.services.kv, str(b, "name", true)!, {
      admin: b.admin === true,
      password,
      visibility: visibility(b),
      onlyAsFirstAdmin: bootstrap,
    })
  ).catch((err) => {
    if (bootstrap && err instanceof HttpError && err.message === "an admin already exists") {
      console.warn("MODYARD_ADMIN_TOKEN was presented, but an admin exists: ignored");
      throw new HttpError(401, "invalid credentials", BASIC_CHALLENGE);
    }
    throw err;
  });
  ctx.services.invalidate();
  return json(publicUser(user), 201);
}

/** `DELETE /api/v1/admin/users/{name}`: the name stays reserved. */
export async function adminDeleteUser(ctx: RequestContext): Promise<Response> {
  requireAdmin(ctx);
  await account(() =>
    deleteOwner(ctx.services.kv, ctx.params.name, ctx.actor(), ctx.services.limits.deleteGraceMs)
  );
  ctx.services.invalidate();
  return new Response(null, { status: 204 });
}

/** `POST /api/v1/admin/orgs` with `{name, owner, visibility?}`. */
export async function adminCreateOrg(ctx: RequestContext): Promise<Response> {
  requireAdmin(ctx);
  const b = await body(ctx);
  const org = await account(() =>
    createOrg(
      ctx.services.kv,
      str(b, "name", true)!,
      str(b, "owner", true)!,
      { visibility: visibility(b) },
      ctx.actor(),
    )
  );
  ctx.services.invalidate();
  return json(publicUser(org), 201);
}

/** `PUT` (with `{role}`) or `DELETE /api/v1/admin/orgs/{org}/members/{user}`. */
export async function adminMember(ctx: RequestContext): Promise<Response> {
  requireAdmin(ctx);
  const { org, user } = ctx.params;
  if (ctx.request.method === "DELETE") {
    await account(() => removeMember(ctx.services.kv, org, user, ctx.actor()));
  } else {
    const role = str(await body(ctx), "role", true);
    if (role !== "read" && role !== "write" && role !== "owner") {
      throw new HttpError(400, `"role" must be "read", "write" or "owner"`);
    }
    await account(() => setMember(ctx.services.kv, org, user, role, ctx.actor()));
  }
  ctx.services.invalidate();
  return new Response(null, { status: 204 });
}

/**
 * `PATCH /api/v1/admin/owners/{owner}` with `{visibility?, quota?}` (quota: bytes or null).
 * Answers `{"warnings": [...]}`: making a public owner private cannot recall the year-long
 * `public, immutable` answers that shared caches may already hold.
 */
export async function adminOwner(ctx: RequestContext): Promise<Response> {
  requireAdmin(ctx);
  const b = await body(ctx);
  const owner = ctx.params.owner;
  const v = visibility(b);
  const q = b.quota;
  if (
    "quota" in b && q !== null &&
    (typeof q !== "number" || !Number.isSafeInteger(q) || q < 0)
  ) {
    throw new HttpError(400, `"quota" must be a whole number of bytes (at most 2^53 - 1) or null`);
  }
  const pullThrough = b.pull_through;
  if ("pull_through" in b && typeof pullThrough !== "boolean") {
    throw new HttpError(400, `"pull_through" must be a boolean`);
  }
  const privatePaths = b.private_paths;
  if ("private_paths" in b) {
    if (typeof privatePaths !== "string") {
      throw new HttpError(400, `"private_paths" must be a string (comma-separated patterns)`);
    }
    const problem = checkPrivatePaths(privatePaths);
    if (problem) throw new HttpError(400, `"private_paths": ${problem}`);
  }
  const warnings: string[] = [];
  if (v) {
    const before = await account(() => setVisibility(ctx.services.kv, owner, v, ctx.actor()));
    if (before === "public" && v === "private") warnings.push(PRIVATE_AFTER_PUBLIC_WARNING);
  }
  if ("quota" in b) {
    await account(() => setQuota(ctx.services.kv, owner, q as number | null, ctx.actor()));
  }
  if (typeof pullThrough === "boolean") {
    await account(() => setPullThrough(ctx.services.kv, owner, pullThrough, ctx.actor()));
    if (pullThrough && !ctx.services.pullThrough) warnings.push(NO_UPSTREAM_WARNING);
  }
  if (typeof privatePaths === "string") {
    await account(() => setPrivatePaths(ctx.services.kv, owner, privatePaths, ctx.actor()));
  }
  ctx.services.invalidate();
  return json({ warnings });
}

/** `GET` and `POST /api/v1/user/tokens`: the caller's own tokens. */
export async function userTokens(ctx: RequestContext): Promise<Response> {
  const user = requireWriter(ctx);
  if (ctx.request.method === "GET") {
    return json((await listTokens(ctx.services.kv, user)).map((t) => ({
      id: t.id,
      scope: t.scope,
      label: t.label,
      created_at: t.createdAt,
      expires_at: t.expiresAt ?? null,
    })));
  }
  const b = await body(ctx);
  const scope = str(b, "scope") ?? "read";
  if (scope !== "read" && scope !== "write") {
    throw new HttpError(400, `"scope" must be "read" or "write"`);
  }
  const days = b.expires_in_days;
  if (
    days !== undefined &&
    (typeof days !== "number" || !(days > 0) || days > MAX_EXPIRES_IN_DAYS)
  ) {
    throw new HttpError(
      400,
      `"expires_in_days" must be a number of days above 0 and at most ${MAX_EXPIRES_IN_DAYS}`,
    );
  }
  let expiresAt = days === undefined ? Infinity : Date.now() + (days as number) * 86_400_000;
  // A token never mints a token that outlives it.
  expiresAt = Math.min(expiresAt, ctx.principal!.tokenExpiresAt ?? Infinity);
  const { token, record } = await account(() =>
    createToken(ctx.services.kv, user, {
      scope,
      label: str(b, "label", false, MAX_TOKEN_LABEL_LENGTH) ?? "",
      expiresAt: Number.isFinite(expiresAt) ? new Date(expiresAt) : undefined,
    }, ctx.actor())
  );
  ctx.services.invalidate();
  return json({
    token,
    id: record.id,
    scope: record.scope,
    label: record.label,
    expires_at: record.expiresAt ?? null,
  }, 201);
}

/**
 * `DELETE /api/v1/user/tokens/{id}`; `{id}` = `current` revokes the token the request
 * authenticated with (any scope: a token may always end itself; `logout` uses it), 400
 * when it authenticated with a password.
 */
export async function userRevokeToken(ctx: RequestContext): Promise<Response> {
  const current = ctx.params.id === "current";
  const user = current ? requireTokenUser(ctx) : requireWriter(ctx);
  const id = current ? await presentedTokenId(ctx) : ctx.params.id;
  await account(() => revokeToken(ctx.services.kv, user, id, ctx.actor()));
  ctx.services.invalidate();
  return new Response(null, { status: 204 });
}

function requireTokenUser(ctx: RequestContext): string {
  const p = ctx.principal;
  if (!p || p.via === "bootstrap") {
    throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  }
  if (p.via !== "token") {
    throw new HttpError(
      400,
      "this request authenticated with a password, not a token: name the token id to revoke",
    );
  }
  return p.user.name;
}

/** The id of the token the (token-authenticated) request presented. */
async function presentedTokenId(ctx: RequestContext): Promise<string> {
  const c = parseAuthorization(ctx.request.headers.get("authorization"));
  const token = c === null
    ? ""
    : c.kind === "token"
    ? c.token
    : c.secret === "" && c.user.startsWith(TOKEN_PREFIX)
    ? c.user
    : c.secret;
  const record = (await ctx.services.kv.get<TokenRecord>(keys.token(tokenHash(token)))).value;
  // Revoked between authentication and here: as if it had never authenticated.
  if (!record) throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  return record.id;
}

/** Rows of a cache listing page when the request names no `limit`. */
const DEFAULT_CACHE_PAGE = 100;
/** Most rows of a cache listing page over HTTP. */
const MAX_CACHE_PAGE = 1000;

/**
 * `GET /api/v1/admin/cache?pattern=…&limit=…&cursor=…`: one page of the pull-through cache
 * (module versions with their files and bytes), the cache's bytes and its budget. The next
 * page is named by `next_cursor` and a `Link: <…>; rel="next"` header.
 */
export async function adminCacheList(ctx: RequestContext): Promise<Response> {
  requireAdmin(ctx);
  const q = ctx.url.searchParams;
  const limit = Number(q.get("limit") ?? DEFAULT_CACHE_PAGE);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CACHE_PAGE) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_CACHE_PAGE}`);
  }
  const listing = await cacheRequest(() =>
    listCache(ctx.services.kv, {
      pattern: q.get("pattern") ?? "",
      limit,
      cursor: q.get("cursor"),
    })
  );
  const response = json({
    versions: listing.versions.map(cachedVersionJson),
    next_cursor: listing.next,
    page_bytes: listing.versions.reduce((n, v) => n + v.bytes, 0),
    total_bytes: listing.totalBytes,
    budget_bytes: cacheBudget(ctx),
  });
  if (listing.next !== null) {
    const next = new URL(ctx.url);
    next.searchParams.set("cursor", listing.next);
    next.searchParams.set("limit", String(limit));
    response.headers.set("link", `<${ctx.link(next)}>; rel="next"`);
  }
  return response;
}

/**
 * `DELETE /api/v1/admin/cache/{module}[@{version}]` (the module path as is, or
 * percent-encoded, or `!`-case-encoded): evicts that version, or every cached version of the
 * module. Answers what was evicted; 404 when nothing of it is cached.
 */
export async function adminCacheEvict(ctx: RequestContext, rest: string): Promise<Response> {
  requireAdmin(ctx);
  const target = rest.includes("!") ? unescapeCase(rest) : rest;
  if (target === null) throw new HttpError(400, `invalid case-encoded module path "${rest}"`);
  const { module, version } = await cacheRequest(() => Promise.resolve(parseCacheTarget(target)));
  const eviction = await cacheRequest(() =>
    evictCached(ctx.services.kv, module, version, ctx.actor(), ctx.services.limits.deleteGraceMs)
  );
  return json(eviction);
}

/** The cache's byte budget, when this server has pull-through configured. */
function cacheBudget(ctx: RequestContext): number | null {
  return ctx.services.pullThrough?.maxCacheBytes ?? null;
}

/** The JSON of one cached module version (no file bodies). */
export function cachedVersionJson(v: CachedVersion) {
  return {
    module: v.module,
    version: v.version,
    files: v.files,
    bytes: v.bytes,
    zip_size: v.records.zip?.size ?? null,
    h1: v.records.zip?.h1 ?? null,
    gomod_h1: v.records.mod?.h1 ?? null,
    fetched_at: v.files.map((k) => v.records[k]!.fetchedAt).sort()[0],
  };
}

/** Runs a cache operation, turning its refusals into 400 (bad input) and 404 (not cached). */
async function cacheRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(400, err.message);
    if (err instanceof NotFoundError) throw new HttpError(404, err.message);
    throw err;
  }
}
