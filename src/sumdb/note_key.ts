/**
 * Keys of Go's signed notes (golang.org/x/mod/sumdb/note): verifier keys
 * `<name>+<hash>+<base64(0x01 ‖ Ed25519 public key)>` and signer keys
 * `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ Ed25519 seed)>`, over Web Crypto. No I/O.
 *
 * @module
 */

import { sha256 } from "../crypto/sha256.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** The only key algorithm notes know: Ed25519. */
export const ALG_ED25519 = 1;

/** Longest key text accepted (a real key is well under 300 characters). */
export const MAX_KEY_LENGTH = 4096;

/**
 * The verifier key of sum.golang.org, as the `go` command knows it
 * (cmd/go/internal/modfetch/key.go); `GOSUMDB=sum.golang.org` means this key.
 */
export const SUM_GOLANG_ORG_KEY =
  "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

/** A key's reason for refusal, in x/mod's words (its `err.Error()`). */
export type KeyErrorReason =
  | "malformed verifier id"
  | "unknown verifier algorithm"
  | "invalid verifier hash";

/** A verifier or signer key that cannot be used; `reason` is x/mod's wording. */
export class KeyError extends SyntaxError {
  /** What x/mod's `NewVerifier`/`NewSigner` says of the same key. */
  readonly reason: KeyErrorReason;
  constructor(reason: KeyErrorReason, message: string) {
    super(message);
    this.name = "KeyError";
    this.reason = reason;
  }
}

/** Checks a signature of one key. */
export interface Verifier {
  /** Server name, e.g. `sum.golang.org`. */
  readonly name: string;
  /** The key hash (uint32). */
  readonly hash: number;
  /** Whether `sig` is a valid signature of `msg` by this key. */
  verify(msg: Uint8Array, sig: Uint8Array): Promise<boolean>;
}

/** Signs with one key. */
export interface Signer {
  /** Server name. */
  readonly name: string;
  /** The key hash (uint32). */
  readonly hash: number;
  /** The signature of `msg`. */
  sign(msg: Uint8Array): Promise<Uint8Array>;
}

/**
 * Whether `name` may name a key: non-empty, well-formed, no white space, no `+`.
 *
 * @example
 * ```ts
 * isValidKeyName("sum.golang.org"); // true
 * isValidKeyName("a b"); // false
 * ```
 */
export function isValidKeyName(name: string): boolean {
  return name !== "" && name.isWellFormed() && !KEY_NAME_FORBIDDEN.test(name);
}

/**
 * `+` and the Unicode White_Space characters (Go's `unicode.IsSpace`), spelled out: the
 * equivalent `/[\p{White_Space}+]/u` costs milliseconds to compile, at every start-up.
 */
const KEY_NAME_FORBIDDEN =
  /[+\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/**
 * The key hash: the first four bytes, big-endian, of SHA-256(name ‖ "\n" ‖ key), where
 * `key` is the algorithm byte followed by the public key.
 *
 * @example
 * ```ts
 * keyHash("PeterNeumann", publicKeyWithAlg).toString(16); // "c74f20a3"
 * ```
 */
export function keyHash(name: string, key: Uint8Array): number {
  const prefix = utf8.encode(name + "\n");
  const input = new Uint8Array(prefix.length + key.length);
  input.set(prefix);
  input.set(key, prefix.length);
  return new DataView(sha256(input).buffer).getUint32(0);
}

/** The hash as a key writes it: eight lowercase hex digits. */
export function formatKeyHash(hash: number): string {
  return hash.toString(16).padStart(8, "0");
}

/** Cuts `s` at the first `sep`: before and after (after is "" when there is none). */
function chop(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + sep.length)];
}

function parseKeyHash(hex: string): number | null {
  return /^[0-9a-fA-F]{8}$/.test(hex) ? parseInt(hex, 16) : null;
}

function quote(key: string): string {
  return JSON.stringify(key.length > 100 ? key.slice(0, 100) + "…" : key);
}

/** The parts of a verifier key, checked. */
export interface VerifierKey {
  /** Server name. */
  name: string;
  /** Key hash. */
  hash: number;
  /** The 32-byte Ed25519 public key (without the algorithm byte). */
  publicKey: Uint8Array;
}

