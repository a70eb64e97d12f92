/**
 * The web UI's URL scheme: builders for every page (so no template concatenates a path) and
 * the one parser of a UI path. Module paths keep their case; each path segment is
 * percent-encoded on its own, so `/` stays a separator and nothing else is.
 *
 * | path | page |
 * | --- | --- |
 * | `/` (`/?q=…`) | home, search |
 * | `/-/signin`, `/-/signout` (POST) | sign-in, sign-out |
 * | `/-/tokens` (POST creates), `/-/tokens/{id}/revoke` (POST) | the signed-in user's tokens |
 * | `/-/static/{name}` | stylesheet and script |
 * | `/{owner}` | an owner's modules |
 * | `/{owner}/{module}` | a module (its latest version) |
 * | `/{owner}/{module}/@{version}` | one version |
 * | `/{owner}/{module}/@{version}/files/` | the version's file tree |
 * | `/{owner}/{module}/@{version}/files/{path}` | one file, as escaped text in a page |
 * | `/{owner}/{module}/@{version}/raw/{path}` | one file's bytes (safe content-type policy) |
 * | `/{owner}/{module}/@{version}/delete` (POST) | delete the version |
 *
 * `-` is a reserved owner name, so `/-/…` never names an owner; module paths cannot contain
 * `@`, so the first segment starting with `@` is the version.
 *
 * @module
 */

/** The UI's own namespace (a reserved owner name). */
export const UI_NAMESPACE = "-";

/** Percent-encodes each `/`-separated segment of `path`. */
export function encodeSegments(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * The home page, or a search when `q` is given.
 *
 * @example
 * ```ts
 * homeUrl("example.com/m"); // "/?q=example.com%2Fm"
 * ```
 */
export function homeUrl(q?: string): string {
  return q ? `/?${new URLSearchParams({ q })}` : "/";
}

/** The sign-in page; `next` is the path to return to (a local path only). */
export function signInUrl(next?: string): string {
  return next && next !== "/" ? `/-/signin?${new URLSearchParams({ next })}` : "/-/signin";
}

/** Where the sign-out form posts. */
export function signOutUrl(): string {
  return "/-/signout";
}

/** The signed-in user's tokens (GET lists, POST creates). */
export function tokensUrl(): string {
  return "/-/tokens";
}

/** Where the revoke form of token `id` posts. */
export function revokeTokenUrl(id: string): string {
  return `/-/tokens/${encodeURIComponent(id)}/revoke`;
}

/** A static asset (`style.css`, `copy.js`). */
export function staticUrl(name: string): string {
  return `/-/static/${encodeURIComponent(name)}`;
}

/**
 * An owner's page.
 *
 * @example
 * ```ts
 * ownerUrl("alice"); // "/alice"
 * ```
 */
export function ownerUrl(owner: string): string {
  return `/${encodeURIComponent(owner)}`;
}

/**
 * A module's page (its latest version).
 *
 * @example
 * ```ts
 * moduleUrl("alice", "example.com/Hello"); // "/alice/example.com/Hello"
 * ```
 */
export function moduleUrl(owner: string, module: string): string {
  return `${ownerUrl(owner)}/${encodeSegments(module)}`;
}

/**
 * A version's page.
 *
 * @example
 * ```ts
 * versionUrl("alice", "example.com/m", "v2.0.0+incompatible");
 * // "/alice/example.com/m/@v2.0.0%2Bincompatible"
 * ```
 */
export function versionUrl(owner: string, module: string, version: string): string {
  return `${moduleUrl(owner, module)}/@${encodeURIComponent(version)}`;
}

/** A version's file tree (`path` `""`), or one file's viewer page. */
export function fileUrl(owner: string, module: string, version: string, path = ""): string {
  return `${versionUrl(owner, module, version)}/files/${encodeSegments(path)}`;
}

/** One file's raw bytes (served with the safe content-type policy). */
export function rawUrl(owner: string, module: string, version: string, path: string): string {
  return `${versionUrl(owner, module, version)}/raw/${encodeSegments(path)}`;
}

/** Where the delete form of a version posts. */
export function deleteVersionUrl(owner: string, module: string, version: string): string {
  return `${versionUrl(owner, module, version)}/delete`;
}

/** What a UI path names. */
export type UiRoute =
  | { page: "home" }
  | { page: "signin" }
  | { page: "signout" }
  | { page: "tokens" }
  | { page: "revoke_token"; id: string }
  | { page: "static"; name: string }
  | { page: "owner"; owner: string }
  | { page: "module"; owner: string; module: string }
  | { page: "version"; owner: string; module: string; version: string }
  | { page: "files"; owner: string; module: string; version: string; path: string }
  | { page: "raw"; owner: string; module: string; version: string; path: string }
  | { page: "delete"; owner: string; module: string; version: string };

/**
 * Parses a raw (still percent-encoded) URL path into the page it names, or `null` when it
 * names none (malformed escapes included).
 *
 * @example
 * ```ts
 * parseUiPath("/alice/example.com/m/@v1.0.0/files/a%20b.go");
 * // { page: "files", owner: "alice", module: "example.com/m", version: "v1.0.0", path: "a b.go" }
 * ```
 */
export function parseUiPath(rawPath: string): UiRoute | null {
  let segments: string[];
  try {
    segments = rawPath.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
  if (segments.length === 1 && segments[0] === "") return { page: "home" };
  const [first, ...rest] = segments;
  if (first === UI_NAMESPACE) return parseOwnPath(rest);
  if (first === "") return null;
  const owner = first;
  if (rest.length === 0 || (rest.length === 1 && rest[0] === "")) return { page: "owner", owner };
  const at = rest.findIndex((s) => s.startsWith("@"));
  const moduleSegments = at < 0 ? rest : rest.slice(0, at);
  // A trailing slash after the module path is forgiven; empty segments elsewhere are not.
  if (at < 0 && moduleSegments.at(-1) === "") moduleSegments.pop();
  if (moduleSegments.length === 0 || moduleSegments.includes("")) return null;
  const module = moduleSegments.join("/");
  if (at < 0) return { page: "module", owner, module };
  const version = rest[at].slice(1);
  if (version === "") return null;
  const after = rest.slice(at + 1);
  if (after.length === 0 || (after.length === 1 && after[0] === "")) {
    return { page: "version", owner, module, version };
  }
  const [kind, ...pathSegments] = after;
  const path = pathSegments.join("/");
  if (kind === "files") return { page: "files", owner, module, version, path };
  if (kind === "raw" && path !== "") return { page: "raw", owner, module, version, path };
  if (kind === "delete" && pathSegments.length === 0) {
    return { page: "delete", owner, module, version };
  }
  return null;
}

function parseOwnPath(rest: string[]): UiRoute | null {
  const [name, ...more] = rest;
  if (more.length === 0) {
    if (name === "signin") return { page: "signin" };
    if (name === "signout") return { page: "signout" };
    if (name === "tokens") return { page: "tokens" };
  }
  if (name === "tokens" && more.length === 2 && more[1] === "revoke") {
    return { page: "revoke_token", id: more[0] };
  }
  if (name === "static" && more.length === 1 && more[0] !== "") {
    return { page: "static", name: more[0] };
  }
  return null;
}
