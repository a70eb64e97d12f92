/**
 * The outbox: a change that an owner's webhooks subscribe to writes its event in the SAME
 * atomic commit as the change itself, so an event exists exactly when its change does (a
 * refused or failed change writes none), whatever happens to the process afterwards. The
 * delivery loop (src/webhooks/dispatcher.ts) fans events out into deliveries.
 *
 * The change reads one small key, the owner's webhook index, alongside the keys it reads
 * anyway; without a subscribed webhook nothing but that read is added.
 *
 * @module
 */

import { keys } from "../store/keys.ts";
import type { OutboxEvent, WebhookEventName, WebhookIndex } from "../store/records.ts";
import { sortableId } from "./events.ts";

/** The key a change reads to learn whether the owner's webhooks want its event. */
export function webhookIndexKey(owner: string): Deno.KvKey {
  return keys.webhookIndex(owner);
}

/** Reads an owner's webhook index (for changes that do not read it in a `getMany`). */
export function readWebhookIndex(
  kv: Deno.Kv,
  owner: string,
): Promise<Deno.KvEntryMaybe<WebhookIndex>> {
  return kv.get<WebhookIndex>(keys.webhookIndex(owner));
}

/** What happened, for {@link addWebhookEvent}. */
export interface ChangeEvent {
  /** The owner it happened to. */
  owner: string;
  /** The event. */
  event: WebhookEventName;
  /** Who did it. */
  actor: string;
  /** Facts copied into the delivered JSON (module, version, h1, …). */
  fields: Record<string, string>;
}

/**
 * Adds the event to the change's atomic operation when one of the owner's webhooks
 * subscribes to it. The index entry (as read by the change) is checked, so a webhook added
 * or removed meanwhile makes the commit fail and the change retry with the new index.
 *
 * @example
 * ```ts
 * const index = await readWebhookIndex(kv, "alice");
 * addWebhookEvent(op, index, { owner: "alice", event: "delete", actor: "alice", fields: {} });
 * ```
 */
export function addWebhookEvent(
  op: Deno.AtomicOperation,
  index: Deno.KvEntryMaybe<WebhookIndex>,
  change: ChangeEvent,
): Deno.AtomicOperation {
  op.check(index);
  if (!index.value?.hooks.some((h) => h.events.includes(change.event))) return op;
  const now = Date.now();
  const event: OutboxEvent = {
    id: sortableId(now),
    owner: change.owner,
    event: change.event,
    time: new Date(now).toISOString(),
    actor: change.actor,
    fields: change.fields,
  };
  return op.set(keys.webhookOutbox(event.id), event);
}
