/**
 * The JSON side of the owners' checksum logs: `GET /api/v1/packages/{owner}/sumdb` (the
 * `go` command's settings, for readers of the owner) and `PUT
 * /api/v1/admin/owners/{owner}/sumdb` (enable it, admins only; idempotent).
 *
 * @module
 */

import { enableLog, EnableLogError } from "../sumdb_log/enable.ts";
import type { LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";
import { logSettings } from "../sumdb_log/log_settings.ts";
import { LogKeyError } from "../sumdb_log/log_signer.ts";
import type { RequestContext } from "./context.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import { readJsonObject } from "./json_body.ts";
import { json } from "./responses.ts";

/** `GET /api/v1/packages/{owner}/sumdb`: the log's name, verifier key and settings. */
export async function ownerLogSettings(ctx: RequestContext): Promise<Response> {
  const owner = await ctx.readableOwner();
  const meta = (await ctx.services.kv.get<LogMeta>(keys.logMeta(owner.name))).value;
  if (meta?.enabledAt === undefined) {
    throw new HttpError(404, `${owner.name} has no checksum database`);
  }
  return settingsAnswer(ctx, meta, owner.name, owner.visibility === "private");
}

/** `PUT /api/v1/admin/owners/{owner}/sumdb` with an optional `{"name"}`: enables the log. */
export async function adminEnableLog(ctx: RequestContext): Promise<Response> {
  const p = ctx.principal;
  if (!p) throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  if (!p.user.admin) throw new HttpError(403, "only admins may do this");
  if (p.scope !== "write") {
    throw new HttpError(403, "this token has read scope; this needs a write token");
  }
  const body = ctx.request.headers.get("content-length") === "0" || !ctx.request.body
    ? {}
    : await readJsonObject(ctx.request);
  const name = body.name;
  if (name !== undefined && (typeof name !== "string" || name.length > 200)) {
    throw new HttpError(400, `"name" must be a string of at most 200 characters`);
  }
  const owner = ctx.params.owner;
  let meta: LogMeta;
  try {
    meta = await enableLog(ctx.services.kv, owner, {
      name: name as string | undefined,
      baseUrl: ctx.services.baseUrl,
      keyDir: ctx.services.logs.keyDir,
      actor: ctx.actor(),
    });
  } catch (err) {
    if (err instanceof EnableLogError) throw new HttpError(404, err.message);
    if (err instanceof TypeError) throw new HttpError(400, err.message);
    if (err instanceof LogKeyError) throw new HttpError(503, err.message);
    throw err;
  }
  ctx.services.invalidate();
  return settingsAnswer(ctx, meta, owner, true);
}

function settingsAnswer(
  ctx: RequestContext,
  meta: LogMeta,
  owner: string,
  isPrivate: boolean,
): Response {
  const s = logSettings(meta, ctx.link(new URL(`/api/packages/${owner}/go`, "http://x")));
  const response = json({
    name: s.name,
    verifier_key: s.verifierKey,
    key_custody: s.keyCustody,
    env: { GOPROXY: s.goproxy, GOSUMDB: s.verifierKey, GONOSUMDB: "", GOPRIVATE: "" },
  });
  response.headers.set("cache-control", isPrivate ? "private, no-cache" : "no-cache");
  if (isPrivate) response.headers.set("vary", "Authorization");
  return response;
}
