/**
 * The audit log: append an entry inside the same atomic commit as the change it records,
 * and read it back newest first.
 *
 * @module
 */

import { keys } from "../store/keys.ts";
import type { AuditRecord } from "../store/records.ts";

/** Who acts, and from where, for audit entries. */
export interface Actor {
  /** User name, or `cli`. */
  name: string;
  /** Client address, or `cli`. */
  client: string;
}

/** The actor of commands run on the store directly. */
export const CLI_ACTOR: Actor = { name: "cli", client: "cli" };

/**
 * A key id that sorts newest first: the time subtracted from a far-future bound, then
 * randomness so entries of one millisecond do not collide.
 */
function descendingId(now: number): string {
  const inverted = (9_999_999_999_999 - now).toString().padStart(13, "0");
  return `${inverted}-${crypto.getRandomValues(new Uint8Array(6)).toHex()}`;
}

/** Adds an audit entry to an atomic operation. */
export function audit(
  op: Deno.AtomicOperation,
  actor: Actor,
  action: string,
  target: string,
  detail?: Record<string, string>,
): Deno.AtomicOperation {
  const now = Date.now();
  const record: AuditRecord = {
    time: new Date(now).toISOString(),
    actor: actor.name,
    action,
    target,
    client: actor.client,
  };
  if (detail) record.detail = detail;
  return op.set(keys.audit(descendingId(now)), record);
}

/** One page of the audit log, newest first. */
export async function readAudit(
  kv: Deno.Kv,
  page: number,
  limit: number,
): Promise<{ entries: AuditRecord[]; more: boolean }> {
  const entries: AuditRecord[] = [];
  const skip = (page - 1) * limit;
  let i = 0;
  for await (
    const e of kv.list<AuditRecord>({ prefix: keys.audits() }, { limit: skip + limit + 1 })
  ) {
    if (i >= skip && entries.length < limit) entries.push(e.value);
    i++;
  }
  return { entries, more: i > skip + limit };
}
