/**
 * Real module versions for the `go mod download` scenario, built from the Go sources Debian
 * ships under /usr/share/gocode/src with the publish command's own zip builder. Versions follow
 * the Debian package versions (`1.2.0-2` → `v1.2.0`; a `~git` snapshot before a release becomes
 * the matching pseudo-version).
 *
 * @module
 */

import { buildModuleZip } from "../src/cli/build_zip.ts";
import { filesFromDir } from "../src/cli/module_source.ts";
import { escapeCase } from "../src/gomod/path.ts";

/** Where Debian puts Go module sources. */
export const GOCODE = "/usr/share/gocode/src";

/** One module version: its directory under GOCODE, module path, version and Debian package. */
export interface DebianModule {
  /** Directory under {@link GOCODE}. */
  dir: string;
  /** Module path (as its go.mod names it). */
  path: string;
  /** Version. */
  version: string;
  /** The Debian package that ships the directory. */
  pkg: string;
}

const m = (dir: string, version: string, pkg: string, path = dir): DebianModule => ({
  dir,
  path,
  version,
  pkg,
});

/** The module versions of the scenario (48, from 48 Debian packages). */
export const DEBIAN_MODULES: DebianModule[] = [
  m("github.com/BurntSushi/toml", "v1.2.0", "golang-github-burntsushi-toml-dev"),
  m("github.com/google/uuid", "v1.3.0", "golang-github-google-uuid-dev"),
  m("github.com/pkg/errors", "v0.9.1", "golang-github-pkg-errors-dev"),
  m("github.com/mattn/go-isatty", "v0.0.17", "golang-github-mattn-go-isatty-dev"),
  m("github.com/russross/blackfriday/v2", "v2.1.0", "golang-github-russross-blackfriday-v2-dev"),
  m("github.com/cpuguy83/go-md2man/v2", "v2.0.2", "golang-github-cpuguy83-go-md2man-v2-dev"),
  m("github.com/pmezard/go-difflib", "v1.0.0", "golang-github-pmezard-go-difflib-dev"),
  m("github.com/davecgh/go-spew", "v1.1.1", "golang-github-davecgh-go-spew-dev"),
  // Debian 1.0.6~git20210604-d5e0c0615ace: a snapshot before v1.0.6.
  m(
    "github.com/spf13/pflag",
    "v1.0.6-0.20210604000000-d5e0c0615ace",
    "golang-github-spf13-pflag-dev",
  ),
  m("github.com/spf13/cobra", "v1.6.1", "golang-github-spf13-cobra-dev"),
  m("github.com/spf13/cast", "v1.5.0", "golang-github-spf13-cast-dev"),
  m("github.com/spf13/afero", "v1.9.3", "golang-github-spf13-afero-dev"),
  m("github.com/spf13/jwalterweatherman", "v1.1.0", "golang-github-spf13-jwalterweatherman-dev"),
  m("github.com/fsnotify/fsnotify", "v1.6.0", "golang-github-fsnotify-fsnotify-dev"),
  m("github.com/kr/fs", "v0.1.0", "golang-github-kr-fs-dev"),
  m("github.com/magiconair/properties", "v1.8.7", "golang-github-magiconair-properties-dev"),
  m("github.com/mitchellh/mapstructure", "v1.5.0", "golang-github-mitchellh-mapstructure-dev"),
  m("github.com/pelletier/go-toml", "v1.9.4", "golang-github-pelletier-go-toml-dev"),
  m("github.com/stretchr/objx", "v0.5.0", "golang-github-stretchr-objx-dev"),
  m("github.com/stretchr/testify", "v1.8.1", "golang-github-stretchr-testify-dev"),
  m("github.com/subosito/gotenv", "v1.2.0", "golang-github-subosito-gotenv-dev"),
  m("github.com/hashicorp/hcl", "v1.0.0", "golang-github-hashicorp-hcl-dev"),
  m(
    "github.com/shurcooL/sanitized_anchor_name",
    "v1.0.0",
    "golang-github-shurcool-sanitized-anchor-name-dev",
  ),
  m("gopkg.in/yaml.v2", "v2.4.0", "golang-gopkg-yaml.v2-dev"),
  m("gopkg.in/yaml.v3", "v3.0.1", "golang-gopkg-yaml.v3-dev"),
  m("gopkg.in/ini.v1", "v1.66.2", "golang-gopkg-ini.v1-dev"),
  m("golang.org/x/mod", "v0.7.0", "golang-golang-x-mod-dev"),
  m("golang.org/x/term", "v0.3.0", "golang-golang-x-term-dev"),
  m("golang.org/x/sys", "v0.3.0", "golang-golang-x-sys-dev"),
  m("golang.org/x/crypto", "v0.4.0", "golang-golang-x-crypto-dev"),
  m("golang.org/x/sync", "v0.1.0", "golang-golang-x-sync-dev"),
  m("github.com/google/go-cmp", "v0.5.9", "golang-github-google-go-cmp-dev"),
  m("github.com/hashicorp/errwrap", "v1.1.0", "golang-github-hashicorp-errwrap-dev"),
  m("github.com/hashicorp/go-multierror", "v1.1.1", "golang-github-hashicorp-go-multierror-dev"),
  m("github.com/mattn/go-colorable", "v0.1.13", "golang-github-mattn-go-colorable-dev"),
  m("github.com/mattn/go-runewidth", "v0.0.14", "golang-github-mattn-go-runewidth-dev"),
  m("github.com/kr/text", "v0.2.0", "golang-github-kr-text-dev"),
  m("github.com/kr/pretty", "v0.3.0", "golang-github-kr-pretty-dev"),
  m("github.com/mitchellh/go-homedir", "v1.1.0", "golang-github-mitchellh-go-homedir-dev"),
  m("github.com/sirupsen/logrus", "v1.9.0", "golang-github-sirupsen-logrus-dev"),
  m("go.uber.org/atomic", "v1.10.0", "golang-go.uber-atomic-dev"),
  m("go.uber.org/multierr", "v1.6.0", "golang-go.uber-multierr-dev"),
  m(
    "github.com/cespare/xxhash",
    "v2.1.1",
    "golang-github-cespare-xxhash-dev",
    "github.com/cespare/xxhash/v2",
  ),
  m("github.com/gorilla/mux", "v1.8.0", "golang-github-gorilla-mux-dev"),
  m("github.com/golang/snappy", "v0.0.2", "golang-github-golang-snappy-dev"),
  m("github.com/beorn7/perks", "v1.0.1", "golang-github-beorn7-perks-dev"),
  m("github.com/opencontainers/go-digest", "v1.0.0", "golang-github-opencontainers-go-digest-dev"),
  m("go.etcd.io/bbolt", "v1.3.6", "golang-github-coreos-bbolt-dev"),
];

