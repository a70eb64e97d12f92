/**
 * Users and tokens: creation, listing, revocation. Used by the CLI and the HTTP API.
 *
 * @module
 */

import { RESERVED_NAMES } from "./reserved_names.ts";
import { keys } from "../store/keys.ts";
import type {
  MemberRecord,
  MemberRole,
  TokenRecord,
  UserRecord,
  VersionRecord,
} from "../store/records.ts";
import { deleteVersion, NotFoundError } from "./lifecycle.ts";
import { hashPassword, newToken, tokenHash } from "./secrets.ts";
import { type Actor, audit, CLI_ACTOR } from "./audit.ts";
import { bumpGeneration } from "./state_cache.ts";
import { addWebhookEvent, readWebhookIndex } from "../webhooks/outbox.ts";

/** Thrown for a request the account rules refuse; the message says why. */
export class AccountError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AccountError";
  }
}

/**
 * Checks an owner name: 1–64 characters of lowercase letters, digits, `-`, `_`, `.`,
 * starting with a letter or digit, and not reserved.
 *
 * @example
 * ```ts
 * checkOwnerName("alice"); // null
 * checkOwnerName("Alice"); // "owner name \"Alice\" …"
 * ```
 */
export function checkOwnerName(name: string): string | null {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
    return `owner name ${
      JSON.stringify(name)
    } must be 1-64 characters of lowercase letters, digits, "-", "_" and ".", starting with a letter or digit`;
  }
  if (RESERVED_NAMES.has(name)) return `owner name ${JSON.stringify(name)} is reserved`;
  return null;
}

/** Shortest password accepted, on every path (CLI and HTTP). */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted (a bound on the work of hashing it). */
export const MAX_PASSWORD_LENGTH = 1024;
/** Longest token label. */
export const MAX_TOKEN_LABEL_LENGTH = 200;
/** Longest token lifetime: ten years. */
export const MAX_TOKEN_LIFETIME_MS = 3650 * 86_400_000;

/**
 * Checks a new password: {@link MIN_PASSWORD_LENGTH} to {@link MAX_PASSWORD_LENGTH}
 * characters. Returns the reason it is refused, or `null`.
 *
 * @example
 * ```ts
 * checkPassword("s3cret"); // "password must have at least 8 characters"
 * ```
 */
export function checkPassword(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  }
  return null;
}

/** Options of a new user. */
export interface UserOptions {
  /** Whether the user administers the registry. */
  admin?: boolean;
  /** Initial password (checked by {@link checkPassword}). */
  password?: string;
  /** Who may read the user's modules. */
  visibility?: "public" | "private";
  /**
   * Create the user only if no admin was ever created (the bootstrap token's one job):
   * checked in the same atomic commit, so racing requests make one admin at most.
   */
  onlyAsFirstAdmin?: boolean;
}

/**
 * Creates a user; refuses an invalid or taken name. Creating an admin writes the
 * first-admin marker, which ends the bootstrap token's use for good.
 */
export async function createUser(
  kv: Deno.Kv,
  name: string,
  options: UserOptions = {},
): Promise<UserRecord> {
  const problem = checkOwnerName(name) ??
    (options.password === undefined ? null : checkPassword(options.password));
  if (problem) throw new AccountError(problem);
  const user: UserRecord = {
    name,
    admin: options.admin ?? false,
    visibility: options.visibility ?? "public",
    createdAt: new Date().toISOString(),
  };
  if (options.password !== undefined) user.password = await hashPassword(options.password);
  const op = kv.atomic().check({ key: keys.user(name), versionstamp: null })
    .set(keys.user(name), user);
  if (options.onlyAsFirstAdmin) op.check({ key: keys.firstAdmin(), versionstamp: null });
  if (user.admin) op.set(keys.firstAdmin(), { name, time: user.createdAt });
  const res = await bumpGeneration(op).commit();
  if (!res.ok) {
    if (options.onlyAsFirstAdmin && (await kv.get(keys.firstAdmin())).value !== null) {
      throw new AccountError("an admin already exists");
    }
    throw await nameTaken(kv, name);
  }
  return user;
}

/**
 * Whether an admin was ever created (the marker, or for stores from before the marker, an
 * active admin). The bootstrap token only works while this is false.
 */
export async function adminEverCreated(kv: Deno.Kv): Promise<boolean> {
  if ((await kv.get(keys.firstAdmin())).value !== null) return true;
  for await (const e of kv.list<UserRecord>({ prefix: keys.users() })) {
    if (e.value.admin && !e.value.deleted) return true;
  }
  return false;
}

