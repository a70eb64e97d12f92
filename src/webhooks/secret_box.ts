/**
 * Webhook secrets at rest. The HMAC needs the plain secret, so it cannot be hashed like a
 * token. With a webhook key (`MODYARD_WEBHOOK_KEY`: 32 bytes as 64 hex digits or base64,
 * from the environment only, kept outside the store) secrets are sealed with AES-256-GCM,
 * bound to their owner and webhook id, so a dump of the store does not reveal them; without
 * one they are stored in plain text (and `webhook add` says so).
 *
 * @module
 */

import type { StoredSecret } from "../store/records.ts";

const utf8 = new TextEncoder();

/**
 * Parses a webhook key: 64 hex digits or the base64 of 32 bytes. Throws a `RangeError`.
 *
 * @example
 * ```ts
 * parseWebhookKey("00".repeat(32)).length; // 32
 * ```
 */
export function parseWebhookKey(text: string): Uint8Array {
  const t = text.trim();
  let bytes: Uint8Array | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(t)) bytes = Uint8Array.fromHex(t);
  else {
    try {
      bytes = Uint8Array.fromBase64(t);
    } catch {
      bytes = null;
    }
  }
  if (bytes === null || bytes.length !== 32) {
    throw new RangeError("MODYARD_WEBHOOK_KEY must be 32 bytes: 64 hex digits or base64");
  }
  return bytes;
}

/** Seals and opens webhook secrets with the webhook key, when there is one. */
export class SecretBox {
  #raw: Uint8Array | null;
  #key: Promise<CryptoKey> | null = null;

  /** A box over the key text (`undefined` or `""`: no key, secrets stay plain). */
  constructor(keyText?: string) {
    this.#raw = keyText ? parseWebhookKey(keyText) : null;
  }

  /** Whether secrets are sealed. */
  get sealing(): boolean {
    return this.#raw !== null;
  }

  /** The secret as it is stored for webhook `owner`/`id`. */
  async seal(secret: string, owner: string, id: string): Promise<StoredSecret> {
    const key = this.#cryptoKey();
    if (key === null) return { kind: "plain", value: secret };
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: aad(owner, id) },
      await key,
      utf8.encode(secret),
    );
    return { kind: "sealed", iv: iv.toBase64(), data: new Uint8Array(data).toBase64() };
  }

  /** The plain secret; throws an `Error` saying why when it cannot be opened. */
  async open(stored: StoredSecret, owner: string, id: string): Promise<string> {
    if (stored.kind === "plain") return stored.value;
    const key = this.#cryptoKey();
    if (key === null) {
      throw new Error("the secret is sealed, and this process has no MODYARD_WEBHOOK_KEY");
    }
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: Uint8Array.fromBase64(stored.iv), additionalData: aad(owner, id) },
        await key,
        Uint8Array.fromBase64(stored.data),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new Error("the secret does not open with this MODYARD_WEBHOOK_KEY");
    }
  }

  #cryptoKey(): Promise<CryptoKey> | null {
    if (this.#raw === null) return null;
    this.#key ??= crypto.subtle.importKey(
      "raw",
      this.#raw as Uint8Array<ArrayBuffer>,
      "AES-GCM",
      false,
      ["encrypt", "decrypt"],
    );
    return this.#key;
  }
}

function aad(owner: string, id: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(`modyard webhook ${owner}/${id}`);
}
