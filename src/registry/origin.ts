/**
 * Provenance of a published version: the publisher's claim of where its zip came from
 * (`X-Modyard-Origin` on the upload), answered in `.info` as `Origin`, as proxy.golang.org
 * does. The server checks only its shape; it refuses nothing because of what it says.
 *
 * @module
 */

/** The upload request header that carries an {@link Origin} as a JSON object. */
export const ORIGIN_HEADER = "x-modyard-origin";

/** Largest accepted header value, in bytes. */
export const MAX_ORIGIN_HEADER = 2048;

/** Where a version's zip came from, in the field names of Go's `codehost.Origin`. */
export interface Origin {
  /** Version control system: always `git`. */
  VCS: "git";
  /** Repository URL (http(s), ssh or scp-like), without credentials. */
  URL: string;
  /** Module directory relative to the repository root; absent at the root. */
  Subdir?: string;
  /** `refs/tags/…` or `refs/heads/…` naming the commit, when one does. */
  Ref?: string;
  /** Commit hash: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. */
  Hash: string;
}

const FIELDS = ["VCS", "URL", "Subdir", "Ref", "Hash"] as const;

/**
 * Parses and validates an `X-Modyard-Origin` header value. Throws a `SyntaxError` or
 * `RangeError` whose sentence-case message says what is wrong (answered with 400).
 *
 * @example
 * ```ts
 * parseOriginHeader('{"VCS":"git","URL":"https://example.com/m.git","Hash":"' + "a".repeat(40) + '"}');
 * // { VCS: "git", URL: "https://example.com/m.git", Hash: "aaaa…" }
 * ```
 */
export function parseOriginHeader(value: string): Origin {
  const size = new TextEncoder().encode(value).length;
  if (size > MAX_ORIGIN_HEADER) {
    throw new RangeError(
      `Origin header is too long (${size} bytes; limit is ${MAX_ORIGIN_HEADER})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new SyntaxError("Origin header is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SyntaxError("Origin header must be a JSON object");
  }
  const fields = parsed as Record<string, unknown>;
  for (const [key, v] of Object.entries(fields)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new SyntaxError(
        `Origin field "${key}" is unknown (allowed: ${FIELDS.join(", ")})`,
      );
    }
    if (typeof v !== "string") throw new SyntaxError(`Origin field "${key}" must be a string`);
  }
  const { VCS, URL: url, Subdir, Ref, Hash } = fields as Record<string, string | undefined>;
  if (VCS !== "git") throw new RangeError(`Origin VCS must be "git", not ${JSON.stringify(VCS)}`);
  if (url === undefined) throw new RangeError("Origin URL is missing");
  const urlError = checkRepoUrl(url);
  if (urlError) throw new RangeError(`Origin URL ${JSON.stringify(url)} ${urlError}`);
  if (Subdir !== undefined && !isCleanRelativePath(Subdir)) {
    throw new RangeError(
      `Origin Subdir ${
        JSON.stringify(Subdir)
      } must be a clean relative path of at most 1024 characters (omit it at the repository root)`,
    );
  }
  if (Ref !== undefined && !isRef(Ref)) {
    throw new RangeError(
      `Origin Ref ${
        JSON.stringify(Ref)
      } must be refs/tags/… or refs/heads/… of at most 256 characters`,
    );
  }
  if (Hash === undefined || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(Hash)) {
    throw new RangeError(
      `Origin Hash ${JSON.stringify(Hash)} must be 40 or 64 lowercase hexadecimal digits`,
    );
  }
  // One field order whatever the header's: VCS, URL, Subdir, Ref, Hash.
  return {
    VCS,
    URL: url,
    ...(Subdir !== undefined ? { Subdir } : {}),
    ...(Ref !== undefined ? { Ref } : {}),
    Hash,
  };
}

/**
 * Encodes an origin as a header value: JSON with every non-ASCII character escaped
 * (`\uXXXX`), since a header value is a byte string.
 *
 * @example
 * ```ts
 * encodeOriginHeader({ VCS: "git", URL: "https://example.com/ü", Hash: "a".repeat(40) });
 * // '{"VCS":"git","URL":"https://example.com/\\u00fc","Hash":"aaaa…"}'
 * ```
 */
export function encodeOriginHeader(origin: Origin): string {
  return JSON.stringify(origin).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Characters that never belong in a repository URL, Subdir or Ref (controls, spaces). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\x00-\x20\x7f]/;

/**
 * Why `url` is not an acceptable repository URL (`null` when it is): http(s) or ssh with a
 * host and no credentials (no password, no user name in http(s), no query), or scp-like
 * `user@host:path`.
 *
 * @example
 * ```ts
 * checkRepoUrl("git@github.com:o/r.git"); // null
 * checkRepoUrl("https://tok@github.com/o/r"); // "must not contain credentials"
 * ```
 */
export function checkRepoUrl(url: string): string | null {
  if (url.length === 0 || url.length > 1024) return "must be 1 to 1024 characters long";
  if (UNPRINTABLE.test(url)) return "must not contain spaces or control characters";
  // scp-like: an optional user name (never a password), a host, a path without "@".
  const scp = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*):(?!\/\/)([^@]+)$/.exec(url);
  if (scp && !url.includes("://")) return scp[2].includes(".") || scp[1] ? null : "has no host";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL (http, https, ssh, or scp-like user@host:path)";
  }
  if (!["http:", "https:", "ssh:"].includes(parsed.protocol)) {
    return "must use http, https or ssh";
  }
  if (parsed.hostname === "") return "has no host";
  if (parsed.password !== "" || (parsed.username !== "" && parsed.protocol !== "ssh:")) {
    return "must not contain credentials";
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    return "must not have a query or fragment (they can carry credentials)";
  }
  return null;
}

/**
 * The remote URL with credentials removed: user name and password of http(s) URLs (a token
 * is often the user name), the password of ssh URLs, and any query or fragment. Other URLs
 * are returned unchanged.
 *
 * @example
 * ```ts
 * stripCredentials("https://user:ghp_secret@github.com/o/r.git"); // "https://github.com/o/r.git"
 * ```
 */
export function stripCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // scp-like or a path: no password form
  }
  if (!["http:", "https:", "ssh:"].includes(parsed.protocol)) return url;
  if (parsed.protocol !== "ssh:") parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

function isCleanRelativePath(path: string): boolean {
  if (path.length === 0 || path.length > 1024 || UNPRINTABLE.test(path)) return false;
  if (path.includes("\\")) return false;
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

function isRef(ref: string): boolean {
  if (ref.length > 256 || UNPRINTABLE.test(ref) || ref.includes("..")) return false;
  const m = /^refs\/(?:tags|heads)\/(.+)$/.exec(ref);
  return m !== null && !/[~^:?*[\\]/.test(m[1]) && !m[1].endsWith("/") &&
    !m[1].startsWith("/") && !m[1].includes("//");
}
