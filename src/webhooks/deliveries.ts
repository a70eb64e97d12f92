/**
 * Deliveries: an outbox event becomes one delivery per subscribed webhook, each with a
 * queue entry `["webhook_queue", dueMs, …]`. A process takes a due delivery by moving its
 * queue entry to the end of a lease in one commit that checks the entry's versionstamp, so
 * two processes on one store never make the same attempt; a process that dies mid-attempt
 * leaves the entry, which falls due again when the lease ends. The last
 * {@link MAX_DELIVERIES_PER_WEBHOOK} deliveries of a webhook are kept, older ones dropped.
 *
 * @module
 */

import { type Actor, audit } from "../registry/audit.ts";
import { keys } from "../store/keys.ts";
import type {
  DeliveryAttempt,
  DeliveryRecord,
  OutboxEvent,
  WebhookIndex,
} from "../store/records.ts";
import { sortableId } from "./events.ts";

/** Deliveries kept per webhook (the newest; older ones are dropped, pending or not). */
export const MAX_DELIVERIES_PER_WEBHOOK = 50;
/**
 * Attempts kept in a delivery record: every attempt, as `--webhook-attempts` is at most this
 * (16 attempts with their 1 KiB answers and errors stay well under a KV value's 64 KiB).
 */
export const MAX_ATTEMPTS_KEPT = 16;
/** Longest wait between two attempts: one day. */
const MAX_BACKOFF_MS = 86_400_000;

/** The JSON body of an event, the same for every webhook, attempt and redelivery. */
export function eventBody(event: OutboxEvent): string {
  return JSON.stringify({
    event: event.event,
    event_id: event.id,
    time: event.time,
    owner: event.owner,
    actor: event.actor,
    ...event.fields,
  });
}

/** A new pending delivery of `body`, due now. */
function newDelivery(
  owner: string,
  webhookId: string,
  event: Pick<DeliveryRecord, "eventId" | "event" | "body">,
  attempts: number,
  now: number,
): DeliveryRecord {
  return {
    id: sortableId(now),
    webhookId,
    owner,
    eventId: event.eventId,
    event: event.event,
    body: event.body,
    createdAt: new Date(now).toISOString(),
    state: "pending",
    dueAt: now,
    attemptsLeft: attempts,
    attemptsMade: 0,
    attempts: [],
  };
}

/**
 * Adds `delivery` and its queue entry to `op`, and deletes the webhook's deliveries beyond
 * the newest {@link MAX_DELIVERIES_PER_WEBHOOK} (read before).
 */
async function addDelivery(
  kv: Deno.Kv,
  op: Deno.AtomicOperation,
  delivery: DeliveryRecord,
): Promise<void> {
  const { owner, webhookId } = delivery;
  op.set(keys.webhookDelivery(owner, webhookId, delivery.id), delivery)
    .set(keys.webhookQueue(delivery.dueAt!, owner, webhookId, delivery.id), 1);
  let kept = 1;
  for await (
    const e of kv.list<DeliveryRecord>({ prefix: keys.webhookDeliveries(owner, webhookId) }, {
      reverse: true,
    })
  ) {
    if (kept++ < MAX_DELIVERIES_PER_WEBHOOK) continue;
    op.delete(e.key);
    if (e.value.dueAt !== null) {
      op.delete(keys.webhookQueue(e.value.dueAt, owner, webhookId, e.value.id));
    }
  }
}

/**
 * Turns one outbox event into deliveries for the owner's webhooks that subscribe to it, in
 * one commit that deletes the event (checked, so only one process fans it out). Resolves
 * how many deliveries were made (0 also when another process was first).
 */
export async function fanOut(
  kv: Deno.Kv,
  entry: Deno.KvEntry<OutboxEvent>,
  attempts: number,
): Promise<number> {
  const event = entry.value;
  const index = await kv.get<WebhookIndex>(keys.webhookIndex(event.owner));
  const hooks = (index.value?.hooks ?? []).filter((h) => h.events.includes(event.event));
  const op = kv.atomic().check(entry).delete(entry.key);
  const now = Date.now();
  const body = eventBody(event);
  for (const hook of hooks) {
    const delivery = newDelivery(
      event.owner,
      hook.id,
      { eventId: event.id, event: event.event, body },
      attempts,
      now,
    );
    await addDelivery(kv, op, delivery);
  }
  return (await op.commit()).ok ? hooks.length : 0;
}

/** A delivery this process holds the lease of. */
export interface TakenDelivery {
  /** The delivery as taken (its `dueAt` is the lease end). */
  record: DeliveryRecord;
  /** Versionstamp of the record after taking it. */
  versionstamp: string;
}

/**
 * Takes the delivery of a due queue entry for `leaseMs`: one commit moves the entry to the
 * lease end and updates the record, checking both. `null` when another process took it
 * first, or when the entry was stale (its delivery is gone or due at another time; the
 * entry is then removed).
 */
