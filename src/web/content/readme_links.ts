/**
 * Where a link or image of a README points, once it is judged: a file of the same module
 * version (its path normalised and confined to the module, so `../../x` cannot leave it), a
 * fragment of the page, an external http(s) or mailto URL, or nowhere (every other scheme,
 * `javascript:` in any spelling included). Pure.
 *
 * @module
 */

/** What a README's `href` or `src` names. */
export type LinkTarget =
  | { kind: "module"; path: string; fragment: string }
  | { kind: "fragment"; fragment: string }
  | { kind: "external"; url: string }
  | { kind: "none" };

/** Schemes a README may link to. */
const ALLOWED_SCHEMES = new Set(["http", "https", "mailto"]);

/**
 * Judges `href` (an attribute value, entities already decoded) found in the README at
 * `readmePath` (module-relative, e.g. `docs/README.md`). Relative paths resolve against the
 * README's directory, `/`-rooted ones against the module root; both are percent-decoded and
 * normalised (`.`, `..` and empty segments removed, `..` never above the root). A trailing
 * slash is kept (a directory).
 *
 * @example
 * ```ts
 * resolveReadmeLink("../../x/y.go#L3", "docs/README.md");
 * // { kind: "module", path: "x/y.go", fragment: "L3" }
 * resolveReadmeLink(" JaVaScRiPt:alert(1)", "README.md"); // { kind: "none" }
 * ```
 */
export function resolveReadmeLink(href: string, readmePath: string): LinkTarget {
  // As a browser reads a URL: C0 controls and spaces at the ends are dropped, tabs and
  // newlines anywhere. Anything else that is not a plain scheme makes the URL relative.
  // deno-lint-ignore no-control-regex -- C0 controls are what browsers strip from URLs
  const url = href.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (scheme) {
    if (!ALLOWED_SCHEMES.has(scheme[1].toLowerCase())) return { kind: "none" };
    return { kind: "external", url };
  }
  if (/^[/\\]{2}/.test(url)) {
    // Scheme-relative (`//host/x`; browsers read `\` as `/` here): another host.
    return url.includes("\\") ? { kind: "none" } : { kind: "external", url: "https:" + url };
  }
  if (url.includes("\\")) return { kind: "none" };
  const hash = url.indexOf("#");
  const fragment = hash < 0 ? "" : url.slice(hash + 1);
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const query = beforeHash.indexOf("?");
  const pathPart = query < 0 ? beforeHash : beforeHash.slice(0, query);
  if (pathPart === "") {
    return hash < 0
      ? { kind: "module", path: readmePath, fragment: "" }
      : { kind: "fragment", fragment };
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathPart);
  } catch {
    decoded = pathPart;
  }
  // No module file has a backslash in its path (x/mod refuses them); browsers may read one
  // as a slash.
  if (decoded.includes("\\")) return { kind: "none" };
  const base = decoded.startsWith("/") ? "" : readmePath.slice(0, readmePath.lastIndexOf("/") + 1);
  return { kind: "module", path: normalisePath(base + decoded), fragment };
}

/**
 * `path` with `.`, `..` and empty segments resolved, confined to the root: `..` at the root
 * stays at the root. A trailing slash (a directory) is kept; the root is `""`.
 *
 * @example
 * ```ts
 * normalisePath("a/./b/../../../c//d/"); // "c/d/"
 * ```
 */
export function normalisePath(path: string): string {
  const out: string[] = [];
  const segments = path.split("/");
  for (const s of segments) {
    if (s === "" || s === ".") continue;
    if (s === "..") out.pop();
    else out.push(s);
  }
  const last = segments.at(-1);
  const directory = out.length > 0 && (last === "" || last === "." || last === "..");
  return out.join("/") + (directory ? "/" : "");
}
