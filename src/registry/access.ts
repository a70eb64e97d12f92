/**
 * Who may read and write which owner. Pure decisions over records.
 *
 * @module
 */

import type { UserRecord } from "../store/records.ts";
import type { Principal } from "./authenticate.ts";

/**
 * Whether `principal` may read the modules of `owner`: everyone for a public owner; the
 * owner itself and admins for a private one.
 *
 * @example
 * ```ts
 * canRead(publicOwner, null); // true
 * ```
 */
export function canRead(owner: UserRecord, principal: Principal | null): boolean {
  if (owner.visibility === "public") return true;
  return principal !== null && (principal.user.admin || principal.user.name === owner.name);
}

/**
 * Whether `principal` may publish to or delete from `owner`, ignoring the scope (the
 * caller reports a missing write scope separately, with its own reason).
 *
 * @example
 * ```ts
 * isOwnerOrAdmin(alice, alicePrincipal); // true
 * ```
 */
export function isOwnerOrAdmin(ownerName: string, principal: Principal): boolean {
  return principal.user.admin || principal.user.name === ownerName;
}
