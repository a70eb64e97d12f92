/**
 * The files of a module to publish: a directory as x/mod's CreateFromDir walks it, or the
 * files of a git commit as `git archive` would see them (never untracked, ignored or
 * uncommitted files). Both end in a {@link ModuleFiles} that the zip writer streams from.
 *
 * @module
 */

import {
  checkFiles,
  type FileSelection,
  type FileVerdict,
  type SourceEntry,
  walkSelection,
} from "../gomod/file_select.ts";
import { checkRepoUrl, type Origin, stripCredentials } from "../registry/origin.ts";

/** The selected files of a module and how to read each. */
export interface ModuleFiles {
  /** Valid, omitted and invalid files (walk omissions included). */
  selection: FileSelection;
  /** Opens a selected file's content as a stream. */
  open(path: string): Promise<ReadableStream<Uint8Array>>;
}

/** Reads the root go.mod's `go` line from its text ("" when there is none). */
export function goLineOf(goMod: string | null): string {
  const m = goMod === null ? null : /^\s*go\s+([^\s/]+)/m.exec(goMod);
  return m ? m[1] : "";
}

/** The walk's omissions, then checkFiles, over a listing in walk order. */
function selectFiles(entries: SourceEntry[], goLine: string): FileSelection {
  const regularGoMod = new Set(
    entries.filter((e) => e.kind === "file" && /(^|\/)go\.mod$/.test(e.path)).map((e) =>
      e.path.slice(0, -"/go.mod".length)
    ),
  );
  const walked = walkSelection(entries, goLine, (d) => regularGoMod.has(d));
  const selection = checkFiles(walked.files, goLine);
  selection.omitted = [...walked.omitted, ...selection.omitted];
  return selection;
}

/** Lists a directory like Go's filepath.Walk: lexical order, parents before children. */
async function walk(dir: string): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  async function visit(rel: string) {
    const entries = [];
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) entries.push(e.name);
    entries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of entries) {
      const path = rel ? `${rel}/${name}` : name;
      const info = await Deno.lstat(`${dir}/${path}`);
      if (info.isDirectory) {
        out.push({ path, kind: "dir", size: 0 });
        // VCS directories are left out whole; no need to read them.
        if (![".git", ".hg", ".svn", ".bzr"].includes(name)) await visit(path);
      } else {
        out.push({
          path,
          kind: info.isFile ? "file" : info.isSymlink ? "symlink" : "other",
          size: info.size,
        });
      }
    }
  }
  await visit("");
  return out;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/** The files of a directory, selected as x/mod's CreateFromDir selects them. */
export async function filesFromDir(dir: string): Promise<ModuleFiles> {
  const goLine = goLineOf(await readOptional(`${dir}/go.mod`));
  return {
    selection: selectFiles(await walk(dir), goLine),
    async open(path) {
      return (await Deno.open(`${dir}/${path}`, { read: true })).readable;
    },
  };
}

async function git(
  cwd: string,
  args: string[],
): Promise<{ ok: boolean; out: Uint8Array; err: string }> {
  const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  return { ok: out.success, out: out.stdout, err: new TextDecoder().decode(out.stderr).trim() };
}

/** The git work tree containing `dir` and `dir`'s path inside it, or `null`. */
export async function gitContext(dir: string): Promise<{ root: string; prefix: string } | null> {
  try {
    const top = await git(dir, ["rev-parse", "--show-toplevel", "--show-prefix"]);
    if (!top.ok) return null;
    const [root, prefix = ""] = new TextDecoder().decode(top.out).split("\n");
    return { root, prefix: prefix.replace(/\/$/, "") };
  } catch {
    return null; // git is not installed
  }
}

/** Tags pointing at HEAD. */
export async function tagsAtHead(root: string): Promise<string[]> {
  const res = await git(root, ["tag", "--points-at", "HEAD"]);
  return res.ok ? new TextDecoder().decode(res.out).split("\n").filter((t) => t !== "") : [];
}

/** Whether the work tree has uncommitted changes under `prefix` (untracked files included). */
export async function isDirty(root: string, prefix: string): Promise<string[]> {
  const res = await git(root, ["status", "--porcelain", "--", prefix || "."]);
  return new TextDecoder().decode(res.out).split("\n").filter((l) => l !== "");
}

/**
 * The files of `rev` under `prefix`, as `git archive` sees them: tracked files only;
 * symbolic links and submodules are irregular and omitted.
 */
export async function filesFromGit(
  root: string,
  rev: string,
  prefix: string,
): Promise<ModuleFiles> {
  const tree = `${rev}:${prefix}`;
  const res = await git(root, ["ls-tree", "-r", "-t", "-z", "--long", tree]);
  if (!res.ok) throw new Error(`git ls-tree ${tree}: ${res.err}`);
  const entries: SourceEntry[] = [];
  for (const record of new TextDecoder().decode(res.out).split("\0")) {
    if (record === "") continue;
    const tab = record.indexOf("\t");
    const [mode, type, , size] = record.slice(0, tab).split(/\s+/);
    const path = record.slice(tab + 1);
    const kind = type === "tree"
      ? "dir"
      : type === "commit"
      ? "other"
      : mode === "120000"
      ? "symlink"
      : "file";
    entries.push({ path, kind, size: kind === "file" ? Number(size) : 0 });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const goModBlob = await git(root, ["show", prefix ? `${rev}:${prefix}/go.mod` : `${rev}:go.mod`]);
  const goLine = goLineOf(goModBlob.ok ? new TextDecoder().decode(goModBlob.out) : null);
  return {
    selection: selectFiles(entries, goLine),
    open(path) {
      const spec = prefix ? `${rev}:${prefix}/${path}` : `${rev}:${path}`;
      const child = new Deno.Command("git", {
        args: ["cat-file", "blob", spec],
        cwd: root,
        stdout: "piped",
      })
        .spawn();
      return Promise.resolve(child.stdout);
    },
  };
}

/** Formats omissions and refusals as `path: reason` lines. */
export function describe(verdicts: readonly FileVerdict[]): string[] {
  return verdicts.map((v) => `${v.path}: ${v.reason}`);
}

/**
 * Where a module packed from git at HEAD comes from: the `origin` remote's URL (credentials
 * stripped), the module's subdirectory, `refs/tags/[subdir/]version` when that tag points at
 * HEAD, and HEAD's commit hash. `null`, with the reason, when there is no usable remote.
 */
export async function gitOrigin(
  root: string,
  prefix: string,
  version: string,
): Promise<{ origin: Origin | null; reason?: string }> {
  const remote = await git(root, ["remote", "get-url", "origin"]);
  if (!remote.ok) return { origin: null, reason: "the repository has no remote named origin" };
  const url = stripCredentials(new TextDecoder().decode(remote.out).trim());
  const urlError = checkRepoUrl(url);
  if (urlError) return { origin: null, reason: `the origin remote ${url} ${urlError}` };
  const head = await git(root, ["rev-parse", "--verify", "HEAD^{commit}"]);
  if (!head.ok) return { origin: null, reason: `git rev-parse HEAD: ${head.err}` };
  const tag = prefix ? `${prefix}/${version}` : version;
  const tagged = (await tagsAtHead(root)).includes(tag);
  return {
    origin: {
      VCS: "git",
      URL: url,
      ...(prefix ? { Subdir: prefix } : {}),
      ...(tagged ? { Ref: `refs/tags/${tag}` } : {}),
      Hash: new TextDecoder().decode(head.out).trim(),
    },
  };
}
