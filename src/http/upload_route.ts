/**
 * `PUT /api/packages/{owner}/go/upload`: publish the module zip in the body.
 *
 * @module
 */

import { PublishError, publishModule } from "../registry/publish.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./http_error.ts";
import { json } from "./responses.ts";

/** Authenticates, authorises, checks the declared size, publishes, answers 201. */
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
  try {
    const result = await publishModule(
      ctx.services.kv,
      owner.name,
      ctx.actor(),
      ctx.request.body,
      ctx.services.limits,
    );
    ctx.services.invalidate();
    return json(result, 201);
  } catch (err) {
    if (err instanceof PublishError) throw new HttpError(err.status, err.message);
    throw err;
  }
}
