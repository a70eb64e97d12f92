/**
 * Parsing the `Authorization` header in the forms Gitea's registry accepts.
 *
 * @module
 */

import type { Credentials } from "../registry/authenticate.ts";
import { BASIC_CHALLENGE, HttpError } from "./http_error.ts";

/**
 * Credentials from an `Authorization` header, `null` when there is none. Accepts
 * `Basic base64(user:secret)`, `token <t>` and `Bearer <t>`; anything else is a 401.
 *
 * @example
 * ```ts
 * parseAuthorization("Bearer myd_abc"); // { kind: "token", token: "myd_abc" }
 * ```
 */
export function parseAuthorization(header: string | null): Credentials | null {
  if (header === null) return null;
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? "" : header.slice(space + 1).trim();
  if ((scheme === "token" || scheme === "bearer") && value !== "") {
    return { kind: "token", token: value };
  }
  if (scheme === "basic") {
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.fromBase64(value));
    } catch {
      throw new HttpError(401, "malformed Basic credentials", BASIC_CHALLENGE);
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) return { kind: "basic", user: decoded, secret: "" };
    return { kind: "basic", user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  throw new HttpError(401, "unsupported Authorization scheme", BASIC_CHALLENGE);
}
