/**
 * Secrets: token generation and hashing, password hashing, constant-time comparison.
 *
 * @module
 */

import { sha256Hex } from "../crypto/sha256.ts";
import type { PasswordHash } from "../store/records.ts";

/** Every modyard token starts with this, so secret scanners can recognise leaked ones. */
export const TOKEN_PREFIX = "myd_";
/** PBKDF2-SHA256 iterations (OWASP 2023 recommendation). */
export const PBKDF2_ITERATIONS = 600_000;

/**
 * A new token: the prefix and 160 random bits in lowercase hex.
 *
 * @example
 * ```ts
 * newToken(); // "myd_3f2a…" (44 characters)
 * ```
 */
export function newToken(): string {
  return TOKEN_PREFIX + crypto.getRandomValues(new Uint8Array(20)).toHex();
}

/**
 * The hex SHA-256 under which a token is stored and looked up.
 *
 * @example
 * ```ts
 * tokenHash("myd_…").length; // 64
 * ```
 */
export function tokenHash(token: string): string {
  return sha256Hex(token);
}

/**
 * Compares two strings in time that depends only on their lengths.
 *
 * @example
 * ```ts
 * constantTimeEqual("a", "a"); // true
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = utf8.encode(a), eb = utf8.encode(b);
  // Unequal lengths: compare `a` with itself, so the time still depends on a's length only.
  const other = ea.length === eb.length ? eb : ea;
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < ea.length; i++) diff |= ea[i] ^ other[i];
  return diff === 0;
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Hashes a password with a fresh 128-bit salt. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return {
    algorithm: "PBKDF2-SHA256",
    iterations: PBKDF2_ITERATIONS,
    salt: salt.toBase64(),
    hash: hash.toBase64(),
  };
}

/** Checks a password against its stored hash, comparing in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const derived = await pbkdf2(password, Uint8Array.fromBase64(stored.salt), stored.iterations);
  return constantTimeEqual(derived.toBase64(), stored.hash);
}

const utf8 = new TextEncoder();
