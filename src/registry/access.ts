/**
 * Who may read and write which owner. Pure decisions over records.
 *
 * @module
 */

import type { MemberRole, UserRecord } from "../store/records.ts";
import type { Principal } from "./authenticate.ts";

/**
 * Whether `principal` may read the modules of `owner`: everyone for a public owner; for a
 * private one the owner itself, members of an organisation (any role) and admins. `role` is
 * the principal's membership role in `owner` when it is an organisation.
 *
 * @example
 * ```ts
 * canRead(publicOwner, null, null); // true
 * ```
 */
export function canRead(
  owner: UserRecord,
  principal: Principal | null,
  role: MemberRole | null,
): boolean {
  if (owner.visibility === "public") return true;
  if (principal === null) return false;
  return principal.user.admin || principal.user.name === owner.name || role !== null;
}

/**
 * Whether `principal` may publish to or delete from `owner`, ignoring the token scope (the
 * caller reports a missing write scope with its own reason): the user itself, a member of
 * the organisation with role `write` or `owner`, or an admin.
 *
 * @example
 * ```ts
 * canWrite(aliceRecord, alicePrincipal, null); // true
 * ```
 */
export function canWrite(
  owner: UserRecord,
  principal: Principal,
  role: MemberRole | null,
): boolean {
  if (principal.user.admin) return true;
  if (owner.kind === "org") return role === "write" || role === "owner";
  return principal.user.name === owner.name;
}
