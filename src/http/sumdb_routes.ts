/**
 * `/api/packages/{owner}/go/sumdb/{name}/…`: checksum databases as the `go` command asks a
 * GOPROXY for them. Sources are asked in order; the first that claims the name answers, and
 * a name nobody claims is a 404 (so the `go` command talks to the database itself). A log of
 * modyard's own (per owner) goes before the upstream passthrough in {@link SUMDB_SOURCES}.
 *
 * @module
 */

import { MAX_NOTE_BYTES } from "../sumdb/note.ts";
import { MAX_LOOKUP_BYTES, parseLookupPath } from "../sumdb/records.ts";
import { parseTilePath, type Tile, TILE_HEIGHT } from "../sumdb/tile.ts";
import { HASH_SIZE } from "../sumdb/tlog.ts";
import { lookupPath } from "../sumdb/records.ts";
import { LogKeyError } from "../sumdb_log/log_signer.ts";
import { UpstreamError } from "../upstream/upstream_error.ts";
import { checkModulePath } from "../gomod/path.ts";
import { canonicalVersion } from "../gomod/version.ts";
import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import type { UserRecord } from "../store/records.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { type CachePolicy, reply, respond } from "./responses.ts";

/**
 * Answers `rest` (the part after `/sumdb/`: `<name>/<path>`) when this source serves that
 * name for the request's owner; `null` to let the next source try.
 */
export type SumdbSource = (ctx: RequestContext, rest: string) => Promise<Response | null>;

/** What every unclaimed name answers (as before any database was served). */
export const NO_SUMDB_MESSAGE = "modyard does not proxy checksum databases";

/** Largest data tile forwarded (256 records). */
const MAX_DATA_TILE_BYTES = 2 * 1024 * 1024;

const TEXT = "text/plain; charset=UTF-8";
const OCTETS = "application/octet-stream";

/**
 * The upstream checksum database of the pull-through cache, for owners with pull-through
 * on, under its configured name only: `supported` (200 only when the database is reachable
 * through modyard), `latest`, `lookup/…` and `tile/…` forwarded. Lookups of paths the owner
 * hosts or declares private answer 404 and never leave modyard.
 */
