/**
 * `PUT /api/packages/{owner}/go/upload`: publish the module zip in the body.
 *
 * @module
 */

import { ORIGIN_HEADER, parseOriginHeader } from "../registry/origin.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { json } from "./responses.ts";

/**
 * Authenticates, authorises, checks the declared size and the shape of an optional
 * `X-Modyard-Origin` header, publishes, answers 201.
 */
export async function uploadModule(ctx: RequestContext): Promise<Response> {
  const owner = await ctx.writableOwner("publish");
  const { maxZipSize } = ctx.services.limits;
  const declared = ctx.request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxZipSize) {
    throw new HttpError(
      413,
      `module zip is too large (${declared} bytes; limit is ${maxZipSize} bytes)`,
    );
  }
  const originHeader = ctx.request.headers.get(ORIGIN_HEADER);
  let origin;
  try {
    origin = originHeader === null ? undefined : parseOriginHeader(originHeader);
  } catch (err) {
    throw new HttpError(400, `${ORIGIN_HEADER}: ${(err as Error).message}`);
  }
  // Loaded on the first upload: zip validation pulls in node:crypto and node:zlib, whose
  // initialisation would otherwise cost every start of the server (see src/crypto/sha256.ts).
  const { PublishError, publishModule } = await import("../registry/publish.ts");
  try {
    const result = await publishModule(
      ctx.services.kv,
      owner.name,
      ctx.actor(),
      ctx.request.body,
      ctx.services.limits,
      origin,
    );
    ctx.services.invalidate();
    return json(result, 201);
  } catch (err) {
    if (err instanceof PublishError) throw new HttpError(err.status, err.message);
    throw err;
  }
}
