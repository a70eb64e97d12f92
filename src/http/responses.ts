/**
 * Response helpers: bodies with the right content type, and the caching policy of each
 * kind of GOPROXY route.
 *
 * @module
 */

/** How a response may be cached. */
export type CachePolicy =
  | { kind: "mutable" }
  | { kind: "immutable"; etag: string; isPrivate: boolean };

/** A year: the max-age of files that never change. */
const IMMUTABLE_MAX_AGE = 31_536_000;

/** Headers for a caching policy. */
export function cacheHeaders(policy: CachePolicy): Headers {
  const h = new Headers();
  if (policy.kind === "mutable") {
    h.set("cache-control", "no-cache");
    return h;
  }
  h.set("etag", `"${policy.etag}"`);
  if (policy.isPrivate) {
    h.set("cache-control", `private, max-age=${IMMUTABLE_MAX_AGE}, immutable`);
    h.set("vary", "Authorization");
  } else {
    h.set("cache-control", `public, max-age=${IMMUTABLE_MAX_AGE}, immutable`);
  }
  return h;
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

/** A response with `body`, content type and caching policy; 304 when the client has it. */
export function respond(
  request: Request,
  body: BodyInit,
  contentType: string,
  policy: CachePolicy,
  extra: Record<string, string> = {},
): Response {
  const headers = cacheHeaders(policy);
  if (notModified(request, policy)) return new Response(null, { status: 304, headers });
  headers.set("content-type", contentType);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(body, { status: 200, headers });
}

/** A JSON response with status `status`. */
export function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
