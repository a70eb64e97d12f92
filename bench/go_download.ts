/**
 * `go mod download` of real module versions (built from Debian's Go sources) with a cold
 * module cache, through modyard and, for the anchor, from a `file://` GOPROXY of the same zips.
 * Runs alternate between the two; each gets a fresh GOMODCACHE.
 *
 * @module
 */

import { findGo } from "../tests/helpers/go.ts";
import { type BuiltModule, DEBIAN_MODULES } from "./debian_modules.ts";
import { median } from "./wrk.ts";

/** Timings of one side. */
export interface GoDownloadTimes {
  /** Seconds of each run. */
  runs: number[];
  /** Median seconds. */
  median: number;
}

/** The scenario's outcome. */
export interface GoDownloadResult {
  /** Module versions downloaded per run. */
  modules: number;
  /** Total zip bytes. */
  zipBytes: number;
  /** Through modyard. */
  modyard: GoDownloadTimes;
  /** From the `file://` GOPROXY. */
  file: GoDownloadTimes;
}

async function goModDownload(dir: string, goproxy: string, args: string[]): Promise<number> {
  const cache = await Deno.makeTempDir({ dir, prefix: "gomodcache-" });
  const work = `${cache}/work`;
  await Deno.mkdir(work);
  const started = performance.now();
  const out = await new Deno.Command(findGo()!, {
    args: ["mod", "download", ...args],
    cwd: work,
    clearEnv: true,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: cache,
      GOPATH: `${cache}/gopath`,
      GOMODCACHE: `${cache}/mod`,
      GOCACHE: `${cache}/gocache`,
      GOFLAGS: "-mod=mod",
      GOSUMDB: "off",
      GOPROXY: goproxy,
      GOTOOLCHAIN: "local",
      GO111MODULE: "on",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (out.code !== 0) {
    throw new Error(
      `go mod download from ${goproxy} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  await new Deno.Command("chmod", { args: ["-R", "u+w", cache] }).output();
  await Deno.remove(cache, { recursive: true });
  return seconds;
}

/**
 * Uploads the built modules to a running modyard owner, then times `go mod download` of all of
 * them `rounds` times from each side, alternating.
 *
 * @example
 * ```ts
 * const built = await buildDebianModules(`${dir}/mods`);
 * const r = await measureGoDownload(dir, built, `${url}/api/packages/gomods/go`, auth, 5);
 * ```
 */
export async function measureGoDownload(
  dir: string,
  built: BuiltModule[],
  goproxy: string,
  uploadUrl: string,
  auth: string,
  rounds: number,
): Promise<GoDownloadResult> {
  let zipBytes = 0;
  for (const m of built) {
    const zip = await Deno.readFile(m.zipPath);
    zipBytes += zip.byteLength;
    const res = await fetch(uploadUrl, {
      method: "PUT",
      body: zip,
      headers: { authorization: auth },
    });
    const text = await res.text();
    if (res.status !== 201) {
      throw new Error(`upload of ${m.path}@${m.version}: ${res.status} ${text}`);
    }
    if (JSON.parse(text).h1 !== m.h1) throw new Error(`${m.path}@${m.version}: h1 differs`);
  }
  const args = built.map((m) => `${m.path}@${m.version}`);
  const fileProxy = `file://${dir}/proxy`;
  // One unmeasured run each: the go binary and the page cache warm.
  await goModDownload(dir, fileProxy, args);
  await goModDownload(dir, goproxy, args);
  const modyard: number[] = [];
  const file: number[] = [];
  for (let i = 0; i < rounds; i++) {
    file.push(await goModDownload(dir, fileProxy, args));
    modyard.push(await goModDownload(dir, goproxy, args));
  }
  return {
    modules: built.length,
    zipBytes,
    modyard: { runs: modyard, median: median(modyard) },
    file: { runs: file, median: median(file) },
  };
}

/** The Debian packages the scenario needs, for the prerequisite message. */
export function goDownloadPackages(): string[] {
  return [...new Set(DEBIAN_MODULES.map((m) => m.pkg))];
}
