/**
 * Module and file path rules of golang.org/x/mod/module: CheckPath, CheckFilePath,
 * SplitPathVersion, CheckPathMajor and the `!` case-encoding used in proxy URLs.
 * Each check returns an error message, or `null` when the input is valid.
 *
 * @module
 */

import { goQuote, goQuoteRune } from "./quote.ts";
import { canonicalVersion, isPseudoVersion, parseVersion, versionMajor } from "./version.ts";

type PathKind = "module" | "file";

const BAD_WINDOWS_NAMES = [
  "CON",
  "PRN",
  "AUX",
  "NUL",
  ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
];

const FILE_PUNCTUATION = "!#$%&()+,-.=@[]^_{}~ ";

function modPathOK(c: string): boolean {
  return /^[-._~0-9A-Za-z]$/.test(c);
}

function fileNameOK(c: string): boolean {
  if (c.codePointAt(0)! < 0x80) {
    return /^[0-9A-Za-z]$/.test(c) || FILE_PUNCTUATION.includes(c);
  }
  return /^\p{L}$/u.test(c);
}

function checkElem(elem: string, kind: PathKind): string | null {
  if (elem === "") return "empty path element";
  if (/^\.+$/.test(elem)) return `invalid path element ${goQuote(elem)}`;
  if (elem[0] === "." && kind === "module") return "leading dot in path element";
  if (elem.endsWith(".")) return "trailing dot in path element";
  for (const c of elem) {
    if (!(kind === "module" ? modPathOK(c) : fileNameOK(c))) {
      return `invalid char ${goQuoteRune(c)}`;
    }
  }
  const dot = elem.indexOf(".");
  const short = dot >= 0 ? elem.slice(0, dot) : elem;
  if (BAD_WINDOWS_NAMES.includes(short.toUpperCase())) {
    return `${goQuote(short)} disallowed as path element component on Windows`;
  }
  if (kind === "file") return null;
  const tilde = short.lastIndexOf("~");
  if (tilde >= 0 && tilde < short.length - 1 && /^[0-9]+$/.test(short.slice(tilde + 1))) {
    return "trailing tilde and digits in path element";
  }
  return null;
}

function checkGeneralPath(path: string, kind: PathKind): string | null {
  if (path.includes("\uFFFD")) return "invalid UTF-8";
  if (path === "") return "empty string";
  if (path[0] === "-" && kind !== "file") return "leading dash";
  if (path.includes("//")) return "double slash";
  if (path.endsWith("/")) return "trailing slash";
  for (const elem of path.split("/")) {
    const err = checkElem(elem, kind);
    if (err) return err;
  }
  return null;
}

/**
 * Checks a module path as golang.org/x/mod/module.CheckPath does.
 *
 * @example
 * ```ts
 * checkModulePath("github.com/BurntSushi/toml"); // null
 * checkModulePath("Example.com/m"); // "malformed module path ...: invalid char 'E' ..."
 * ```
 */
export function checkModulePath(path: string): string | null {
  const why = modulePathProblem(path);
  return why === null ? null : `malformed module path ${goQuote(path)}: ${why}`;
}

function modulePathProblem(path: string): string | null {
  const err = checkGeneralPath(path, "module");
  if (err) return err;
  let i = path.indexOf("/");
  if (i < 0) i = path.length;
  if (i === 0) return "leading slash";
  const first = path.slice(0, i);
  if (!first.includes(".")) return "missing dot in first path element";
  if (path[0] === "-") return "leading dash in first path element";
  for (const c of first) {
    if (!/^[-.0-9a-z]$/.test(c)) return `invalid char ${goQuoteRune(c)} in first path element`;
  }
  if (!splitPathVersion(path).ok) return "invalid version";
  return null;
}

/**
 * Checks a file path inside a module as golang.org/x/mod/module.CheckFilePath does.
 *
 * @example
 * ```ts
 * checkFilePath("sub/file.go"); // null
 * checkFilePath("a/*.go"); // "malformed file path ...: invalid char '*'"
 * ```
 */
export function checkFilePath(path: string): string | null {
  const why = checkGeneralPath(path, "file");
  return why === null ? null : `malformed file path ${goQuote(path)}: ${why}`;
}

/**
 * Splits a module path into its prefix and major-version suffix (`/v2`, `.v1`), as
 * golang.org/x/mod/module.SplitPathVersion does.
 *
 * @example
 * ```ts
 * splitPathVersion("github.com/cpuguy83/go-md2man/v2"); // { prefix: "github.com/cpuguy83/go-md2man", pathMajor: "/v2", ok: true }
 * ```
 */
export function splitPathVersion(
  path: string,
): { prefix: string; pathMajor: string; ok: boolean } {
  if (path.startsWith("gopkg.in/")) return splitGopkgIn(path);
  let i = path.length;
  let dot = false;
  while (i > 0 && /[0-9.]/.test(path[i - 1])) {
    if (path[i - 1] === ".") dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== "v" || path[i - 2] !== "/") {
    return { prefix: path, pathMajor: "", ok: true };
  }
  const prefix = path.slice(0, i - 2), pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === "0" || pathMajor === "/v1") {
    return { prefix: path, pathMajor: "", ok: false };
  }
  return { prefix, pathMajor, ok: true };
}

