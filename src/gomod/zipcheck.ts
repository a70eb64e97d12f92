/**
 * The file-level rules of golang.org/x/mod/zip.CheckZip applied to a list of central
 * directory entries, plus modyard's stricter refusal of directory entries. Pure: the
 * caller reads the archive.
 *
 * @module
 */

import { checkFilePath, checkModulePath, checkModuleVersion } from "./path.ts";
import { goQuote } from "./quote.ts";

/** Largest module zip and largest total uncompressed size (x/mod MaxZipFile). */
export const MAX_ZIP_SIZE = 500 * 1024 * 1024;
/**
 * Most entries a module zip may have (modyard's own limit; x/mod has none). The largest
 * module trees Debian ships have 17,875 files (github.com/aws/aws-sdk-go-v2, all its
 * nested modules together) and 15,970 (github.com/Azure/azure-sdk-for-go); the limit
 * leaves more than 5× that. It is checked against the end record before any entry is read.
 */
export const MAX_ZIP_ENTRIES = 100_000;
/**
 * Largest central directory of a module zip, in bytes (modyard's own limit). Those trees
 * need about 2.8 MB (177 bytes an entry); 32 MiB is 335 bytes for each of
 * {@link MAX_ZIP_ENTRIES} entries. The directory is read into memory whole, so it is bounded.
 */
export const MAX_CENTRAL_DIRECTORY_SIZE = 32 * 1024 * 1024;
/** Largest root go.mod (x/mod MaxGoMod). */
export const MAX_GO_MOD_SIZE = 16 * 1024 * 1024;
/** Largest root LICENSE (x/mod MaxLICENSE). */
export const MAX_LICENSE_SIZE = 16 * 1024 * 1024;
/**
 * Longest accepted module path, in bytes. Module paths become part of KV keys (at most
 * 2,048 bytes together with owner and version), so they are bounded well below that.
 */
export const MAX_MODULE_PATH_LENGTH = 1000;
/** Longest accepted version string, in bytes (also part of KV keys). */
export const MAX_VERSION_LENGTH = 200;

/**
 * Whether a module path (and version) fit the key-length limits, so they can be looked up
 * at all; longer ones are never stored, and a lookup of them would overflow a KV key.
 *
 * @example
 * ```ts
 * fitsKeyLimits("example.com/m", "v1.0.0"); // true
 * ```
 */
export function fitsKeyLimits(module: string, version = ""): boolean {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  return bytes(module) <= MAX_MODULE_PATH_LENGTH && bytes(version) <= MAX_VERSION_LENGTH;
}

/** A central-directory entry as the checker needs it. */
export interface ZipEntryInfo {
  /** The entry name decoded as strict UTF-8, or `null` when the raw bytes are not UTF-8. */
  name: string | null;
  /** Declared uncompressed size. */
  size: number;
}

/** The module an archive names, taken from its first entry. */
export interface ModuleId {
  /** Module path. */
  path: string;
  /** Version. */
  version: string;
}

/** Thrown when an archive breaks a rule; the message names the rule and the entry. */
export class ZipRuleError extends Error {
  /** Creates the error with a message suitable for a plain-text 400 reply. */
  constructor(message: string) {
    super(message);
    this.name = "ZipRuleError";
  }
}

/**
 * Finds the module path and version an archive names from its first entry's
 * `path@version/` prefix, and checks both. Throws {@link ZipRuleError}.
 *
 * @example
 * ```ts
 * identifyModule([{ name: "example.com/m@v1.0.0/go.mod", size: 9 }]);
 * // { path: "example.com/m", version: "v1.0.0" }
 * ```
 */
