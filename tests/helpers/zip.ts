/**
 * Building module zips for tests: from an in-memory file map, or from a source tree with
 * the file selection of golang.org/x/mod's CreateFromDir (VCS directories, nested modules,
 * vendor directories and irregular files left out). No directory entries.
 *
 * @module
 */

import { BlobWriter, configure, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";

configure({ useWebWorkers: false });

/** Builds a zip whose entries are `files` in insertion order (names used as given). */
export async function buildZip(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const writer = new ZipWriter(new BlobWriter("application/zip"), { useWebWorkers: false });
  for (const [name, content] of Object.entries(files)) {
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    await writer.add(name, new Uint8ArrayReader(bytes), { level: 6 });
  }
  const blob = await writer.close();
  return new Uint8Array(await blob.arrayBuffer());
}

/** Builds a module zip from a file map relative to the module root. */
export function moduleZip(
  path: string,
  version: string,
  files: Record<string, string | Uint8Array>,
): Promise<Uint8Array> {
  const prefixed: Record<string, string | Uint8Array> = {};
  for (const [name, content] of Object.entries(files)) {
    prefixed[`${path}@${version}/${name}`] = content;
  }
  return buildZip(prefixed);
}

/** Reads a source tree as a file map, as CreateFromDir would select its files. */
export async function readModuleTree(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  async function walk(rel: string) {
    const abs = rel ? `${dir}/${rel}` : dir;
    const names = [];
    for await (const e of Deno.readDir(abs)) names.push(e);
    names.sort((a, b) => a.name < b.name ? -1 : 1);
    for (const e of names) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        if ([".git", ".hg", ".svn", ".bzr", "vendor"].includes(e.name)) continue;
        if (await exists(`${dir}/${child}/go.mod`)) continue;
        await walk(child);
      } else if (e.isFile) {
        files[child] = await Deno.readFile(`${dir}/${child}`);
      }
    }
  }
  await walk("");
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `n` random bytes (any length; getRandomValues gives at most 64 KiB a call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}
