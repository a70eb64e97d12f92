/**
 * Deleting versions and lifting pins. A deleted version's pin stays, so the same version can
 * only ever come back with the same content; its chunks are reclaimed after a grace period
 * so downloads in progress are not cut off.
 *
 * @module
 */

import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import { keys } from "../store/keys.ts";
import type { LoggedVersion, PinRecord, VersionRecord } from "../store/records.ts";
import type { ReclaimMarker } from "../store/blob_store.ts";
import { type Actor, audit } from "./audit.ts";
import { bumpGeneration } from "./state_cache.ts";
import { addWebhookEvent, webhookIndexKey } from "../webhooks/outbox.ts";
import type { WebhookIndex } from "../store/records.ts";

/** Thrown when the thing to change does not exist. */
export class NotFoundError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

const U64 = 2n ** 64n;

/** A KV `sum` operand that subtracts `n` (sums wrap around at 2^64). */
function minus(n: bigint): bigint {
  return U64 - n;
}

/**
 * Deletes a published version: it leaves `list` and `@latest`, its files answer 410, the
 * owner's counters go down in the same commit, and its chunks are reclaimed after `graceMs`.
 */
export async function deleteVersion(
  kv: Deno.Kv,
  owner: string,
  module: string,
  version: string,
  actor: Actor,
  graceMs: number,
): Promise<VersionRecord> {
  if (!fitsKeyLimits(module, version)) throw new NotFoundError(`${module}@${version}: not found`);
  for (;;) {
    const [entry, pin, moduleCount, hooks] = await kv.getMany<
      [VersionRecord, PinRecord, Deno.KvU64, WebhookIndex]
    >([
      keys.version(owner, module, version),
      keys.pin(owner, module, version),
      keys.module(owner, module),
      webhookIndexKey(owner),
    ]);
    const record = entry.value;
    if (!record) throw new NotFoundError(`${module}@${version}: not found`);
    const now = Date.now();
    const pinned: PinRecord = {
      ...(pin.value ?? { h1: record.h1, goModH1: record.goModH1, pinnedAt: record.time }),
      deletedAt: new Date(now).toISOString(),
      deletedBy: actor.name,
    };
    const marker: ReclaimMarker = { owner, after: now + graceMs };
    const op = kv.atomic().check(entry).check(pin).check(moduleCount)
      .delete(entry.key)
      .set(keys.pin(owner, module, version), pinned)
      .set(keys.reclaim(record.blobId), marker)
      .sum(keys.counter(owner, "versions"), minus(1n))
      .sum(keys.counter(owner, "bytes"), minus(BigInt(record.size)));
    if ((moduleCount.value?.value ?? 0n) <= 1n) {
      // The module's last version: the module itself goes.
      op.delete(keys.module(owner, module)).sum(keys.counter(owner, "modules"), minus(1n));
    } else {
      op.sum(keys.module(owner, module), minus(1n));
    }
    audit(op, actor, "delete", `${owner}/${module}@${version}`, { h1: record.h1 });
    addWebhookEvent(op, hooks, {
      owner,
      event: "delete",
      actor: actor.name,
      fields: { module, version, h1: record.h1 },
    });
    if ((await bumpGeneration(op).commit()).ok) return record;
  }
}

/** A pin that cannot be lifted: the version is in its owner's checksum log. */
export class PinInLogError extends NotFoundError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PinInLogError";
  }
}

/**
 * Lifts the pin of a version so different content may be published under it. Only for a
 * version that is not currently published and not in its owner's checksum log (the log is
 * the pin, forever); audited.
 */
export async function clearPin(
  kv: Deno.Kv,
  owner: string,
  module: string,
  version: string,
  actor: Actor,
): Promise<PinRecord> {
  if (!fitsKeyLimits(module, version)) {
    throw new NotFoundError(`${owner}/${module}@${version} has no pin`);
  }
  for (;;) {
    const [pin, live, logged, hooks] = await kv.getMany<
      [PinRecord, VersionRecord, LoggedVersion, WebhookIndex]
    >([
      keys.pin(owner, module, version),
      keys.version(owner, module, version),
      keys.logEntry(owner, module, version),
      webhookIndexKey(owner),
    ]);
    if (logged.value) {
      throw new PinInLogError(
        `${owner}/${module}@${version} is in the checksum database of ${owner} ` +
          `(record ${logged.value.id}); its content is bound forever and its pin cannot be lifted`,
      );
    }
    if (!pin.value) throw new NotFoundError(`${owner}/${module}@${version} has no pin`);
    if (live.value) {
      throw new NotFoundError(
        `${owner}/${module}@${version} is published; delete it before lifting its pin`,
      );
    }
    const op = kv.atomic().check(pin).check(live).check(logged).delete(pin.key);
    audit(op, actor, "pin.clear", `${owner}/${module}@${version}`, { h1: pin.value.h1 });
    addWebhookEvent(op, hooks, {
      owner,
      event: "pin.clear",
      actor: actor.name,
      fields: { module, version, h1: pin.value.h1 },
    });
    if ((await bumpGeneration(op).commit()).ok) return pin.value;
  }
}