export function identifyModule(entries: readonly ZipEntryInfo[]): ModuleId {
  if (entries.length === 0) {
    throw new ZipRuleError("zip file has no entries, so it names no module");
  }
  // The first entry that has the shape of a prefix names the module; entries before it
  // are then refused for lacking that prefix, as x/mod's CheckZip reports them.
  let first: string | null = null, at = -1, slash = -1;
  for (const entry of entries) {
    const name = entry.name;
    if (name === null) continue;
    at = name.indexOf("@");
    slash = at < 0 ? -1 : name.indexOf("/", at);
    if (at > 0 && slash > 0) {
      first = name;
      break;
    }
  }
  if (first === null) {
    throw new ZipRuleError(
      `no zip entry starts with a "module@version/" prefix (first entry: ${
        entries[0].name === null ? "not valid UTF-8" : printable(entries[0].name)
      })`,
    );
  }
  const path = first.slice(0, at), version = first.slice(at + 1, slash);
  if (new TextEncoder().encode(path).length > MAX_MODULE_PATH_LENGTH) {
    throw new ZipRuleError(
      `module path is too long (${path.length} bytes; limit is ${MAX_MODULE_PATH_LENGTH})`,
    );
  }
  if (new TextEncoder().encode(version).length > MAX_VERSION_LENGTH) {
    throw new ZipRuleError(
      `version is too long (${version.length} bytes; limit is ${MAX_VERSION_LENGTH})`,
    );
  }
  const pathErr = checkModulePath(path);
  if (pathErr) throw new ZipRuleError(pathErr);
  const versionErr = checkModuleVersion(path, version);
  if (versionErr) throw new ZipRuleError(versionErr);
  return { path, version };
}

/** What the entry checks found out about a valid archive. */
export interface CheckedZip {
  /** Whether the archive has a root `go.mod`. */
  hasGoMod: boolean;
  /** Sum of declared uncompressed sizes. */
  totalSize: number;
}

/**
 * Applies x/mod CheckZip's per-entry rules and modyard's stricter ones to every entry of
 * an archive for module `m`. Throws {@link ZipRuleError} listing every offending entry.
 *
 * @example
 * ```ts
 * checkZipEntries({ path: "example.com/m", version: "v1.0.0" }, [
 *   { name: "example.com/m@v1.0.0/go.mod", size: 22 },
 * ]); // { hasGoMod: true, totalSize: 22 }
 * ```
 */
export function checkZipEntries(m: ModuleId, entries: readonly ZipEntryInfo[]): CheckedZip {
  const checker = new ZipEntryChecker(m);
  for (const entry of entries) checker.add(entry);
  return checker.finish();
}

/** Problems listed in one refusal; the rest are counted (a reply stays readable). */
const MAX_LISTED_PROBLEMS = 100;

/**
 * {@link checkZipEntries} one entry at a time, for callers that give other work a turn
 * between entries of a large archive.
 *
 * @example
 * ```ts
 * const checker = new ZipEntryChecker({ path: "example.com/m", version: "v1.0.0" });
 * checker.add({ name: "example.com/m@v1.0.0/go.mod", size: 22 });
 * checker.finish(); // { hasGoMod: true, totalSize: 22 }
 * ```
 */
export class ZipEntryChecker {
  #prefix: string;
  #problems: string[] = [];
  #unlisted = 0;
  #collisions = new CollisionChecker();
  #hasGoMod = false;
  #totalSize = 0;
  #sizeProblem = "";

  /** Starts the checks of an archive for module `m`. */
  constructor(readonly m: ModuleId) {
    this.#prefix = `${m.path}@${m.version}/`;
  }