/** The Debian packages of the modules whose sources are missing; empty when all are there. */
export function missingDebianModules(modules = DEBIAN_MODULES): string[] {
  const missing: string[] = [];
  for (const mod of modules) {
    try {
      Deno.statSync(`${GOCODE}/${mod.dir}`);
    } catch {
      missing.push(mod.pkg);
    }
  }
  return missing;
}

/** A module version built into a zip file. */
export interface BuiltModule extends DebianModule {
  /** The zip file. */
  zipPath: string;
  /** The go.mod as served for `.mod` (`module path\n` when the tree has none). */
  goMod: string;
  /** The zip's go.sum hash. */
  h1: string;
}

/**
 * Builds the zip of every module into `dir` and lays out a `file://` GOPROXY tree beside them
 * (`<dir>/proxy/<escaped path>/@v/{list,V.info,V.mod,V.zip}`).
 *
 * @example
 * ```ts
 * const built = await buildDebianModules("/tmp/mods");
 * // GOPROXY=file:///tmp/mods/proxy
 * ```
 */
export async function buildDebianModules(
  dir: string,
  modules = DEBIAN_MODULES,
): Promise<BuiltModule[]> {
  const built: BuiltModule[] = [];
  for (const mod of modules) {
    const src = `${GOCODE}/${mod.dir}`;
    const files = await filesFromDir(src);
    const at = `${dir}/proxy/${escapeCase(mod.path)}/@v`;
    await Deno.mkdir(at, { recursive: true });
    const zipPath = `${at}/${escapeCase(mod.version)}.zip`;
    const { h1 } = await buildModuleZip(files, mod.path, mod.version, zipPath);
    let goMod = `module ${mod.path}\n`;
    try {
      goMod = await Deno.readTextFile(`${src}/go.mod`);
    } catch { /* no go.mod: the synthesised one */ }
    await Deno.writeTextFile(`${at}/${escapeCase(mod.version)}.mod`, goMod);
    await Deno.writeTextFile(
      `${at}/${escapeCase(mod.version)}.info`,
      JSON.stringify({ Version: mod.version, Time: "2023-01-01T00:00:00Z" }),
    );
    await Deno.writeTextFile(`${at}/list`, mod.version.includes("-0.") ? "" : `${mod.version}\n`);
    built.push({ ...mod, zipPath, goMod, h1 });
  }
  return built;
}