/**
 * Parses and checks a verifier key (the `GOSUMDB` value), as x/mod's `NewVerifier` does.
 * Throws {@link KeyError}.
 *
 * @example
 * ```ts
 * parseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").name;
 * // "PeterNeumann"
 * ```
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (vkey.length > MAX_KEY_LENGTH) {
    throw new KeyError("malformed verifier id", `Verifier key is longer than ${MAX_KEY_LENGTH}`);
  }
  const [name, rest] = chop(vkey, "+");
  const [hex, b64] = chop(rest, "+");
  const hash = parseKeyHash(hex);
  const key = decodeBase64(b64);
  if (hash === null || key === null || !isValidKeyName(name) || key.length === 0) {
    throw new KeyError("malformed verifier id", `Malformed verifier key ${quote(vkey)}`);
  }
  if (hash !== keyHash(name, key)) {
    throw new KeyError("invalid verifier hash", `Verifier key ${quote(vkey)} has a wrong hash`);
  }
  if (key[0] !== ALG_ED25519) {
    throw new KeyError(
      "unknown verifier algorithm",
      `Verifier key ${quote(vkey)} uses unknown algorithm ${key[0]}`,
    );
  }
  if (key.length !== 33) {
    throw new KeyError("malformed verifier id", `Verifier key ${quote(vkey)} is not 32 bytes`);
  }
  return { name, hash, publicKey: key.slice(1) };
}

/**
 * Formats a verifier key from a name and a 32-byte Ed25519 public key (x/mod's
 * `NewEd25519VerifierKey`). Throws `RangeError` for another size, `TypeError` for a name.
 *
 * @example
 * ```ts
 * formatVerifierKey("sum.example", publicKey); // "sum.example+1a2b3c4d+A…"
 * ```
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (publicKey.length !== 32) {
    throw new RangeError(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  }
  if (!isValidKeyName(name)) throw new TypeError(`Invalid key name ${quote(name)}`);
  const key = new Uint8Array([ALG_ED25519, ...publicKey]);
  return `${name}+${formatKeyHash(keyHash(name, key))}+${encodeBase64(key)}`;
}

/**
 * Creates a {@link Verifier} from a verifier key. Throws {@link KeyError}.
 *
 * @example
 * ```ts
 * const v = await newVerifier("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
 * await v.verify(msg, sig); // true or false
 * ```
 */
export async function newVerifier(vkey: string): Promise<Verifier> {
  const { name, hash, publicKey } = parseVerifierKey(vkey);
  const key = await crypto.subtle.importKey("raw", new Uint8Array(publicKey), "Ed25519", false, [
    "verify",
  ]);
  return {
    name,
    hash,
    // A key that is no curve point, or any other Web Crypto failure, verifies nothing.
    verify: (msg, sig) =>
      sig.length === 64
        ? crypto.subtle.verify("Ed25519", key, new Uint8Array(sig), new Uint8Array(msg))
          .catch(() => false)
        : Promise.resolve(false),
  };
}

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Uint8Array.from(
  "302e020100300506032b657004220420".match(/../g)!,
  (hex) => parseInt(hex, 16),
);

async function importSeed(seed: Uint8Array): Promise<{ key: CryptoKey; publicKey: Uint8Array }> {
  const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]);
  const exportable = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", exportable);
  const publicKey = decodeBase64Url(jwk.x ?? "");
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]);
  return { key, publicKey };
}

function decodeBase64Url(s: string): Uint8Array {
  const std = s.replaceAll("-", "+").replaceAll("_", "/");
  const bytes = decodeBase64(std + "=".repeat((4 - std.length % 4) % 4));
  if (bytes === null || bytes.length !== 32) throw new Error("Web Crypto gave no Ed25519 key");
  return bytes;
}

/** The parts of a signer key, checked; `verifierKey` is the matching public key. */
export interface SignerKey {
  /** Server name. */
  name: string;
  /** Key hash (of the public key). */
  hash: number;
  /** The 32-byte Ed25519 seed. */
  seed: Uint8Array;
  /** The matching verifier key. */
  verifierKey: string;
}