  /** Checks the next entry; problems are collected until {@link finish}. */
  add(entry: ZipEntryInfo): void {
    const problem = this.#check(entry);
    if (problem === null) return;
    if (this.#problems.length < MAX_LISTED_PROBLEMS) this.#problems.push(problem);
    else this.#unlisted++;
  }

  /** Throws {@link ZipRuleError} listing the problems found, if any; else the summary. */
  finish(): CheckedZip {
    const problems = [...this.#problems];
    if (this.#unlisted > 0) {
      problems.push(`(and ${this.#unlisted} more entries that break these rules)`);
    }
    if (this.#sizeProblem) problems.push(this.#sizeProblem);
    if (problems.length > 0) throw new ZipRuleError(problems.join("\n"));
    const versionErr = checkModuleVersion(this.m.path, this.m.version, this.#hasGoMod);
    if (versionErr) throw new ZipRuleError(versionErr);
    return { hasGoMod: this.#hasGoMod, totalSize: this.#totalSize };
  }

  #check(entry: ZipEntryInfo): string | null {
    const full = entry.name;
    if (full === null) return "zip entry name is not valid UTF-8";
    const fail = (why: string) => `${printable(full)}: ${why}`;
    if (!full.startsWith(this.#prefix)) {
      return fail(`path does not have prefix ${goQuote(this.#prefix)}`);
    }
    const name = full.slice(this.#prefix.length);
    if (name === "" || name.endsWith("/")) {
      return fail(
        "directory entries are not allowed: the go command hashes them but not the extracted tree, " +
          "so `go mod verify` would fail; rebuild the zip with `zip -D` or `modyard publish`",
      );
    }
    if (cleanPath(name) !== name) return fail("file path is not clean");
    const pathErr = checkFilePath(name);
    if (pathErr) return fail(pathErr);
    const collisionErr = this.#collisions.check(name, false);
    if (collisionErr) return fail(collisionErr);
    const base = name.slice(name.lastIndexOf("/") + 1);
    if (base.toLowerCase() === "go.mod") {
      if (base !== name) return fail("go.mod file not in module root directory");
      if (name !== "go.mod") return fail("go.mod files must have lowercase names");
      this.#hasGoMod = true;
    }
    const size = entry.size;
    if (size >= 0 && MAX_ZIP_SIZE - this.#totalSize >= size) {
      this.#totalSize += size;
    } else if (!this.#sizeProblem) {
      this.#sizeProblem =
        `total uncompressed size of module contents too large (max size is ${MAX_ZIP_SIZE} bytes)`;
    }
    if (name === "go.mod" && size > MAX_GO_MOD_SIZE) {
      return fail(`go.mod file too large (max size is ${MAX_GO_MOD_SIZE} bytes)`);
    }
    if (name === "LICENSE" && size > MAX_LICENSE_SIZE) {
      return fail(`LICENSE file too large (max size is ${MAX_LICENSE_SIZE} bytes)`);
    }
    return null;
  }
}

/**
 * x/mod's collisionChecker: finds case-insensitive name collisions, duplicate files, and
 * paths that are both a file and a directory (parents are checked as directories).
 */
export class CollisionChecker {
  #seen = new Map<string, { path: string; isDir: boolean }>();

  /** Records `p`; returns x/mod's error message for a collision, or `null`. */
  check(p: string, isDir: boolean): string | null {
    const fold = foldCase(p);
    const other = this.#seen.get(fold);
    if (other) {
      if (other.path !== p) {
        return `case-insensitive file name collision: ${goQuote(other.path)} and ${goQuote(p)}`;
      }
      if (other.isDir !== isDir) return `entry ${goQuote(p)} is both a file and a directory`;
      if (!isDir) return `multiple entries for file ${goQuote(p)}`;
    } else {
      this.#seen.set(fold, { path: p, isDir });
    }
    const slash = p.lastIndexOf("/");
    return slash > 0 ? this.check(p.slice(0, slash), true) : null;
  }
}

/**
 * path.Clean for the relative slash-separated names found in zips and source trees.
 *
 * @example
 * ```ts
 * cleanPath("a/../b.go"); // "b.go"
 * ```
 */
export function cleanPath(p: string): string {
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const elem of p.split("/")) {
    if (elem === "" || elem === ".") continue;
    if (elem === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else {
      out.push(elem);
    }
  }
  const joined = out.join("/");
  return rooted ? "/" + joined : joined || ".";
}

/**
 * A case fold close to Go's strToFold: each character to its simple lowercase.
 *
 * @example
 * ```ts
 * foldCase("M.GO") === foldCase("m.go"); // true
 * ```
 */
export function foldCase(s: string): string {
  // ASCII (nearly every name) folds by lowercasing alone; the loop is for the rest.
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = "";
  for (const c of s) {
    const upper = c.toUpperCase();
    out += [...upper].length === 1 ? upper.toLowerCase() : c.toLowerCase();
  }
  return out;
}

/** Quotes names with control characters so a reply stays one readable line per entry. */
function printable(name: string): string {
  // deno-lint-ignore no-control-regex
  return /[\x00-\x1f\x7f]/.test(name) ? goQuote(name) : name;
}
