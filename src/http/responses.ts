/**
 * Response helpers: replies with the right content type, and the caching policy of each
 * kind of GOPROXY route. A {@link Reply} is a response's parts, kept so that small
 * metadata answers can be cached per process and turned into a fresh `Response` cheaply.
 *
 * @module
 */

import { sha256 } from "../crypto/sha256.ts";

/** How a response may be cached by clients. */
export type CachePolicy =
  | { kind: "mutable"; isPrivate: boolean }
  | { kind: "immutable"; etag: string; isPrivate: boolean }
  | { kind: "none" };

/** A year: the max-age of files that never change. */
const IMMUTABLE_MAX_AGE = 31_536_000;

/** The parts of a response with an in-memory body. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** Body. */
  body: string | Uint8Array<ArrayBuffer>;
  /** Content type. */
  contentType: string;
  /** Client caching policy. */
  policy: CachePolicy;
}

/**
 * An entity tag for a small body: `b-` and 27 characters of the base64url SHA-256 of its
 * text (for answers whose bytes are not named by a checksum of their own).
 */
export function bodyTag(body: string): string {
  return "b-" + sha256(body).toBase64({ alphabet: "base64url" }).slice(0, 27);
}

/** Headers for a caching policy, as name/value pairs. */
export function cacheHeaders(policy: CachePolicy): [string, string][] {
  switch (policy.kind) {
    case "none":
      return [];
    case "mutable":
      return policy.isPrivate
        ? [["cache-control", "private, no-cache"], ["vary", "Authorization"]]
        : [["cache-control", "no-cache"]];
    case "immutable":
      return policy.isPrivate
        ? [
          ["cache-control", `private, max-age=${IMMUTABLE_MAX_AGE}, immutable`],
          ["etag", `"${policy.etag}"`],
          ["vary", "Authorization"],
        ]
        : [
          ["cache-control", `public, max-age=${IMMUTABLE_MAX_AGE}, immutable`],
          ["etag", `"${policy.etag}"`],
        ];
  }
}

/** Whether the request's `If-None-Match` matches the policy's ETag. */
export function notModified(request: Request, policy: CachePolicy): boolean {
  if (policy.kind !== "immutable") return false;
  const header = request.headers.get("if-none-match");
  if (header === null) return false;
  const tag = `"${policy.etag}"`;
  return header.split(",").some((t) => {
    const v = t.trim();
    return v === "*" || v === tag || v === `W/${tag}`;
  });
}

/** A `Response` for `body` under a caching policy; 304 when the client already has it. */
export function respond(
  request: Request,
  body: BodyInit | null,
  contentType: string,
  policy: CachePolicy,
  extra: [string, string][] = [],
  status = 200,
): Response {
  const headers = cacheHeaders(policy);
  if (notModified(request, policy)) return new Response(null, { status: 304, headers });
  headers.push(["content-type", contentType], ...extra);
  return new Response(body, { status, headers });
}

/** A fresh `Response` for a (possibly cached) reply. */
export function replyResponse(request: Request, reply: Reply): Response {
  return respond(request, reply.body, reply.contentType, reply.policy, [], reply.status);
}

/** A JSON response with status `status`. */
export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/**
 * Answers with an in-memory body and offers it to the per-process reply cache (kept when the
 * handler marked its answers `cacheable`).
 */
export function reply(
  ctx: { request: Request; reply: Reply | undefined },
  body: string | Uint8Array,
  contentType: string,
  policy: CachePolicy,
): Response {
  const r: Reply = { status: 200, body: body as Reply["body"], contentType, policy };
  ctx.reply = r;
  return replyResponse(ctx.request, r);
}