export const upstreamSumdbSource: SumdbSource = async (ctx, rest) => {
  const pullThrough = ctx.services.pullThrough;
  const sumdb = pullThrough?.sumdb;
  if (!pullThrough || !sumdb || !rest.startsWith(`${sumdb.name}/`)) return null;
  if ((await ctx.owner()).pullThrough !== true) return null;
  const owner = await ctx.readableOwner();
  const isPrivate = owner.visibility === "private";
  const path = rest.slice(sumdb.name.length + 1);
  const mutable: CachePolicy = { kind: "mutable", isPrivate };
  try {
    if (path === "supported") {
      if (!(await sumdb.supported())) {
        throw new HttpError(
          404,
          `checksum database ${sumdb.name} is not offered by the upstream proxy; the go command may ask it directly`,
        );
      }
      return respond(ctx.request, "", TEXT, mutable);
    }
    if (path === "latest") {
      return respond(
        ctx.request,
        bodyOf(await sumdb.recent("latest", MAX_NOTE_BYTES)),
        TEXT,
        mutable,
      );
    }
    if (path.startsWith("lookup/")) {
      let mv;
      try {
        mv = parseLookupPath(path.slice("lookup/".length));
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      if (!(await pullThrough.goesUpstream(owner, mv.path))) {
        throw new HttpError(
          404,
          `${mv.path}: hosted by or private to ${owner.name}; never looked up in checksum database ${sumdb.name}`,
        );
      }
      const body = await sumdb.raw(lookupPath(mv.path, mv.version), MAX_LOOKUP_BYTES);
      return respond(ctx.request, bodyOf(body), TEXT, mutable);
    }
    if (path.startsWith("tile/")) return await serveTile(ctx, sumdb, path, isPrivate);
  } catch (err) {
    if (err instanceof UpstreamError) throw new HttpError(err.status, err.message);
    throw err;
  }
  throw new HttpError(404, `checksum database ${sumdb.name} has no ${JSON.stringify(path)}`);
};

async function serveTile(
  ctx: RequestContext,
  sumdb: NonNullable<NonNullable<RequestContext["services"]["pullThrough"]>["sumdb"]>,
  path: string,
  isPrivate: boolean,
): Promise<Response> {
  let t: Tile;
  try {
    t = parseTilePath(path);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  const full = t.w === 2 ** t.h;
  if (t.h === TILE_HEIGHT && t.l >= 0 && full) {
    const { data, stored } = await sumdb.fullTile(t);
    const policy: CachePolicy = stored
      ? { kind: "immutable", etag: `${sumdb.name}/${path}`, isPrivate }
      : { kind: "mutable", isPrivate };
    return respond(ctx.request, bodyOf(data), OCTETS, policy);
  }
  const max = t.l < 0 ? MAX_DATA_TILE_BYTES : t.w * HASH_SIZE;
  const data = await sumdb.recent(path, max);
  return respond(ctx.request, bodyOf(data), OCTETS, {
    kind: "mutable",
    isPrivate,
  });
}

/**
 * The owner's own checksum log, under its name only (another name is left to the next
 * source): `supported`, `latest`, `lookup/…` and tiles (data tiles included), all under the
 * owner's access rules, as its GOPROXY files.
 */
export const ownerLogSource: SumdbSource = async (ctx, rest) => {
  const logs = ctx.services.logs;
  const name = await logs.name((await ctx.owner()).name);
  if (name === null || !rest.startsWith(`${name}/`)) return null;
  const owner = await ctx.readableOwner();
  const isPrivate = owner.visibility === "private";
  const mutable: CachePolicy = { kind: "mutable", isPrivate };
  const path = rest.slice(name.length + 1);
  // Answers from the log (404s included) depend only on the store (every append bumps its
  // generation) and the principal: the reply cache may keep them.
  ctx.cacheable = true;
  try {
    if (path === "supported") return reply(ctx, "", TEXT, mutable);
    if (path === "latest") {
      const head = await logs.latest(owner.name);
      if (head === null) throw new HttpError(404, `checksum database ${name} is not enabled`);
      return reply(ctx, head, TEXT, mutable);
    }
    if (path.startsWith("lookup/")) {
      let mv;
      try {
        mv = parseLookupPath(path.slice("lookup/".length));
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      const logged = await logs.lookup(owner.name, mv.path, mv.version);
      if (logged !== null) return reply(ctx, logged, TEXT, mutable);
      // What the upstream says (a 404 for a version it does not know yet, an outage) changes
      // without the store changing: not cacheable.
      ctx.cacheable = false;
      const appended = await lookupAfterUpstreamAppend(ctx, owner, name, mv);
      return respond(ctx.request, appended, TEXT, mutable);
    }
    if (path.startsWith("tile/")) {
      let t: Tile;
      try {
        t = parseTilePath(path);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      const data = await logs.tile(owner.name, path);
      if (data === null) {
        throw new HttpError(404, `checksum database ${name} has no ${path} (beyond its tree)`);
      }
      const policy: CachePolicy = t.w === 2 ** t.h
        ? { kind: "immutable", etag: `${name}/${path}`, isPrivate }
        : mutable;
      return reply(ctx, data, OCTETS, policy);
    }
  } catch (err) {
    if (err instanceof LogKeyError) {
      throw new HttpError(503, `checksum database ${name} cannot sign: ${err.message}`);
    }
    throw err;
  }
  throw new HttpError(404, `checksum database ${name} has no ${JSON.stringify(path)}`);
};

/**
 * The lookup answer of a module version the owner's log lacks, after appending the upstream
 * checksum database's verified record of it; 404 (never asking upstream) for paths the owner
 * hosts or declares private, for invalid module versions, and without an upstream database.
 */
async function lookupAfterUpstreamAppend(
  ctx: RequestContext,
  owner: UserRecord,
  name: string,
  mv: { path: string; version: string },
): Promise<string> {
  const missing = `${mv.path}@${mv.version} is not in checksum database ${name}`;
  const pullThrough = ctx.services.pullThrough;
  const appends = pullThrough?.logAppends;
  if (!pullThrough || !appends) {
    const how = pullThrough
      ? "--sumdb-upstream is off"
      : "no --upstream (MODYARD_UPSTREAM) is configured";
    throw new HttpError(
      404,
      `${missing}, and modyard cannot add public modules to it: ${how}. The operator can ` +
        `configure --upstream with --sumdb-upstream (MODYARD_SUMDB_UPSTREAM, default ` +
        `sum.golang.org); or list the path in GONOSUMDB to build without verifying it`,
    );
  }
  const problem = checkModulePath(mv.path) ??
    (canonicalVersion(mv.version) !== mv.version
      ? "the version is not canonical"
      : fitsKeyLimits(mv.path, mv.version)
      ? null
      : "the path or version is longer than modyard accepts");
  if (problem !== null) throw new HttpError(404, `${missing}: ${problem}`);
  if (await pullThrough.hostedOrPrivate(owner, mv.path)) {
    throw new HttpError(
      404,
      `${missing}: ${mv.path} is hosted by or private to ${owner.name}, so it is never looked ` +
        `up in checksum database ${pullThrough.sumdb!.name}`,
    );
  }
  try {
    await appends.append(owner.name, mv.path, mv.version);
  } catch (err) {
    if (err instanceof UpstreamError) {
      const headers = err.retryAfter ? { "retry-after": String(err.retryAfter) } : undefined;
      throw new HttpError(err.status, `${missing}: ${err.message}`, headers);
    }
    throw err;
  }
  ctx.services.invalidate(); // this process's cached answers of the log are stale now
  const answer = await ctx.services.logs.lookup(owner.name, mv.path, mv.version);
  if (answer === null) throw new HttpError(503, `${missing}: the log changed meanwhile; try again`);
  return answer;
}

/** The sources asked in order: the owner's own log first, then the upstream passthrough. */
export const SUMDB_SOURCES: SumdbSource[] = [ownerLogSource, upstreamSumdbSource];

/** Answers a `/sumdb/` request from the first source that claims its name, else 404. */
export async function serveSumdb(
  ctx: RequestContext,
  rest: string,
  sources: readonly SumdbSource[] = SUMDB_SOURCES,
): Promise<Response> {
  for (const source of sources) {
    const answer = await source(ctx, rest);
    if (answer) return answer;
  }
  throw new HttpError(404, NO_SUMDB_MESSAGE);
}

function bodyOf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}
