/**
 * An owner's webhooks: create, list, read, remove. Each change rewrites the owner's webhook
 * index (the one small key that publishing, deleting and the other changes read) in the
 * same commit, and is audited.
 *
 * @module
 */

import { type Actor, audit } from "../registry/audit.ts";
import { keys } from "../store/keys.ts";
import type {
  DeliveryRecord,
  WebhookEventName,
  WebhookIndex,
  WebhookRecord,
} from "../store/records.ts";
import { checkWebhookUrl } from "./address_policy.ts";
import type { SecretBox } from "./secret_box.ts";

/** Most webhooks an owner may have. */
export const MAX_WEBHOOKS_PER_OWNER = 20;
/** Shortest secret accepted. */
export const MIN_SECRET_LENGTH = 8;
/** Longest secret accepted. */
export const MAX_SECRET_LENGTH = 1024;

/** Why a webhook request is refused: `400` bad input, `404` unknown, `409` over the limit. */
export class WebhookError extends Error {
  /** Creates the error. */
  constructor(readonly status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = "WebhookError";
  }
}

/** What a new webhook is made of. */
export interface NewWebhook {
  /** Target URL. */
  url: string;
  /** Events, at least one (already parsed). */
  events: WebhookEventName[];
  /** The HMAC secret. */
  secret: string;
}

/** The webhook without its secret, for listings. */
export type PublicWebhook = Omit<WebhookRecord, "secret"> & { secretSealed: boolean };

/** A webhook record without its secret. */
export function publicWebhook(hook: WebhookRecord): PublicWebhook {
  const { secret, ...rest } = hook;
  return { ...rest, secretSealed: secret.kind === "sealed" };
}

/**
 * Registers a webhook for `owner` (which the caller has checked exists). Throws
 * {@link WebhookError} for a bad URL or secret, or when the owner has
 * {@link MAX_WEBHOOKS_PER_OWNER} already.
 */
export async function createWebhook(
  kv: Deno.Kv,
  owner: string,
  input: NewWebhook,
  options: { allowPrivate: boolean; box: SecretBox; actor: Actor },
): Promise<WebhookRecord> {
  try {
    checkWebhookUrl(input.url, options.allowPrivate);
  } catch (err) {
    throw new WebhookError(400, (err as Error).message);
  }
  if (input.events.length === 0) throw new WebhookError(400, "a webhook needs at least one event");
  if (input.secret.length < MIN_SECRET_LENGTH || input.secret.length > MAX_SECRET_LENGTH) {
    throw new WebhookError(
      400,
      `the secret must have ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters`,
    );
  }
  const id = crypto.getRandomValues(new Uint8Array(6)).toHex();
  const hook: WebhookRecord = {
    id,
    owner,
    url: input.url,
    events: input.events,
    secret: await options.box.seal(input.secret, owner, id),
    createdAt: new Date().toISOString(),
    createdBy: options.actor.name,
  };
  for (;;) {
    const index = await kv.get<WebhookIndex>(keys.webhookIndex(owner));
    const hooks = index.value?.hooks ?? [];
    if (hooks.length >= MAX_WEBHOOKS_PER_OWNER) {
      throw new WebhookError(
        409,
        `${owner} has ${hooks.length} webhooks, the most an owner may have; remove one first`,
      );
    }
    const next: WebhookIndex = { hooks: [...hooks, { id, events: hook.events }] };
    const op = kv.atomic().check(index)
      .set(keys.webhookIndex(owner), next)
      .set(keys.webhook(owner, id), hook);
    audit(op, options.actor, "webhook.create", owner, { id, events: hook.events.join(",") });
    if ((await op.commit()).ok) return hook;
  }
}

/** An owner's webhooks, oldest first. */
export async function listWebhooks(kv: Deno.Kv, owner: string): Promise<WebhookRecord[]> {
  const out: WebhookRecord[] = [];
  for await (const e of kv.list<WebhookRecord>({ prefix: keys.webhooks(owner) })) {
    out.push(e.value);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** One webhook, or a 404 {@link WebhookError}. */
export async function getWebhook(kv: Deno.Kv, owner: string, id: string): Promise<WebhookRecord> {
  const hook = /^[0-9a-f]{12}$/.test(id)
    ? (await kv.get<WebhookRecord>(keys.webhook(owner, id))).value
    : null;
  if (!hook) {
    throw new WebhookError(404, `${owner} has no webhook ${JSON.stringify(id.slice(0, 40))}`);
  }
  return hook;
}

/**
 * Removes a webhook: it leaves the index at once (no new deliveries), then its deliveries
 * and their queue entries are deleted.
 */
export async function removeWebhook(
  kv: Deno.Kv,
  owner: string,
  id: string,
  actor: Actor,
): Promise<void> {
  await getWebhook(kv, owner, id);
  for (;;) {
    const index = await kv.get<WebhookIndex>(keys.webhookIndex(owner));
    const hooks = (index.value?.hooks ?? []).filter((h) => h.id !== id);
    const op = kv.atomic().check(index).delete(keys.webhook(owner, id));
    if (hooks.length === 0) op.delete(keys.webhookIndex(owner));
    else op.set(keys.webhookIndex(owner), { hooks } satisfies WebhookIndex);
    audit(op, actor, "webhook.remove", owner, { id });
    if ((await op.commit()).ok) break;
  }
  const doomed: Deno.KvKey[] = [];
  for await (
    const e of kv.list<DeliveryRecord>({ prefix: keys.webhookDeliveries(owner, id) })
  ) {
    doomed.push(e.key);
    if (e.value.dueAt !== null) {
      doomed.push(keys.webhookQueue(e.value.dueAt, owner, id, e.value.id));
    }
  }
  for (let i = 0; i < doomed.length; i += 500) {
    const op = kv.atomic();
    for (const key of doomed.slice(i, i + 500)) op.delete(key);
    await op.commit();
  }
}
