/**
 * `main.ts publish [DIR] --url URL --owner OWNER …`: builds the canonical module zip from
 * source (a git tag's files, or the directory as x/mod's CreateFromDir sees it) and uploads
 * it with a progress display. A zip packed from a git commit is sent with its provenance
 * (`X-Modyard-Origin`: remote URL without credentials, subdirectory, tag, commit hash).
 *
 * Exit codes: 0 published (or dry run / --out written); 1 refused by validation; 2 usage;
 * 3 already published (409); 4 authentication or authorisation refused.
 *
 * @module
 */

import { parseModFile } from "../gomod/modfile.ts";
import { checkModulePath, checkModuleVersion } from "../gomod/path.ts";
import { canonicalVersion, compareVersions } from "../gomod/version.ts";
import { buildModuleZip } from "./build_zip.ts";
import {
  describe,
  filesFromDir,
  filesFromGit,
  gitContext,
  gitOrigin,
  isDirty,
  type ModuleFiles,
  tagsAtHead,
} from "./module_source.ts";
import { netrcCredentials } from "./netrc.ts";
import { encodeOriginHeader, type Origin, ORIGIN_HEADER } from "../registry/origin.ts";

/** Options of the publish command. */
export interface PublishOptions {
  dir: string;
  url: string;
  owner: string;
  version?: string;
  module?: string;
  allowDirty: boolean;
  dryRun: boolean;
  out?: string;
  tokenStdin: boolean;
}

