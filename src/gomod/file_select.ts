/**
 * Which files of a module source tree go into its zip, as golang.org/x/mod/zip decides it
 * (CreateFromDir's walk and Create's checkFiles), including the historical vendor-directory
 * quirk that checksums depend on. Pure: the caller lists the files.
 *
 * @module
 */

import { checkFilePath } from "./path.ts";
import {
  cleanPath,
  CollisionChecker,
  MAX_GO_MOD_SIZE,
  MAX_LICENSE_SIZE,
  MAX_ZIP_SIZE,
} from "./zipcheck.ts";

/** A path in a source tree and what kind of thing it is. */
export interface SourceEntry {
  /** Slash-separated path relative to the module root. */
  path: string;
  /** Regular file, directory, symbolic link, or anything else (device, socket, …). */
  kind: "file" | "dir" | "symlink" | "other";
  /** Size in bytes (files). */
  size: number;
}

/** A path left out or refused, with x/mod's reason. */
export interface FileVerdict {
  /** The path. */
  path: string;
  /** Why. */
  reason: string;
}

/** The outcome of selecting a module's files. */
export interface FileSelection {
  /** Files to pack, in the order given. */
  valid: SourceEntry[];
  /** Files and directories left out on purpose. */
  omitted: FileVerdict[];
  /** Files that make the module unpublishable. */
  invalid: FileVerdict[];
  /** Set when the files together are too large. */
  sizeError: string;
}

/** x/mod's reasons, verbatim. */
export const REASONS = {
  vcs: "directory is a version control repository",
  vendored: "file is in vendor directory",
  submoduleFile: "file is in another module",
  submoduleDir: "directory is in another module",
  hgArchival: "file is inserted by 'hg archive' and is always omitted",
  symlink: "file is a symbolic link",
  notRegular: "not a regular file",
  notClean: "file path is not clean",
  notRelative: "file path is not relative",
  goModCase: "go.mod files must have lowercase names",
} as const;

/**
 * Whether the `go` line (`1.23.4`, `1.24`, `1.24rc1`) is at least 1.24, from which x/mod
 * applies the corrected vendor rule. An empty line (no go.mod) is older.
 *
 * @example
 * ```ts
 * atLeastGo124("1.24.0"); // true
 * atLeastGo124("1.9"); // false
 * ```
 */
export function atLeastGo124(goLine: string): boolean {
  const m = /^([0-9]+)\.([0-9]+)/.exec(goLine);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 24);
}

/**
 * Whether a file belongs to a vendored package and is left out. Before Go 1.24 this
 * reproduces x/mod's historical offset bug (golang.org/issue/31562, /37397) exactly, since
 * published checksums depend on it; from 1.24 on, the corrected rule, which also leaves out
 * `vendor/modules.txt`.
 *
 * @example
 * ```ts
 * isVendoredPackage("vendor/example.com/x/x.go", "1.13"); // true
 * isVendoredPackage("vendor/modules.txt", "1.13"); // false
 * isVendoredPackage("pkg/vendor/vendor.go", "1.23"); // true (the quirk)
 * isVendoredPackage("pkg/vendor/vendor.go", "1.24"); // false
 * ```
 */
export function isVendoredPackage(name: string, goLine: string): boolean {
  const modern = atLeastGo124(goLine);
  if (modern && name === "vendor/modules.txt") return true;
  let i: number;
  if (name.startsWith("vendor/")) {
    i = "vendor/".length;
  } else {
    const j = name.indexOf("/vendor/");
    if (j < 0) return false;
    i = modern ? j + "/vendor/".length : "/vendor/".length;
  }
  return name.slice(i).includes("/");
}

function isVcsDir(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base === ".bzr" || base === ".git" || base === ".hg" || base === ".svn";
}

/**
 * What x/mod's CreateFromDir walk leaves out before checking files: vendored packages, VCS
 * directories, directories holding their own go.mod, and irregular files. `entries` must be
 * in walk order (lexical, parents first); `hasGoMod(dir)` tells whether `dir/go.mod` is a
 * regular file. Returns the files that reach {@link checkFiles}, and the omissions.
 */
