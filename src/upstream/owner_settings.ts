/**
 * The per-owner switches of pull-through: on/off and the private path patterns, stored in
 * the owner's record (audited, and seen by every process within the state cache's bound).
 *
 * @module
 */

import { pathMatch } from "../gomod/match_prefix_patterns.ts";
import { AccountError, updateUser } from "../registry/accounts.ts";
import { type Actor, CLI_ACTOR } from "../registry/audit.ts";

/** Longest private-paths list. */
export const MAX_PRIVATE_PATHS_LENGTH = 4096;

/** Said when pull-through is switched on while this server has no upstream configured. */
export const NO_UPSTREAM_WARNING =
  "pull-through is on for this owner, but this server has no --upstream / MODYARD_UPSTREAM: it serves hosted modules only until one is configured";

/** Turns pull-through on or off for an owner. */
export async function setPullThrough(
  kv: Deno.Kv,
  owner: string,
  on: boolean,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  await updateUser(kv, owner, (u) => ({ ...u, pullThrough: on }), {
    actor,
    action: "pull_through.change",
    detail: { pull_through: String(on) },
  });
}

/**
 * Checks a GOPRIVATE-style list; returns a reason when it is refused, else `null`.
 *
 * @example
 * ```ts
 * checkPrivatePaths("corp.example.com,*.internal"); // null
 * checkPrivatePaths("corp.example.com/["); // a reason
 * ```
 */
export function checkPrivatePaths(patterns: string): string | null {
  if (patterns.length > MAX_PRIVATE_PATHS_LENGTH) {
    return `private paths must have at most ${MAX_PRIVATE_PATHS_LENGTH} characters`;
  }
  if (/[\s\p{Cc}]/u.test(patterns)) {
    return "private paths must not contain spaces or control characters";
  }
  for (const glob of patterns.split(",")) {
    if (glob !== "" && pathMatch(glob.replace(/\/$/, ""), "") === null) {
      return `private path pattern ${JSON.stringify(glob.slice(0, 80))} is malformed`;
    }
  }
  return null;
}

/** Sets an owner's private path patterns (`""` clears them). */
export async function setPrivatePaths(
  kv: Deno.Kv,
  owner: string,
  patterns: string,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  const problem = checkPrivatePaths(patterns);
  if (problem) throw new AccountError(problem);
  await updateUser(kv, owner, (u) => {
    const { privatePaths: _, ...rest } = u;
    return patterns === "" ? rest : { ...rest, privatePaths: patterns };
  }, {
    actor,
    action: "private_paths.change",
    detail: { private_paths: patterns },
  });
}
