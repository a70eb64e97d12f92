/**
 * `PUT /api/packages/{owner}/go/upload`: publish the module zip in the body.
 *
 * @module
 */

import { isOwnerOrAdmin } from "../registry/access.ts";
import { PublishError, publishModule } from "../registry/publish.ts";
import type { RequestContext } from "./context.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import { json } from "./responses.ts";

/** Authenticates, authorises, checks the declared size, publishes, answers 201. */
export async function uploadModule(ctx: RequestContext): Promise<Response> {
  const principal = ctx.principal;
  if (!principal) {
    throw new HttpError(401, "authentication required to publish", BASIC_CHALLENGE);
  }
  const ownerName = ctx.params.owner;
  if (!isOwnerOrAdmin(ownerName, principal)) {
    throw new HttpError(
      403,
      `user ${JSON.stringify(principal.user.name)} may not publish to owner ${
        JSON.stringify(ownerName)
      }`,
    );
  }
  if (principal.scope !== "write") {
    throw new HttpError(403, "this token has read scope; publishing needs a write token");
  }
  const owner = await ctx.owner();
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
