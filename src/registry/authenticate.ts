/**
 * Turns presented credentials into a principal: a token (looked up by its SHA-256, so the
 * check costs microseconds) or a user name and password (PBKDF2, slow on purpose; a success
 * is remembered briefly and concurrent slow checks are capped).
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha256.ts";
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

/**
 * Admission of slow password checks (the throttle): `admit` counts an attempt or throws to
 * refuse it; `succeeded` and `cancelled` uncount one that succeeded or never ran.
 */
export interface SlowCheckGate<T> {
  /** Counts an attempt, or throws to refuse it. */
  admit(): T;
  /** The attempt's check succeeded. */
  succeeded(ticket: T): void;
  /** The attempt's check never ran (all check slots busy). */
  cancelled(ticket: T): void;
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
  #inflight = new Map<string, Promise<boolean>>();

  /** Creates an authenticator reading through `cache`. */
  constructor(private readonly kv: Deno.Kv, private readonly cache: StateCache) {}

  /**
   * The principal for `credentials`, or `null` when they are not valid. A password check
   * that has to run (not remembered, not joining an identical check in flight) is first
   * admitted by `gate`, which may throw to refuse it; a success is taken back from it.
   */
  async authenticate<T>(
    credentials: Credentials,
    gate?: SlowCheckGate<T>,
  ): Promise<Principal | null> {
    if (credentials.kind === "token") return await this.#byToken(credentials.token, null);
    const { user, secret } = credentials;
    if (secret === "" && user.startsWith(TOKEN_PREFIX)) return await this.#byToken(user, null);
    if (secret.startsWith(TOKEN_PREFIX)) return await this.#byToken(secret, user);
    return await this.#byPassword(user, secret, gate as SlowCheckGate<unknown> | undefined);
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

  async #byPassword(
    name: string,
    password: string,
    gate: SlowCheckGate<unknown> | undefined,
  ): Promise<Principal | null> {
    const user = await this.user(name);
    const stored = user?.password && !user.deleted && user.kind !== "org" ? user.password : null;
    // The fingerprint covers the stored hash, so a changed password (seen through the fresh
    // user record) never matches a remembered success or joins an older check.
    const fingerprint = sha256Hex(`${name}\0${password}\0${stored?.hash ?? ""}`);
    const remembered = this.#verified.get(fingerprint);
    if (stored && remembered !== undefined && remembered > Date.now()) {
      return { user: user!, scope: "write", validUntil: remembered, via: "password" };
    }
    // Identical credentials arriving together (the go command fetches in parallel) share one
    // check, which counts as one attempt.
    let check = this.#inflight.get(fingerprint);
    if (!check) {
      check = this.#check(password, stored, gate);
      this.#inflight.set(fingerprint, check);
      check.finally(() => this.#inflight.delete(fingerprint)).catch(() => {});
    }
    if (!(await check) || !stored) return null;
    if (this.#verified.size >= 10_000) this.#verified.clear();
    const validUntil = Date.now() + PASSWORD_CACHE_MS;
    this.#verified.set(fingerprint, validUntil);
    return { user: user!, scope: "write", validUntil, via: "password" };
  }

  /**
   * One slow check, admitted by `gate` first. Without a stored hash it derives against a
   * dummy one, as slow as a real check, so timing does not tell which accounts have a
   * password.
   */
  async #check(
    password: string,
    stored: PasswordHash | null,
    gate: SlowCheckGate<unknown> | undefined,
  ): Promise<boolean> {
    const ticket = gate?.admit();
    let ok = false;
    try {
      ok = await this.#capped(() => verifyPassword(password, stored ?? DUMMY_HASH)) && !!stored;
    } catch (err) {
      if (err instanceof BusyError && gate) gate.cancelled(ticket);
      throw err;
    }
    if (ok && gate) gate.succeeded(ticket);
    return ok;
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
