/**
 * The verifier key of an owner's checksum log, when it keeps one that answers (what users
 * put in `GOSUMDB`).
 *
 * @module
 */

import { keys } from "../store/keys.ts";
import type { LogMeta } from "../store/records.ts";

/** The owner's log verifier key, or `null` when it keeps no enabled log. */
export async function ownerLogKey(kv: Deno.Kv, owner: string): Promise<string | null> {
  const meta = (await kv.get<LogMeta>(keys.logMeta(owner))).value;
  return meta?.enabledAt !== undefined ? meta.verifierKey : null;
}