/**
 * Parses and checks a signer key, as x/mod's `NewSigner` does (the hash must match the
 * public key derived from the seed). Throws {@link KeyError}.
 *
 * @example
 * ```ts
 * (await parseSignerKey("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"))
 *   .verifierKey; // "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
 * ```
 */
export async function parseSignerKey(skey: string): Promise<SignerKey> {
  return (await parseSigner(skey)).parts;
}

async function parseSigner(skey: string): Promise<{ parts: SignerKey; key: CryptoKey }> {
  // Never quote a signer key in an error: it is a secret.
  if (skey.length > MAX_KEY_LENGTH) {
    throw new KeyError("malformed verifier id", `Signer key is longer than ${MAX_KEY_LENGTH}`);
  }
  const [priv1, rest1] = chop(skey, "+");
  const [priv2, rest2] = chop(rest1, "+");
  const [name, rest3] = chop(rest2, "+");
  const [hex, b64] = chop(rest3, "+");
  const hash = parseKeyHash(hex);
  const key = decodeBase64(b64);
  if (
    priv1 !== "PRIVATE" || priv2 !== "KEY" || hash === null || key === null ||
    !isValidKeyName(name) || key.length === 0
  ) {
    throw new KeyError("malformed verifier id", "Malformed signer key");
  }
  if (key[0] !== ALG_ED25519) {
    throw new KeyError("unknown verifier algorithm", `Signer key uses unknown algorithm ${key[0]}`);
  }
  if (key.length !== 33) throw new KeyError("malformed verifier id", "Signer key is not 32 bytes");
  const seed = key.slice(1);
  const imported = await importSeed(seed);
  const verifierKey = formatVerifierKey(name, imported.publicKey);
  if (hash !== keyHash(name, new Uint8Array([ALG_ED25519, ...imported.publicKey]))) {
    throw new KeyError("invalid verifier hash", `Signer key for ${quote(name)} has a wrong hash`);
  }
  return { parts: { name, hash, seed, verifierKey }, key: imported.key };
}

/**
 * Creates a {@link Signer} from a signer key. Throws {@link KeyError}.
 *
 * @example
 * ```ts
 * const s = await newSigner(skey);
 * const sig = await s.sign(new TextEncoder().encode("text\n"));
 * ```
 */
export async function newSigner(skey: string): Promise<Signer> {
  const { parts: { name, hash }, key } = await parseSigner(skey);
  return {
    name,
    hash,
    sign: async (msg) =>
      new Uint8Array(await crypto.subtle.sign("Ed25519", key, new Uint8Array(msg))),
  };
}

/**
 * Formats the signer key of a 32-byte Ed25519 seed (for key files kept by the caller).
 *
 * @example
 * ```ts
 * await signerKeyFromSeed("sum.example", seed); // "PRIVATE+KEY+sum.example+…+A…"
 * ```
 */
export async function signerKeyFromSeed(name: string, seed: Uint8Array): Promise<string> {
  if (seed.length !== 32) {
    throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  }
  if (!isValidKeyName(name)) throw new TypeError(`Invalid key name ${quote(name)}`);
  const { publicKey } = await importSeed(seed);
  const hash = keyHash(name, new Uint8Array([ALG_ED25519, ...publicKey]));
  const privateKey = encodeBase64(new Uint8Array([ALG_ED25519, ...seed]));
  return `PRIVATE+KEY+${name}+${formatKeyHash(hash)}+${privateKey}`;
}

/**
 * Generates a new key pair for server `name` (x/mod's `GenerateKey`); `seed` defaults to
 * 32 fresh random bytes. The signer key is secret.
 *
 * @example
 * ```ts
 * const { signerKey, verifierKey } = await generateKey("example.com/sumdb");
 * ```
 */
export async function generateKey(
  name: string,
  seed: Uint8Array = crypto.getRandomValues(new Uint8Array(32)),
): Promise<{ signerKey: string; verifierKey: string }> {
  const signerKey = await signerKeyFromSeed(name, seed);
  return { signerKey, verifierKey: (await parseSignerKey(signerKey)).verifierKey };
}

const utf8 = new TextEncoder();