class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** Runs the publish command; resolves to the exit code. */
export async function publishCommand(o: PublishOptions): Promise<number> {
  try {
    return await publish(o);
  } catch (err) {
    if (err instanceof Exit) {
      console.error(err.message);
      return err.code;
    }
    throw err;
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

async function publish(o: PublishOptions): Promise<number> {
  if (!o.dryRun && !o.out && (!o.url || !o.owner)) {
    throw new Exit(2, "publish needs --url and --owner (or --dry-run / --out)");
  }
  const dir = await Deno.realPath(o.dir).catch((err) => {
    if (err instanceof Deno.errors.NotCapable) {
      throw new Exit(
        2,
        `cannot read ${o.dir}: no permission (run publish with the cli task, or add --allow-read)`,
      );
    }
    throw new Exit(2, `no such directory: ${o.dir}`);
  });
  // Without git a work tree would be packed as a plain directory, untracked and ignored files
  // (.env, build output) included: refuse instead of guessing.
  if ((await Deno.permissions.query({ name: "run", command: "git" })).state !== "granted") {
    throw new Exit(
      2,
      "publish needs permission to run git (run it with the cli task, or add --allow-run=git)",
    );
  }
  const git = await gitContext(dir);

  // Version: --version, else a tag on HEAD named for this module's subdirectory.
  let version = o.version;
  let fromTag = false;
  if (version === undefined) {
    if (!git) throw new Exit(2, "no version: pass --version, or tag HEAD in a git work tree");
    const prefix = git.prefix ? `${git.prefix}/` : "";
    const tagged = (await tagsAtHead(git.root))
      .filter((t) => t.startsWith(prefix) && t.slice(prefix.length).startsWith("v"))
      .map((t) => t.slice(prefix.length))
      .filter((v) => canonicalVersion(v) === v)
      .sort(compareVersions);
    version = tagged.at(-1);
    if (!version) {
      throw new Exit(
        2,
        `no version: no tag ${prefix}vX.Y.Z points at HEAD; pass --version or tag HEAD`,
      );
    }
    fromTag = true;
  }

  // What to pack: committed files (git) unless --allow-dirty with an explicit version.
  let files: ModuleFiles;
  let goModText: string | null;
  let origin: Origin | null = null;
  let originNote = "none (not packed from a git commit)";
  if (git && !(o.allowDirty && !fromTag)) {
    const dirty = await isDirty(git.root, git.prefix);
    if (dirty.length > 0 && !o.allowDirty) {
      throw new Exit(
        1,
        `the work tree has uncommitted changes (pass --allow-dirty to publish anyway):\n${
          dirty.join("\n")
        }`,
      );
    }
    const rev = fromTag ? `refs/tags/${git.prefix ? `${git.prefix}/` : ""}${version}` : "HEAD";
    files = await filesFromGit(git.root, rev, git.prefix);
    const found = await gitOrigin(git.root, git.prefix, version);
    origin = found.origin;
    originNote = origin ? JSON.stringify(origin) : `none (${found.reason})`;
    goModText = files.selection.valid.some((f) => f.path === "go.mod")
      ? await new Response(await files.open("go.mod")).text()
      : null;
  } else {
    files = await filesFromDir(dir);
    goModText = await readText(`${dir}/go.mod`);
  }

  // Module path: the go.mod's module line, else --module.
  let module = o.module;
  if (goModText !== null) {
    let declared: string;
    try {
      declared = parseModFile(goModText).module;
    } catch (err) {
      throw new Exit(1, `go.mod: ${(err as Error).message}`);
    }
    if (module !== undefined && module !== declared) {
      throw new Exit(1, `--module ${module} disagrees with go.mod, which says ${declared}`);
    }
    module = declared;
  }
  if (!module) throw new Exit(2, "no module path: the directory has no go.mod; pass --module");
  const pathErr = checkModulePath(module);
  if (pathErr) throw new Exit(1, pathErr);
  const versionErr = checkModuleVersion(module, version, goModText !== null);
  if (versionErr) throw new Exit(1, versionErr);

  const { selection } = files;
  if (selection.invalid.length > 0 || selection.sizeError) {
    const lines = describe(selection.invalid);
    if (selection.sizeError) lines.push(selection.sizeError);
    throw new Exit(1, `cannot publish ${module}@${version}:\n${lines.join("\n")}`);
  }

  const zipPath = o.out ?? await Deno.makeTempFile({ prefix: "modyard-publish-", suffix: ".zip" });
  try {
    const built = await buildModuleZip(files, module, version, zipPath);
    const gosum =
      `${module} ${version} ${built.h1}\n${module} ${version}/go.mod ${built.goModH1}\n`;
    if (o.dryRun) {
      console.log(`${module}@${version}\n\nincluded:`);
      for (const f of selection.valid) console.log(`  ${f.path}`);
      console.log("\nexcluded:");
      for (const line of describe(selection.omitted)) console.log(`  ${line}`);
      console.log(`\norigin: ${originNote}\nzip size: ${built.size} bytes\n\n${gosum}`);
      return 0;
    }
    if (o.out) {
      console.log(`wrote ${o.out} (${built.size} bytes)\n${gosum}`);
      return 0;
    }
    return await upload(o, zipPath, built.size, built.h1, gosum, origin);
  } finally {
    if (!o.out) await Deno.remove(zipPath).catch(() => {});
  }
}

async function credentials(o: PublishOptions): Promise<string> {
  if (o.tokenStdin) {
    const token = (await new Response(Deno.stdin.readable).text()).trim();
    if (!token) throw new Exit(2, "--token-stdin: no token on standard input");
    return `Bearer ${token}`;
  }
  const env = Deno.env.get("MODYARD_TOKEN");
  if (env) return `Bearer ${env}`;
  const fromNetrc = await netrcCredentials(new URL(o.url).hostname);
  if (fromNetrc) {
    return "Basic " +
      new TextEncoder().encode(`${fromNetrc.login}:${fromNetrc.password}`).toBase64();
  }
  throw new Exit(4, "no credentials: pass --token-stdin, set MODYARD_TOKEN, or add a .netrc entry");
}

async function upload(
  o: PublishOptions,
  zipPath: string,
  size: number,
  localH1: string,
  gosum: string,
  origin: Origin | null,
): Promise<number> {
  const authorization = await credentials(o);
  const url = `${o.url.replace(/\/$/, "")}/api/packages/${o.owner}/go/upload`;
  const file = await Deno.open(zipPath, { read: true });
  const progress = new Progress(size);
  const body = file.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.add(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
  let res: Response;
  try {
    res = await fetch(url, {
      method: "PUT",
      body,
      headers: {
        authorization,
        "content-length": String(size),
        "content-type": "application/zip",
        ...(origin ? { [ORIGIN_HEADER]: encodeOriginHeader(origin) } : {}),
      },
    });
  } catch (err) {
    throw new Exit(1, `upload to ${url} failed: ${(err as Error).message}`);
  } finally {
    progress.done();
  }
  const text = (await res.text()).trim();
  switch (res.status) {
    case 201:
      console.log(`published\n${gosum}`);
      return 0;
    case 409: {
      const stored = /with (h1:[A-Za-z0-9+/=]+)/.exec(text)?.[1] ?? "unknown";
      throw new Exit(3, `already published: ${text}\nstored: ${stored}\nlocal:  ${localH1}`);
    }
    case 401:
    case 403:
      throw new Exit(4, `refused (${res.status}): ${text}`);
    default:
      throw new Exit(1, `refused (${res.status}): ${text}`);
  }
}

/** Upload progress: a bar on a terminal, a plain line every two seconds otherwise. */
class Progress {
  #sent = 0;
  #start = performance.now();
  #lastPrint = 0;
  readonly #tty = Deno.stderr.isTerminal();
  constructor(readonly total: number) {}

  add(n: number): void {
    this.#sent += n;
    const now = performance.now();
    if (now - this.#lastPrint < (this.#tty ? 100 : 2000) && this.#sent < this.total) return;
    this.#lastPrint = now;
    this.#print(now);
  }

  done(): void {
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }

  #print(now: number): void {
    const pct = this.total ? Math.floor((this.#sent / this.total) * 100) : 100;
    const rate = this.#sent / 1e6 / Math.max(0.001, (now - this.#start) / 1000);
    const mib = (n: number) => (n / 1048576).toFixed(1);
    const text = `${mib(this.#sent)}/${mib(this.total)} MiB ${pct}% ${rate.toFixed(1)} MB/s`;
    if (this.#tty) {
      const width = 30, filled = Math.round((pct / 100) * width);
      const bar = "=".repeat(filled) + " ".repeat(width - filled);
      Deno.stderr.writeSync(new TextEncoder().encode(`\r[${bar}] ${text}`));
    } else {
      console.error(`uploading: ${text}`);
    }
  }
}