export async function takeDelivery(
  kv: Deno.Kv,
  queued: Deno.KvEntry<unknown>,
  leaseMs: number,
): Promise<TakenDelivery | null> {
  const [, due, owner, webhookId, id] = queued.key as [string, number, string, string, string];
  const entry = await kv.get<DeliveryRecord>(keys.webhookDelivery(owner, webhookId, id));
  if (entry.value === null || entry.value.dueAt !== due) {
    await kv.atomic().check(queued).delete(queued.key).commit();
    return null;
  }
  const leaseEnd = Math.max(Date.now() + leaseMs, due + 1);
  const record: DeliveryRecord = { ...entry.value, dueAt: leaseEnd };
  const res = await kv.atomic().check(queued).check(entry)
    .delete(queued.key)
    .set(keys.webhookQueue(leaseEnd, owner, webhookId, id), 1)
    .set(entry.key, record)
    .commit();
  return res.ok ? { record, versionstamp: res.versionstamp } : null;
}

/** Milliseconds before attempt `made + 1`, after `made` attempts: `backoffMs` doubled each time. */
export function backoffDelay(made: number, backoffMs: number): number {
  return Math.min(backoffMs * 2 ** Math.max(0, made - 1), MAX_BACKOFF_MS);
}

/**
 * Records an attempt of a taken delivery: delivered on success; else due again after the
 * backoff while attempts are left, failed otherwise. Resolves `false` when the delivery
 * changed meanwhile (removed, trimmed, or its lease lost), and then records nothing.
 */
export async function finishAttempt(
  kv: Deno.Kv,
  taken: TakenDelivery,
  attempt: DeliveryAttempt,
  backoffMs: number,
): Promise<boolean> {
  const r = taken.record;
  const made = r.attemptsMade + 1;
  const left = r.attemptsLeft - 1;
  const succeeded = attempt.error === undefined;
  const now = Date.now();
  const next: DeliveryRecord = {
    ...r,
    attemptsMade: made,
    attemptsLeft: succeeded ? 0 : left,
    attempts: [...r.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT),
    state: succeeded ? "delivered" : left > 0 ? "pending" : "failed",
    dueAt: !succeeded && left > 0 ? now + backoffDelay(made, backoffMs) : null,
  };
  const key = keys.webhookDelivery(r.owner, r.webhookId, r.id);
  const op = kv.atomic().check({ key, versionstamp: taken.versionstamp })
    .delete(keys.webhookQueue(r.dueAt!, r.owner, r.webhookId, r.id))
    .set(key, next);
  if (next.dueAt !== null) op.set(keys.webhookQueue(next.dueAt, r.owner, r.webhookId, r.id), 1);
  return (await op.commit()).ok;
}

/**
 * Gives a taken delivery back without recording an attempt (the process is stopping): it is
 * due again at once, for another process or the next start, instead of at its lease end.
 */
export async function releaseDelivery(kv: Deno.Kv, taken: TakenDelivery): Promise<void> {
  const r = taken.record;
  const key = keys.webhookDelivery(r.owner, r.webhookId, r.id);
  const now = Date.now();
  await kv.atomic().check({ key, versionstamp: taken.versionstamp })
    .delete(keys.webhookQueue(r.dueAt!, r.owner, r.webhookId, r.id))
    .set(keys.webhookQueue(now, r.owner, r.webhookId, r.id), 1)
    .set(key, { ...r, dueAt: now } satisfies DeliveryRecord)
    .commit();
}

/** The newest deliveries of a webhook (at most {@link MAX_DELIVERIES_PER_WEBHOOK}), newest first. */
export async function listDeliveries(
  kv: Deno.Kv,
  owner: string,
  webhookId: string,
): Promise<DeliveryRecord[]> {
  const out: DeliveryRecord[] = [];
  for await (
    const e of kv.list<DeliveryRecord>({ prefix: keys.webhookDeliveries(owner, webhookId) }, {
      reverse: true,
      limit: MAX_DELIVERIES_PER_WEBHOOK,
    })
  ) out.push(e.value);
  return out;
}

/**
 * Delivers an earlier delivery's event again, as a new delivery with its own id and a fresh
 * set of `attempts` (the body, and so the signature, is the same). Resolves the new
 * delivery, or `null` when there is no such delivery.
 */
export async function redeliver(
  kv: Deno.Kv,
  owner: string,
  webhookId: string,
  deliveryId: string,
  attempts: number,
  actor: Actor,
): Promise<DeliveryRecord | null> {
  if (!/^[0-9]{13}-[0-9a-f]{8}$/.test(deliveryId)) return null;
  for (;;) {
    const old = await kv.get<DeliveryRecord>(keys.webhookDelivery(owner, webhookId, deliveryId));
    if (old.value === null) return null;
    const delivery: DeliveryRecord = {
      ...newDelivery(owner, webhookId, old.value, attempts, Date.now()),
      redeliveryOf: old.value.id,
    };
    const hook = await kv.get(keys.webhook(owner, webhookId));
    if (hook.value === null) return null;
    // Checking the webhook: a removal meanwhile leaves no orphaned delivery behind.
    const op = kv.atomic().check(hook).check(old);
    await addDelivery(kv, op, delivery);
    audit(op, actor, "webhook.redeliver", owner, {
      webhook: webhookId,
      delivery: deliveryId,
      new: delivery.id,
    });
    if ((await op.commit()).ok) return delivery;
  }
}