function splitGopkgIn(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  let i = path.length;
  if (path.endsWith("-unstable")) i -= "-unstable".length;
  while (i > 0 && /[0-9]/.test(path[i - 1])) i--;
  if (i <= 1 || path[i - 1] !== "v" || path[i - 2] !== ".") {
    return { prefix: path, pathMajor: "", ok: false };
  }
  const prefix = path.slice(0, i - 2), pathMajor = path.slice(i - 2);
  if (pathMajor.length <= 2 || (pathMajor[2] === "0" && pathMajor !== ".v0")) {
    return { prefix: path, pathMajor: "", ok: false };
  }
  return { prefix, pathMajor, ok: true };
}

/**
 * Checks that version `v` fits the path's major-version suffix, as
 * golang.org/x/mod/module.CheckPathMajor does. Returns an error message or `null`.
 *
 * @example
 * ```ts
 * checkPathMajor("v2.0.1", "/v2"); // null
 * checkPathMajor("v2.0.1", ""); // "should be v0 or v1, not v2"
 * ```
 */
export function checkPathMajor(v: string, pathMajor: string): string | null {
  if (pathMajor.startsWith(".v") && pathMajor.endsWith("-unstable")) {
    pathMajor = pathMajor.slice(0, -"-unstable".length);
  }
  if (v.startsWith("v0.0.0-") && pathMajor === ".v1") return null;
  const m = versionMajor(v);
  if (pathMajor === "") {
    if (m === "v0" || m === "v1" || parseVersion(v)?.build === "+incompatible") return null;
    pathMajor = "v0 or v1";
  } else {
    if (m === pathMajor.slice(1)) return null;
    pathMajor = pathMajor.slice(1);
  }
  return `should be ${pathMajor}, not ${m}`;
}

/**
 * Checks that `version` is a canonical version that module `path` may carry: the
 * combination of golang.org/x/mod's CanonicalVersion and module.Check, plus the
 * `+incompatible` rule (major ≥ 2, no `/vN` suffix, no go.mod) when `hasGoMod` is known.
 *
 * @example
 * ```ts
 * checkModuleVersion("example.com/m", "v1.2.3"); // null
 * checkModuleVersion("example.com/m", "v1.2"); // "version \"v1.2\" is not canonical (should be \"v1.2.0\")"
 * ```
 */
export function checkModuleVersion(
  path: string,
  version: string,
  hasGoMod?: boolean,
): string | null {
  const parsed = parseVersion(version);
  // Go prints the module and version raw, except that a version with control characters
  // is not echoed unquoted (it must never split the reply into lines).
  const at = `${path}@${goQuote(version).slice(1, -1)}`;
  if (!parsed) return `${at}: invalid version: not a semantic version`;
  const canonical = canonicalVersion(version);
  if (canonical !== version) {
    return `version ${goQuote(version)} is not canonical (should be ${goQuote(canonical)})`;
  }
  const noun = isPseudoVersion(version) ? "pseudo-version" : "version";
  const { pathMajor } = splitPathVersion(path);
  const majorErr = checkPathMajor(version, pathMajor);
  if (majorErr) return `${at}: invalid ${noun}: ${majorErr}`;
  if (parsed.build === "+incompatible") {
    const refuse = (why: string) =>
      `${at}: invalid ${noun}: +incompatible suffix not allowed: ${why}`;
    if (parsed.major === "0" || parsed.major === "1") {
      return refuse(`major version v${parsed.major} is compatible`);
    }
    if (pathMajor !== "") return refuse(`module path has major version suffix ${pathMajor}`);
    if (hasGoMod) {
      return refuse("module contains a go.mod file, so module path must match major version");
    }
  }
  return null;
}

/**
 * Case-encodes a module path or version for proxy URLs: each uppercase letter becomes `!`
 * followed by its lowercase form.
 *
 * @example
 * ```ts
 * escapeCase("github.com/BurntSushi/toml"); // "github.com/!burnt!sushi/toml"
 * ```
 */
export function escapeCase(s: string): string {
  return s.replace(/[A-Z]/g, (c) => "!" + c.toLowerCase());
}

/**
 * Reverses {@link escapeCase}. Returns `null` for a string no escaping could produce
 * (an uppercase letter, or `!` not followed by a lowercase letter).
 *
 * @example
 * ```ts
 * unescapeCase("github.com/!burnt!sushi/toml"); // "github.com/BurntSushi/toml"
 * unescapeCase("github.com/Burnt"); // null
 * ```
 */
export function unescapeCase(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c >= "A" && c <= "Z") return null;
    if (c === "!") {
      const next = s[i + 1];
      if (next === undefined || next < "a" || next > "z") return null;
      out += next.toUpperCase();
      i++;
    } else {
      out += c;
    }
  }
  return out;
}