async function nameTaken(kv: Deno.Kv, name: string): Promise<AccountError> {
  const existing = (await kv.get<UserRecord>(keys.user(name))).value;
  if (existing?.deleted) {
    return new AccountError(
      `owner name ${
        JSON.stringify(name)
      } is reserved: it was deleted on ${existing.deleted} and its versions stay pinned`,
    );
  }
  return new AccountError(`owner ${JSON.stringify(name)} already exists`);
}

/** Creates an organisation with `owner` (an existing user) as its first member, role `owner`. */
export async function createOrg(
  kv: Deno.Kv,
  name: string,
  owner: string,
  options: { visibility?: "public" | "private" } = {},
  actor: Actor = CLI_ACTOR,
): Promise<UserRecord> {
  const problem = checkOwnerName(name);
  if (problem) throw new AccountError(problem);
  const first = await requireUser(kv, owner);
  if (first.value.kind === "org") throw new AccountError(`${owner} is an organisation, not a user`);
  const org: UserRecord = {
    name,
    kind: "org",
    admin: false,
    visibility: options.visibility ?? "public",
    createdAt: new Date().toISOString(),
  };
  const op = kv.atomic().check({ key: keys.user(name), versionstamp: null }).check(first)
    .set(keys.user(name), org)
    .set(keys.member(name, owner), { role: "owner" } satisfies MemberRecord);
  audit(op, actor, "org.create", name, { owner });
  if (!(await bumpGeneration(op).commit()).ok) throw await nameTaken(kv, name);
  return org;
}

/** Adds a member to an organisation or changes their role. */
export async function setMember(
  kv: Deno.Kv,
  org: string,
  user: string,
  role: MemberRole,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  const o = await requireUser(kv, org);
  if (o.value.kind !== "org") throw new AccountError(`${org} is not an organisation`);
  const u = await requireUser(kv, user);
  if (u.value.kind === "org" || u.value.deleted) {
    throw new AccountError(`${user} is not an active user`);
  }
  const op = kv.atomic().check(o).check(u).set(
    keys.member(org, user),
    { role } satisfies MemberRecord,
  );
  audit(op, actor, "member.set", org, { user, role });
  if (!(await bumpGeneration(op).commit()).ok) {
    throw new AccountError("changed meanwhile; try again");
  }
}

/** Removes a member from an organisation. */
export async function removeMember(
  kv: Deno.Kv,
  org: string,
  user: string,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  if (checkOwnerName(org) !== null || checkOwnerName(user) !== null) {
    throw new AccountError(`${user.slice(0, 80)} is not a member of ${org.slice(0, 80)}`);
  }
  const member = await kv.get<MemberRecord>(keys.member(org, user));
  if (member.value === null) throw new AccountError(`${user} is not a member of ${org}`);
  const op = kv.atomic().check(member).delete(member.key);
  audit(op, actor, "member.remove", org, { user });
  if (!(await bumpGeneration(op).commit()).ok) {
    throw new AccountError("changed meanwhile; try again");
  }
}

/**
 * Deletes a user or organisation. The name stays reserved (nobody can re-register it and
 * serve other bytes at the same GOPROXY URL), credentials stop working at once and are
 * removed (tokens revoked, memberships in organisations and an organisation's members
 * dropped, so a later restore brings none of them back), its versions are deleted (their
 * chunks reclaimed after the grace period) and their pins stay.
 */
export async function deleteOwner(
  kv: Deno.Kv,
  name: string,
  actor: Actor = CLI_ACTOR,
  graceMs = 0,
): Promise<void> {
  await updateUser(kv, name, (u) => {
    if (u.deleted) throw new AccountError(`${name} is already deleted`);
    return { ...u, deleted: new Date().toISOString(), password: undefined };
  }, { actor, action: "owner.delete" });
  await removeCredentials(kv, name);
  for await (const e of kv.list<VersionRecord>({ prefix: keys.ownerVersions(name) })) {
    await deleteVersion(kv, name, e.value.module, e.value.version, actor, graceMs).catch((err) => {
      if (!(err instanceof NotFoundError)) throw err; // deleted meanwhile
    });
  }
}

