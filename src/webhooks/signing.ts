/**
 * Signatures of webhook deliveries: HMAC-SHA256 of the exact body with the webhook's secret,
 * sent as `X-Modyard-Signature: sha256=<hex>` (the form GitHub's `X-Hub-Signature-256` and
 * Gitea use), so a receiver checks it with the code it already has.
 *
 * @module
 */

const utf8 = new TextEncoder();

/**
 * The signature header value of `body` under `secret`.
 *
 * @example
 * ```ts
 * await signBody("It's a Secret to Everybody", "Hello, World!");
 * // "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
 * ```
 */
export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8.encode(body));
  return `sha256=${new Uint8Array(mac).toHex()}`;
}
