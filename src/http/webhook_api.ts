/**
 * An owner's webhooks over HTTP, for the owner's admins (the user itself, members of an
 * organisation with role `owner`, server admins):
 *
 * - `GET|POST /api/v1/owners/{owner}/webhooks` — list; register `{url, events, secret?}` (without
 *   a secret one is made and answered this once)
 * - `DELETE /api/v1/owners/{owner}/webhooks/{id}`
 * - `GET /api/v1/owners/{owner}/webhooks/{id}/deliveries` — the last 50, with attempts
 * - `POST /api/v1/owners/{owner}/webhooks/{id}/deliveries/{delivery}/redeliver`
 *
 * Changes need a write token; secrets are never answered.
 *
 * @module
 */

import type { DeliveryRecord, WebhookRecord } from "../store/records.ts";
import type { WebhookSettings } from "../webhooks/dispatcher.ts";
import { listDeliveries, redeliver } from "../webhooks/deliveries.ts";
import { parseEvents } from "../webhooks/events.ts";
import {
  createWebhook,
  getWebhook,
  listWebhooks,
  MAX_SECRET_LENGTH,
  publicWebhook,
  removeWebhook,
  WebhookError,
} from "../webhooks/webhook_store.ts";
import type { RequestContext } from "./context.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";
import { readJsonObject } from "./json_body.ts";
import { json } from "./responses.ts";

/**
 * The owner, when the principal administers it: 401 without credentials, 404 for an
 * unknown owner, 403 for anyone but the user itself, an organisation's `owner` members and
 * admins, and for a read token when `write`.
 */
async function administeredOwner(ctx: RequestContext, write: boolean): Promise<string> {
  const p = ctx.principal;
  if (!p || p.via === "bootstrap") {
    throw new HttpError(401, "authentication required", BASIC_CHALLENGE);
  }
  const owner = await ctx.owner();
  const allowed = p.user.admin ||
    (owner.kind === "org" ? (await ctx.role(owner)) === "owner" : p.user.name === owner.name);
  if (!allowed) {
    throw new HttpError(
      403,
      `user ${JSON.stringify(p.user.name)} may not manage the webhooks of ${
        JSON.stringify(owner.name)
      }`,
    );
  }
  if (write && p.scope !== "write") {
    throw new HttpError(403, "this token has read scope; this needs a write token");
  }
  return owner.name;
}

/** Runs webhook work, turning its refusals into their status. */
async function webhookRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WebhookError) throw new HttpError(err.status, err.message);
    if (err instanceof RangeError) throw new HttpError(400, err.message);
    throw err;
  }
}

function webhookJson(hook: WebhookRecord) {
  const p = publicWebhook(hook);
  return {
    id: p.id,
    owner: p.owner,
    url: p.url,
    events: p.events,
    created_at: p.createdAt,
    created_by: p.createdBy,
    secret_sealed: p.secretSealed,
  };
}

/** The JSON of a delivery and its attempts. */
export function deliveryJson(d: DeliveryRecord) {
  return {
    id: d.id,
    event: d.event,
    event_id: d.eventId,
    created_at: d.createdAt,
    state: d.state,
    attempts_made: d.attemptsMade,
    attempts_left: d.attemptsLeft,
    next_attempt_at: d.state === "pending" && d.dueAt !== null
      ? new Date(d.dueAt).toISOString()
      : null,
    redelivery_of: d.redeliveryOf ?? null,
    payload: JSON.parse(d.body),
    attempts: d.attempts.map((a) => ({
      at: a.at,
      status: a.status,
      duration_ms: a.durationMs,
      error: a.error ?? null,
      response: a.response ?? null,
    })),
  };
}

/** `GET` and `POST /api/v1/owners/{owner}/webhooks`. */
export async function ownerWebhooks(
  ctx: RequestContext,
  settings: WebhookSettings,
): Promise<Response> {
  const kv = ctx.services.kv;
  if (ctx.request.method !== "POST") {
    const owner = await administeredOwner(ctx, false);
    return json((await listWebhooks(kv, owner)).map(webhookJson));
  }
  const owner = await administeredOwner(ctx, true);
  const b = await readJsonObject(ctx.request);
  const { url, events, secret } = b;
  if (typeof url !== "string" || url === "") {
    throw new HttpError(400, `"url" must be a non-empty string`);
  }
  const eventText = Array.isArray(events) && events.every((e) => typeof e === "string")
    ? events.join(",")
    : typeof events === "string"
    ? events
    : null;
  if (eventText === null || eventText.length > 200) {
    throw new HttpError(
      400,
      `"events" must be a list of event names (or one comma-separated string)`,
    );
  }
  if (secret !== undefined && (typeof secret !== "string" || secret.length > MAX_SECRET_LENGTH)) {
    throw new HttpError(
      400,
      `"secret" must be a string of at most ${MAX_SECRET_LENGTH} characters`,
    );
  }
  const made = secret === undefined ? crypto.getRandomValues(new Uint8Array(24)).toHex() : null;
  const hook = await webhookRequest(() =>
    createWebhook(kv, owner, { url, events: parseEvents(eventText), secret: made ?? secret! }, {
      allowPrivate: settings.allowPrivate,
      box: settings.box,
      actor: ctx.actor(),
    })
  );
  // A secret the server made is answered once, here; never again.
  return json({ ...webhookJson(hook), ...(made ? { secret: made } : {}) }, 201);
}

/** `DELETE /api/v1/owners/{owner}/webhooks/{id}`. */
export async function ownerWebhook(ctx: RequestContext): Promise<Response> {
  const owner = await administeredOwner(ctx, true);
  await webhookRequest(() => removeWebhook(ctx.services.kv, owner, ctx.params.id, ctx.actor()));
  return new Response(null, { status: 204 });
}

/** `GET /api/v1/owners/{owner}/webhooks/{id}/deliveries`. */
export async function webhookDeliveries(ctx: RequestContext): Promise<Response> {
  const owner = await administeredOwner(ctx, false);
  const hook = await webhookRequest(() => getWebhook(ctx.services.kv, owner, ctx.params.id));
  return json((await listDeliveries(ctx.services.kv, owner, hook.id)).map(deliveryJson));
}

/** `POST /api/v1/owners/{owner}/webhooks/{id}/deliveries/{delivery}/redeliver`: 202. */
export async function webhookRedeliver(
  ctx: RequestContext,
  settings: WebhookSettings,
): Promise<Response> {
  const owner = await administeredOwner(ctx, true);
  const hook = await webhookRequest(() => getWebhook(ctx.services.kv, owner, ctx.params.id));
  const delivery = await redeliver(
    ctx.services.kv,
    owner,
    hook.id,
    ctx.params.delivery,
    settings.attempts,
    ctx.actor(),
  );
  if (delivery === null) {
    throw new HttpError(
      404,
      `webhook ${hook.id} has no delivery ${JSON.stringify(ctx.params.delivery.slice(0, 40))}`,
    );
  }
  return json(deliveryJson(delivery), 202);
}
