/**
 * Turns presented credentials into a principal: a token (looked up by its SHA-256, so the
 * check costs microseconds) or a user name and password (PBKDF2, slow on purpose; a success
 * is remembered briefly and concurrent slow checks are capped).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { keys } from "../store/keys.ts";
import { adminEverCreated, checkOwnerName } from "./accounts.ts";
import type {
  MemberRecord,
  MemberRole,
  PasswordHash,
  TokenRecord,
  UserRecord,
} from "../store/records.ts";
import {
  constantTimeEqual,
  PBKDF2_ITERATIONS,
  TOKEN_PREFIX,
  tokenHash,
  verifyPassword,
} from "./secrets.ts";
import type { StateCache } from "./state_cache.ts";

/** Credentials as presented in an `Authorization` header. */
export type Credentials =
  | { kind: "basic"; user: string; secret: string }
  | { kind: "token"; token: string };

/** Who is asking, and what they may do. */
export interface Principal {
  /** The authenticated user. */
  user: UserRecord;
  /** `write` for write tokens and passwords, `read` for read tokens. */
  scope: "read" | "write";
  /** Epoch ms until which these credentials stay valid without a new check. */
  validUntil: number;
  /** How the principal proved itself. */
  via: "token" | "password" | "bootstrap";
  /** Epoch ms when the token used expires (`Infinity` for none); only for `via: "token"`. */
  tokenExpiresAt?: number;
}

/** Thrown when too many password checks are already running. */
export class BusyError extends Error {
  /** Creates the error. */
  constructor() {
    super("Too many password checks in progress; use a token, or retry shortly");
    this.name = "BusyError";
  }
}

const PASSWORD_CACHE_MS = 60_000;
/** A hash no password matches (its salt and hash are zero bytes), for equal-time refusals. */
const DUMMY_HASH: PasswordHash = {
  algorithm: "PBKDF2-SHA256",
  iterations: PBKDF2_ITERATIONS,
  salt: new Uint8Array(16).toBase64(),
  hash: new Uint8Array(32).toBase64(),
};
const MAX_CONCURRENT_PASSWORD_CHECKS = 2;
const MAX_WAITING_PASSWORD_CHECKS = 32;

/** Authenticates credentials against the store, through the state cache. */
export class Authenticator {
  #running = 0;
  #checks = 0;
  #waiting: (() => void)[] = [];
  #verified = new Map<string, number>();

  /** Creates an authenticator reading through `cache`. */
  constructor(private readonly kv: Deno.Kv, private readonly cache: StateCache) {}

  /** The principal for `credentials`, or `null` when they are not valid. */
  async authenticate(credentials: Credentials): Promise<Principal | null> {
    if (credentials.kind === "token") return await this.#byToken(credentials.token, null);
    const { user, secret } = credentials;
    if (secret === "" && user.startsWith(TOKEN_PREFIX)) return await this.#byToken(user, null);
    if (secret.startsWith(TOKEN_PREFIX)) return await this.#byToken(secret, user);
    return await this.#byPassword(user, secret);
  }

  /** A user's role in an organisation, through the cache; `null` when not a member. */
  role(org: string, user: string): Promise<MemberRole | null> {
    if (checkOwnerName(org) !== null || checkOwnerName(user) !== null) return Promise.resolve(null);
    return this.cache.get("member", `${org}\0${user}`, async () => {
      return (await this.kv.get<MemberRecord>(keys.member(org, user))).value?.role ?? null;
    });
  }

  /** Whether an admin was ever created (the bootstrap token is spent), through the cache. */
  adminEverCreated(): Promise<boolean> {
    return this.cache.get("meta", "admin-ever-created", () => adminEverCreated(this.kv));
  }

  /** Reads a user through the cache; a name no user can have is answered without a read. */
  user(name: string): Promise<UserRecord | null> {
    if (checkOwnerName(name) !== null) return Promise.resolve(null);
    return this.cache.get("user", name, async () => {
      return (await this.kv.get<UserRecord>(keys.user(name))).value;
    });
  }

  async #byToken(token: string, claimedUser: string | null): Promise<Principal | null> {
    const hash = tokenHash(token);
    const record = await this.cache.get("token", hash, async () => {
      return (await this.kv.get<TokenRecord>(keys.token(hash))).value;
    });
    if (!record) return null;
    if (record.expiresAt && Date.parse(record.expiresAt) <= Date.now()) return null;
    if (claimedUser !== null && !constantTimeEqual(claimedUser, record.user)) return null;
    const user = await this.user(record.user);
    const validUntil = record.expiresAt ? Date.parse(record.expiresAt) : Infinity;
    return user && !user.deleted && user.kind !== "org"
      ? { user, scope: record.scope, validUntil, via: "token", tokenExpiresAt: validUntil }
      : null;
  }

  async #byPassword(name: string, password: string): Promise<Principal | null> {
    const user = await this.user(name);
    if (!user?.password || user.deleted || user.kind === "org") {
      // As slow as a real check, so timing does not tell which accounts have a password.
      await this.#capped(() => verifyPassword(password, DUMMY_HASH));
      return null;
    }
    const fingerprint = createHash("sha256")
      .update(`${name}\0${password}\0${user.password.hash}`).digest("hex");
    // The fingerprint covers the stored hash, so a changed password (seen through the
    // fresh user record) never matches a remembered success.
    const remembered = this.#verified.get(fingerprint);
    if (remembered !== undefined && remembered > Date.now()) {
      return { user, scope: "write", validUntil: remembered, via: "password" };
    }
    const ok = await this.#capped(() => verifyPassword(password, user.password!));
    if (!ok) return null;
    if (this.#verified.size >= 10_000) this.#verified.clear();
    const validUntil = Date.now() + PASSWORD_CACHE_MS;
    this.#verified.set(fingerprint, validUntil);
    return { user, scope: "write", validUntil, via: "password" };
  }

  /** Password derivations run so far (real and equal-time dummy ones alike). */
  get passwordChecks(): number {
    return this.#checks;
  }

  async #capped<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= MAX_CONCURRENT_PASSWORD_CHECKS) {
      if (this.#waiting.length >= MAX_WAITING_PASSWORD_CHECKS) throw new BusyError();
      // A finishing check hands its slot straight to the next waiter.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      this.#checks++;
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