/** Deletes an owner's tokens and memberships (either side), in commits of bounded size. */
async function removeCredentials(kv: Deno.Kv, name: string): Promise<void> {
  const doomed: Deno.KvKey[] = [];
  for await (const e of kv.list<string>({ prefix: keys.userTokens(name) })) {
    doomed.push(keys.token(e.value), e.key);
  }
  for await (const e of kv.list({ prefix: keys.members(name) })) doomed.push(e.key);
  for await (const e of kv.list({ prefix: keys.allMembers() })) {
    if (e.key[2] === name) doomed.push(e.key);
  }
  for (let i = 0; i < doomed.length; i += 500) {
    const op = kv.atomic();
    for (const key of doomed.slice(i, i + 500)) op.delete(key);
    await bumpGeneration(op).commit();
  }
}

/** Reads a user, or throws when it does not exist. */
export async function requireUser(kv: Deno.Kv, name: string): Promise<Deno.KvEntry<UserRecord>> {
  if (checkOwnerName(name) !== null) {
    throw new AccountError(`no user ${JSON.stringify(name.slice(0, 80))}`);
  }
  const entry = await kv.get<UserRecord>(keys.user(name));
  if (entry.value === null) throw new AccountError(`no user ${JSON.stringify(name)}`);
  return entry as Deno.KvEntry<UserRecord>;
}

/** Changes fields of a user with a compare-and-set, retrying on conflict. */
export async function updateUser(
  kv: Deno.Kv,
  name: string,
  change: (user: UserRecord) => UserRecord | Promise<UserRecord>,
  audited?: { actor: Actor; action: string; detail?: Record<string, string> },
  extend?: (op: Deno.AtomicOperation, before: UserRecord, after: UserRecord) => Promise<void>,
): Promise<UserRecord> {
  for (;;) {
    const entry = await requireUser(kv, name);
    const next = await change({ ...entry.value });
    const op = kv.atomic().check(entry).set(entry.key, next);
    if (audited) audit(op, audited.actor, audited.action, name, audited.detail);
    if (extend) await extend(op, entry.value, next);
    const res = await bumpGeneration(op).commit();
    if (res.ok) return next;
  }
}

/**
 * Gives a deleted owner's name back (an explicit, audited admin action). The pins of its old
 * versions still bind their content, so the name can never serve other bytes for them.
 */
export async function restoreOwner(
  kv: Deno.Kv,
  name: string,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  await updateUser(kv, name, (u) => {
    if (!u.deleted) throw new AccountError(`${name} is not deleted`);
    const { deleted: _, ...rest } = u;
    return rest;
  }, { actor, action: "owner.restore" });
}

/** Lists all users in name order. */
export async function listUsers(kv: Deno.Kv): Promise<UserRecord[]> {
  const out: UserRecord[] = [];
  for await (const e of kv.list<UserRecord>({ prefix: keys.users() })) out.push(e.value);
  return out;
}

/** Options of a new token. */
export interface TokenOptions {
  /** `read` (default) or `write`. */
  scope?: "read" | "write";
  /** Free text shown in listings. */
  label?: string;
  /** Expiry time. */
  expiresAt?: Date;
}

/** Creates a token for a user; returns the secret (shown once) and its record. */
export async function createToken(
  kv: Deno.Kv,
  user: string,
  options: TokenOptions = {},
  actor: Actor = CLI_ACTOR,
): Promise<{ token: string; record: TokenRecord }> {
  const owner = await requireUser(kv, user);
  if (owner.value.kind === "org" || owner.value.deleted) {
    throw new AccountError(`${user} is not an active user; tokens belong to users`);
  }
  const label = options.label ?? "";
  if (label.length > MAX_TOKEN_LABEL_LENGTH) {
    throw new AccountError(`label must have at most ${MAX_TOKEN_LABEL_LENGTH} characters`);
  }
  const expiry = options.expiresAt?.getTime();
  // A past expiry makes a token that never works; NaN and far futures are refused.
  if (expiry !== undefined && !(expiry <= Date.now() + MAX_TOKEN_LIFETIME_MS)) {
    throw new AccountError("a token must expire within ten years");
  }
  const token = newToken();
  const hash = tokenHash(token);
  const record: TokenRecord = {
    id: crypto.getRandomValues(new Uint8Array(6)).toHex(),
    user,
    scope: options.scope ?? "read",
    label,
    createdAt: new Date().toISOString(),
  };
  if (options.expiresAt) record.expiresAt = options.expiresAt.toISOString();
  const op = kv.atomic()
    .check(owner)
    .check({ key: keys.token(hash), versionstamp: null })
    .set(keys.token(hash), record)
    .set(keys.userToken(user, record.id), hash);
  audit(op, actor, "token.create", user, { id: record.id, scope: record.scope });
  const res = await bumpGeneration(op).commit();
  if (!res.ok) throw new AccountError("user changed while the token was created; try again");
  return { token, record };
}

