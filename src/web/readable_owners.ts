/**
 * Which owners a visitor may read, decided by the API's own rule ({@link canRead}) with the
 * visitor's role in each organisation; remembered for the length of one request.
 *
 * @module
 */

import { canRead } from "../registry/access.ts";
import type { Principal } from "../registry/authenticate.ts";
import type { Services } from "../http/context.ts";
import type { UserRecord } from "../store/records.ts";

/** Per-request memo of owner read decisions. */
export class ReadableOwners {
  #decided = new Map<string, UserRecord | null>();

  /** Creates the memo for `principal`. */
  constructor(private readonly services: Services, private readonly principal: Principal | null) {}

  /** Whether `owner` (a record already read) may be read. */
  async admits(owner: UserRecord): Promise<boolean> {
    if (owner.deleted) return false;
    const p = this.principal;
    const role = owner.kind === "org" && p
      ? await this.services.auth.role(owner.name, p.user.name)
      : null;
    return canRead(owner, p, role);
  }

  /** The owner named `name` if it exists and may be read, else `null`. */
  async get(name: string): Promise<UserRecord | null> {
    if (this.#decided.has(name)) return this.#decided.get(name)!;
    const owner = await this.services.auth.user(name);
    const ok = owner !== null && await this.admits(owner) ? owner : null;
    this.#decided.set(name, ok);
    return ok;
  }
}
