/**
 * The webhook events, their names on the command line and in the API, and the ids of events
 * and deliveries (time-sortable, so a listing is in order).
 *
 * @module
 */

import type { WebhookEventName } from "../store/records.ts";

/** Every event a webhook can subscribe to. */
export const WEBHOOK_EVENTS: readonly WebhookEventName[] = [
  "publish",
  "delete",
  "pin.clear",
  "owner.visibility",
];

/**
 * Parses a comma-separated event list (`publish,delete`); throws a `RangeError` naming an
 * unknown event. Duplicates are dropped; the order is {@link WEBHOOK_EVENTS}'.
 *
 * @example
 * ```ts
 * parseEvents("delete,publish"); // ["publish", "delete"]
 * ```
 */
export function parseEvents(text: string): WebhookEventName[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) {
    throw new RangeError(`events must name at least one of ${WEBHOOK_EVENTS.join(", ")}`);
  }
  for (const name of names) {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(name)) {
      throw new RangeError(
        `unknown event ${JSON.stringify(name.slice(0, 40))}; events are ${
          WEBHOOK_EVENTS.join(", ")
        }`,
      );
    }
  }
  return WEBHOOK_EVENTS.filter((e) => names.includes(e));
}

/**
 * A fresh id that sorts by time: 13 digits of epoch milliseconds, then 8 random hex digits.
 *
 * @example
 * ```ts
 * sortableId(1700000000000); // "1700000000000-3f9a0c1d"
 * ```
 */
export function sortableId(now = Date.now()): string {
  return `${String(now).padStart(13, "0")}-${crypto.getRandomValues(new Uint8Array(4)).toHex()}`;
}
