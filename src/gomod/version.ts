/**
 * Semantic versions as the `go` command understands them (golang.org/x/mod/semver and the
 * version rules of golang.org/x/mod/module). Pure functions, no I/O.
 *
 * @module
 */

/** The parts of a parsed semantic version. */
export interface ParsedVersion {
  /** Major number as written, e.g. `"1"`. */
  major: string;
  /** Minor number; `"0"` when the shorthand omitted it. */
  minor: string;
  /** Patch number; `"0"` when the shorthand omitted it. */
  patch: string;
  /** Pre-release including its leading `-`, or `""`. */
  prerelease: string;
  /** Build metadata including its leading `+`, or `""`. */
  build: string;
  /** True when minor or patch was omitted (`v1`, `v1.2`). */
  short: boolean;
}

const NUM = /^(0|[1-9][0-9]*)/;
const IDENT = /^[0-9A-Za-z-]+$/;

/**
 * Parses a semantic version with a leading `v`, allowing the `v1` / `v1.2` shorthands
 * (as golang.org/x/mod/semver does). Returns `null` when the string is not valid.
 *
 * @example
 * ```ts
 * parseVersion("v1.2.3-rc.1")?.prerelease; // "-rc.1"
 * parseVersion("1.2.3"); // null
 * ```
 */
export function parseVersion(v: string): ParsedVersion | null {
  if (!v.startsWith("v")) return null;
  let rest = v.slice(1);
  const take = (): string | null => {
    const m = NUM.exec(rest);
    if (!m) return null;
    rest = rest.slice(m[0].length);
    return m[0];
  };
  const major = take();
  if (major === null) return null;
  if (rest === "") return { major, minor: "0", patch: "0", prerelease: "", build: "", short: true };
  if (!rest.startsWith(".")) return null;
  rest = rest.slice(1);
  const minor = take();
  if (minor === null) return null;
  if (rest === "") return { major, minor, patch: "0", prerelease: "", build: "", short: true };
  if (!rest.startsWith(".")) return null;
  rest = rest.slice(1);
  const patch = take();
  if (patch === null) return null;
  let prerelease = "";
  let build = "";
  if (rest.startsWith("-")) {
    const end = rest.indexOf("+");
    prerelease = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? "" : rest.slice(end);
    if (!validIdentifiers(prerelease.slice(1), true)) return null;
  }
  if (rest.startsWith("+")) {
    build = rest;
    rest = "";
    if (!validIdentifiers(build.slice(1), false)) return null;
  }
  if (rest !== "") return null;
  return { major, minor, patch, prerelease, build, short: false };
}

function validIdentifiers(s: string, numericNoLeadingZero: boolean): boolean {
  if (s === "") return false;
  for (const id of s.split(".")) {
    if (!IDENT.test(id)) return false;
    if (numericNoLeadingZero && /^[0-9]+$/.test(id) && id.length > 1 && id[0] === "0") {
      return false;
    }
  }
  return true;
}

/**
 * Reports whether `v` is a valid semantic version (shorthands allowed).
 *
 * @example
 * ```ts
 * isValidVersion("v1.2"); // true
 * isValidVersion("v1.2.3\n"); // false
 * ```
 */
export function isValidVersion(v: string): boolean {
  return parseVersion(v) !== null;
}

/**
 * The canonical form of a version as golang.org/x/mod/module.CanonicalVersion computes it:
 * shorthands expanded, build metadata dropped except `+incompatible`. `""` when invalid.
 *
 * @example
 * ```ts
 * canonicalVersion("v1.2"); // "v1.2.0"
 * canonicalVersion("v2.0.0+incompatible"); // "v2.0.0+incompatible"
 * canonicalVersion("v1.0.0+meta"); // "v1.0.0"
 * ```
 */
export function canonicalVersion(v: string): string {
  const p = parseVersion(v);
  if (!p) return "";
  const base = `v${p.major}.${p.minor}.${p.patch}${p.prerelease}`;
  return p.build === "+incompatible" ? base + p.build : base;
}

/**
 * The major version prefix (`"v2"`), or `""` when `v` is invalid.
 *
 * @example
 * ```ts
 * versionMajor("v2.3.4"); // "v2"
 * ```
 */
export function versionMajor(v: string): string {
  const p = parseVersion(v);
  return p ? `v${p.major}` : "";
}

/**
 * Compares two versions in semver precedence: negative, zero or positive. An invalid
 * version is smaller than every valid one, as in golang.org/x/mod/semver.Compare.
 *
 * @example
 * ```ts
 * ["v1.10.0", "v1.9.0"].sort(compareVersions); // ["v1.9.0", "v1.10.0"]
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  return compareNumber(pa.major, pb.major) || compareNumber(pa.minor, pb.minor) ||
    compareNumber(pa.patch, pb.patch) || comparePrerelease(pa.prerelease, pb.prerelease);
}

function compareNumber(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return 1;
  if (b === "") return -1;
  const xs = a.slice(1).split(".");
  const ys = b.slice(1).split(".");
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i], y = ys[i];
    if (x === y) continue;
    const xn = /^[0-9]+$/.test(x), yn = /^[0-9]+$/.test(y);
    if (xn && yn) return compareNumber(x, y);
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return xs.length < ys.length ? -1 : xs.length > ys.length ? 1 : 0;
}

const PSEUDO =
  /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * Reports whether `v` is a pseudo-version in any of its three forms
 * (`vX.0.0-yyyymmddhhmmss-abcdef`, `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef`,
 * `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef`).
 *
 * @example
 * ```ts
 * isPseudoVersion("v0.0.0-20220811171246-fbc7d0a398ab"); // true
 * isPseudoVersion("v1.0.0-rc.1"); // false
 * ```
 */
export function isPseudoVersion(v: string): boolean {
  return v.includes("-") && isValidVersion(v) && PSEUDO.test(v);
}

/**
 * The 14-digit UTC timestamp of a pseudo-version (`"20220811171246"`), or `""`.
 *
 * @example
 * ```ts
 * pseudoVersionTime("v0.0.0-20220811171246-fbc7d0a398ab"); // "20220811171246"
 * ```
 */
export function pseudoVersionTime(v: string): string {
  if (!isPseudoVersion(v)) return "";
  const base = v.replace(/\+.*$/, "");
  const parts = base.split("-");
  const stamp = parts[parts.length - 2];
  const dot = stamp.lastIndexOf(".");
  return dot < 0 ? stamp : stamp.slice(dot + 1);
}

/**
 * Picks what `@latest` answers from a set of versions: the highest release, else the
 * highest pre-release, else the pseudo-version with the newest timestamp. `undefined` for
 * an empty set.
 *
 * @example
 * ```ts
 * latestVersion(["v1.10.0", "v1.9.0", "v1.11.0-rc.1"]); // "v1.10.0"
 * ```
 */
export function latestVersion(versions: Iterable<string>): string | undefined {
  let release: string | undefined;
  let prerelease: string | undefined;
  let pseudo: string | undefined;
  for (const v of versions) {
    if (isPseudoVersion(v)) {
      if (pseudo === undefined || comparePseudo(v, pseudo) > 0) pseudo = v;
    } else if (parseVersion(v)?.prerelease) {
      if (prerelease === undefined || compareVersions(v, prerelease) > 0) prerelease = v;
    } else if (release === undefined || compareVersions(v, release) > 0) {
      release = v;
    }
  }
  return release ?? prerelease ?? pseudo;
}

function comparePseudo(a: string, b: string): number {
  const ta = pseudoVersionTime(a), tb = pseudoVersionTime(b);
  return ta < tb ? -1 : ta > tb ? 1 : compareVersions(a, b);
}