/** Lists a user's tokens (never their secrets). */
export async function listTokens(kv: Deno.Kv, user: string): Promise<TokenRecord[]> {
  const out: TokenRecord[] = [];
  for await (const e of kv.list<string>({ prefix: keys.userTokens(user) })) {
    const token = await kv.get<TokenRecord>(keys.token(e.value));
    if (token.value) out.push(token.value);
  }
  return out;
}

/** Revokes a user's token by id; throws when there is no such token. */
export async function revokeToken(
  kv: Deno.Kv,
  user: string,
  id: string,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  if (checkOwnerName(user) !== null || !/^[0-9a-f]{12}$/.test(id)) {
    throw new AccountError(
      `user ${JSON.stringify(user.slice(0, 80))} has no token ${JSON.stringify(id.slice(0, 80))}`,
    );
  }
  const link = await kv.get<string>(keys.userToken(user, id));
  if (link.value === null) {
    throw new AccountError(`user ${JSON.stringify(user)} has no token ${JSON.stringify(id)}`);
  }
  const op = kv.atomic().delete(keys.token(link.value)).delete(keys.userToken(user, id));
  audit(op, actor, "token.revoke", user, { id });
  await bumpGeneration(op).commit();
}

/** Sets or replaces a user's password. */
export async function setPassword(kv: Deno.Kv, user: string, password: string): Promise<void> {
  const problem = checkPassword(password);
  if (problem) throw new AccountError(problem);
  const hashed = await hashPassword(password);
  await updateUser(kv, user, (u) => ({ ...u, password: hashed }));
}

/** Said when a public owner becomes private (by the admin API and the CLI). */
export const PRIVATE_AFTER_PUBLIC_WARNING =
  "answers already served publicly (.info, .mod, .zip: Cache-Control public, max-age one year, immutable) may stay in shared caches and proxies; purge them there, and treat versions published while public as disclosed";

/** Sets who may read an owner's modules; returns the visibility it had before. */
export async function setVisibility(
  kv: Deno.Kv,
  owner: string,
  visibility: "public" | "private",
  actor: Actor = CLI_ACTOR,
): Promise<"public" | "private"> {
  let before: "public" | "private" = visibility;
  await updateUser(kv, owner, (u) => {
    before = u.visibility;
    return { ...u, visibility };
  }, {
    actor,
    action: "visibility.change",
    detail: { visibility },
  }, async (op, old) => {
    if (old.visibility === visibility) return;
    addWebhookEvent(op, await readWebhookIndex(kv, owner), {
      owner,
      event: "owner.visibility",
      actor: actor.name,
      fields: { visibility, previous: old.visibility },
    });
  });
  return before;
}

/** Sets an owner's storage quota in bytes, or removes it (`null`: the default applies). */
export async function setQuota(
  kv: Deno.Kv,
  owner: string,
  bytes: number | null,
  actor: Actor = CLI_ACTOR,
): Promise<void> {
  const user = await requireUser(kv, owner);
  const op = kv.atomic().check(user);
  if (bytes === null) op.delete(keys.quota(owner));
  else op.set(keys.quota(owner), bytes);
  audit(op, actor, "quota.change", owner, { quota: bytes === null ? "default" : String(bytes) });
  if (!(await op.commit()).ok) throw new AccountError("owner changed meanwhile; try again");
}

/** An owner's usage counters and quota. */
export async function ownerUsage(
  kv: Deno.Kv,
  owner: string,
): Promise<{ bytes: number; versions: number; modules: number; quota: number | null }> {
  const [bytes, versions, modules, quota] = await kv.getMany<
    [Deno.KvU64, Deno.KvU64, Deno.KvU64, number]
  >([
    keys.counter(owner, "bytes"),
    keys.counter(owner, "versions"),
    keys.counter(owner, "modules"),
    keys.quota(owner),
  ]);
  const n = (e: Deno.KvEntryMaybe<Deno.KvU64>) => Number(e.value?.value ?? 0n);
  return { bytes: n(bytes), versions: n(versions), modules: n(modules), quota: quota.value };
}