export function walkSelection(
  entries: readonly SourceEntry[],
  goLine: string,
  hasGoMod: (dir: string) => boolean,
): { files: SourceEntry[]; omitted: FileVerdict[] } {
  const files: SourceEntry[] = [];
  const omitted: FileVerdict[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    if (skipped.some((d) => e.path.startsWith(d + "/"))) continue;
    if (isVendoredPackage(e.path, goLine)) {
      omitted.push({ path: e.path, reason: REASONS.vendored });
      continue;
    }
    if (e.kind === "dir") {
      if (isVcsDir(e.path)) {
        omitted.push({ path: e.path, reason: REASONS.vcs });
        skipped.push(e.path);
      } else if (hasGoMod(e.path)) {
        omitted.push({ path: e.path, reason: REASONS.submoduleDir });
        skipped.push(e.path);
      }
      continue;
    }
    if (e.kind !== "file") {
      omitted.push({ path: e.path, reason: REASONS.notRegular });
      continue;
    }
    files.push(e);
  }
  return { files, omitted };
}

/**
 * x/mod's checkFiles: sorts files into valid, omitted (vendored, nested modules,
 * `.hg_archival.txt`, symlinks, irregular files) and invalid (unclean or invalid paths,
 * case collisions, non-lowercase go.mod, size limits).
 */
export function checkFiles(files: readonly SourceEntry[], goLine: string): FileSelection {
  const result: FileSelection = { valid: [], omitted: [], invalid: [], sizeError: "" };
  const seen = new Set<string>();
  const add = (path: string, omitted: boolean, reason: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    (omitted ? result.omitted : result.invalid).push({ path, reason });
  };
  const haveGoMod = new Set<string>();
  for (const f of files) {
    const slash = f.path.lastIndexOf("/");
    const base = f.path.slice(slash + 1);
    if (base.toLowerCase() === "go.mod" && f.kind === "file") {
      haveGoMod.add(f.path.slice(0, slash + 1));
    }
  }
  const inSubmodule = (p: string) => {
    for (;;) {
      const slash = p.lastIndexOf("/");
      if (slash < 0) return false;
      const dir = p.slice(0, slash + 1);
      if (haveGoMod.has(dir)) return true;
      p = p.slice(0, slash);
    }
  };
  const collisions = new CollisionChecker();
  let remaining = MAX_ZIP_SIZE;
  for (const f of files) {
    const p = f.path;
    if (cleanPath(p) !== p) {
      add(p, false, REASONS.notClean);
      continue;
    }
    if (p.startsWith("/")) {
      add(p, false, REASONS.notRelative);
      continue;
    }
    if (isVendoredPackage(p, goLine)) {
      add(p, true, REASONS.vendored);
      continue;
    }
    if (inSubmodule(p)) {
      add(p, true, REASONS.submoduleFile);
      continue;
    }
    if (p === ".hg_archival.txt") {
      add(p, true, REASONS.hgArchival);
      continue;
    }
    const pathErr = checkFilePath(p);
    if (pathErr) {
      add(p, false, pathErr);
      continue;
    }
    if (p.toLowerCase() === "go.mod" && p !== "go.mod") {
      add(p, false, REASONS.goModCase);
      continue;
    }
    const collisionErr = collisions.check(p, f.kind === "dir");
    if (collisionErr) {
      add(p, false, collisionErr);
      continue;
    }
    if (f.kind === "symlink") {
      add(p, true, REASONS.symlink);
      continue;
    }
    if (f.kind !== "file") {
      add(p, true, REASONS.notRegular);
      continue;
    }
    if (f.size >= 0 && f.size <= remaining) {
      remaining -= f.size;
    } else if (!result.sizeError) {
      result.sizeError = `module source tree too large (max size is ${MAX_ZIP_SIZE} bytes)`;
    }
    if (p === "go.mod" && f.size > MAX_GO_MOD_SIZE) {
      add(p, false, `go.mod file too large (max size is ${MAX_GO_MOD_SIZE} bytes)`);
      continue;
    }
    if (p === "LICENSE" && f.size > MAX_LICENSE_SIZE) {
      add(p, false, `LICENSE file too large (max size is ${MAX_LICENSE_SIZE} bytes)`);
      continue;
    }
    result.valid.push(f);
  }
  return result;
}
