/**
 * One directory level of a module's files, for the file tree page: the subdirectories (with
 * the total size and number of files under each) and the files directly in it.
 *
 * @module
 */

import type { ZipFileInfo } from "./zip_files.ts";

/** A subdirectory in a listing. */
export interface TreeDirectory {
  /** Its name (one path element). */
  name: string;
  /** Its path relative to the module root, without a trailing slash. */
  path: string;
  /** Total uncompressed size of the files under it. */
  size: number;
  /** Number of files under it (at any depth). */
  files: number;
}

/** The contents of one directory. */
export interface TreeListing {
  /** The directory's path (`""` for the module root). */
  path: string;
  /** Subdirectories, by name. */
  directories: TreeDirectory[];
  /** Files directly in the directory, by name. */
  files: (ZipFileInfo & { name: string })[];
}

/**
 * The listing of directory `dir` (`""` or `a/b`, a trailing slash allowed) of `files`, or
 * `null` when no file is under it.
 *
 * @example
 * ```ts
 * treeListing([{ path: "go.mod", size: 20 }, { path: "sub/a.go", size: 5 }], "");
 * // { path: "", directories: [{ name: "sub", path: "sub", size: 5, files: 1 }],
 * //   files: [{ name: "go.mod", path: "go.mod", size: 20 }] }
 * ```
 */
export function treeListing(files: readonly ZipFileInfo[], dir: string): TreeListing | null {
  const path = dir.replace(/\/+$/, "");
  const prefix = path === "" ? "" : path + "/";
  const directories = new Map<string, TreeDirectory>();
  const direct: (ZipFileInfo & { name: string })[] = [];
  for (const file of files) {
    if (!file.path.startsWith(prefix)) continue;
    const rest = file.path.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      direct.push({ name: rest, path: file.path, size: file.size });
      continue;
    }
    const name = rest.slice(0, slash);
    let entry = directories.get(name);
    if (!entry) {
      entry = { name, path: prefix + name, size: 0, files: 0 };
      directories.set(name, entry);
    }
    entry.size += file.size;
    entry.files++;
  }
  if (direct.length === 0 && directories.size === 0) return null;
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return {
    path,
    directories: [...directories.values()].sort(byName),
    files: direct.sort(byName),
  };
}
