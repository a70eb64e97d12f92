/**
 * Web UI sessions, kept server-side in KV. The cookie carries a random 256-bit id; the
 * store holds only its SHA-256, so a copy of the store cannot be replayed as cookies.
 * Sessions expire (absolute lifetime, KV `expireIn` plus a check on read) and each user
 * keeps at most {@link MAX_SESSIONS_PER_USER}: signing in sweeps the user's expired ones
 * and drops the oldest beyond the cap.
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha256.ts";
import { keys } from "../store/keys.ts";
import type { PasswordHash } from "../store/records.ts";

/** How long a session lasts from sign-in (12 hours). */
export const SESSION_LIFETIME_MS = 12 * 3600_000;
/** Most live sessions one user may have; signing in beyond it ends the oldest. */
export const MAX_SESSIONS_PER_USER = 20;
/** The session cookie's name. */
export const SESSION_COOKIE = "modyard_session";

/** What the store keeps about a session (never the id itself). */
export interface SessionRecord {
  /** The signed-in user. */
  user: string;
  /** `write` for passwords and write tokens, `read` for read tokens. */
  scope: "read" | "write";
  /** How the user signed in. */
  via: "password" | "token";
  /** SHA-256 of the token signed in with: the session ends when the token does. */
  tokenHash?: string;
  /**
   * Of a password sign-in: {@link passwordFingerprint} of the user's stored password then,
   * so the session ends when the password changes.
   */
  passwordFingerprint?: string;
  /** The CSRF synchronizer token of this session's forms. */
  csrf: string;
  /** Epoch ms of sign-in. */
  createdAt: number;
  /** Epoch ms the session ends. */
  expiresAt: number;
}

/**
 * A fingerprint of a stored password (SHA-256 of its salt and derived key): changes whenever
 * the password is set again, reveals nothing the stored hash does not. `""` without one.
 */
export function passwordFingerprint(password: PasswordHash | undefined): string {
  return password ? sha256Hex(`${password.salt}\0${password.hash}`) : "";
}

/** SHA-256 hex of a session id (the key it is stored under). */
export function sessionHash(id: string): string {
  return sha256Hex(id);
}

function randomId(): string {
  return crypto.getRandomValues(new Uint8Array(32))
    .toBase64({ alphabet: "base64url", omitPadding: true });
}

/** A well-formed session id: 43 base64url characters (anything else is never looked up). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Starts a session for `user`; returns the id for the cookie (shown only here). Sweeps the
 * user's expired sessions and ends the oldest beyond the cap.
 */
export async function createSession(
  kv: Deno.Kv,
  fields: Pick<SessionRecord, "user" | "scope" | "via" | "tokenHash" | "passwordFingerprint">,
  now = Date.now(),
): Promise<{ id: string; record: SessionRecord }> {
  const id = randomId();
  const hash = sessionHash(id);
  const record: SessionRecord = {
    ...fields,
    csrf: randomId(),
    createdAt: now,
    expiresAt: now + SESSION_LIFETIME_MS,
  };
  if (record.tokenHash === undefined) delete record.tokenHash;
  if (record.passwordFingerprint === undefined) delete record.passwordFingerprint;
  const live: { hash: string; expiresAt: number }[] = [];
  const ended: string[] = [];
  for await (const e of kv.list<number>({ prefix: keys.userSessions(fields.user) })) {
    const h = e.key[2] as string;
    if (e.value <= now) ended.push(h);
    else live.push({ hash: h, expiresAt: e.value });
  }
  live.sort((a, b) => a.expiresAt - b.expiresAt);
  while (live.length >= MAX_SESSIONS_PER_USER) ended.push(live.shift()!.hash);
  // At most MAX_SESSIONS_PER_USER + a few expired ones per commit: well under 1,000 mutations.
  for (let i = 0; i < ended.length; i += 400) {
    const op = kv.atomic();
    for (const h of ended.slice(i, i + 400)) {
      op.delete(keys.session(h)).delete(keys.userSession(fields.user, h));
    }
    await op.commit();
  }
  await kv.atomic()
    .set(keys.session(hash), record, { expireIn: SESSION_LIFETIME_MS })
    .set(keys.userSession(fields.user, hash), record.expiresAt, { expireIn: SESSION_LIFETIME_MS })
    .commit();
  return { id, record };
}

/** The live session a cookie value names, or `null` (unknown, malformed or expired). */
export async function readSession(
  kv: Deno.Kv,
  id: string,
  now = Date.now(),
): Promise<SessionRecord | null> {
  if (!SESSION_ID.test(id)) return null;
  const record = (await kv.get<SessionRecord>(keys.session(sessionHash(id)))).value;
  return record && record.expiresAt > now ? record : null;
}

/** Ends the session a cookie value names (nothing when there is none). */
export async function endSession(kv: Deno.Kv, id: string): Promise<void> {
  if (!SESSION_ID.test(id)) return;
  const hash = sessionHash(id);
  const record = (await kv.get<SessionRecord>(keys.session(hash))).value;
  const op = kv.atomic().delete(keys.session(hash));
  if (record) op.delete(keys.userSession(record.user, hash));
  await op.commit();
}

/** Ends every session of `user` (returns how many). */
export async function endUserSessions(kv: Deno.Kv, user: string): Promise<number> {
  let n = 0;
  for await (const e of kv.list({ prefix: keys.userSessions(user) })) {
    const h = e.key[2] as string;
    await kv.atomic().delete(keys.session(h)).delete(e.key).commit();
    n++;
  }
  return n;
}
