// Real module trees Debian ships: the publish command's zip has the same h1 as the zip
// golang.org/x/mod's CreateFromDir makes of the same tree (a Go helper in tools/xmodcreate,
// built in GOPATH mode against Debian's x/mod).
import { buildModuleZip } from "../src/cli/build_zip.ts";
import { filesFromDir } from "../src/cli/module_source.ts";
import { assertEquals } from "./helpers/assert.ts";
import {
  buildGoHelper,
  GO_TIMEOUT_MS,
  GOCODE,
  goPrerequisites,
  outputWithin,
} from "./helpers/go.ts";

const TREES: [dir: string, version: string][] = [
  ["golang.org/x/sys", "v0.3.0"],
  ["golang.org/x/text", "v0.7.0"],
  ["golang.org/x/mod", "v0.7.0"],
  ["github.com/spf13/cobra", "v1.6.1"],
  ["github.com/spf13/pflag", "v1.0.5"],
  ["github.com/google/uuid", "v1.3.0"],
  ["github.com/BurntSushi/toml", "v1.2.0"],
  ["github.com/pkg/errors", "v0.9.1"], // no go.mod
  ["github.com/mattn/go-isatty", "v0.0.17"],
  ["github.com/russross/blackfriday/v2", "v2.1.0"], // a /v2 module
  ["github.com/cpuguy83/go-md2man/v2", "v2.0.2"],
  ["github.com/pmezard/go-difflib", "v1.0.0"], // no go.mod
];

const available = goPrerequisites(TREES.map(([d]) => d));

Deno.test({
  name: `publish zips of ${TREES.length} Debian module trees have x/mod CreateFromDir's h1`,
  ignore: !available,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "modyard-trees-" });
    try {
      const helper = await buildGoHelper("xmodcreate", work);
      const results: Record<string, [string, string]> = {};
      for (const [dir, version] of TREES) {
        const files = await filesFromDir(`${GOCODE}/${dir}`);
        const ours = await buildModuleZip(files, dir, version, `${work}/ours.zip`);
        const theirs = await outputWithin(
          helper,
          {
            args: [`${GOCODE}/${dir}`, dir, version, `${work}/theirs.zip`],
            stdout: "piped",
          },
          GO_TIMEOUT_MS,
          `xmodcreate ${dir}`,
        );
        results[dir] = [ours.h1, new TextDecoder().decode(theirs.stdout).trim()];
      }
      for (const [dir, [ours, theirs]] of Object.entries(results)) {
        assertEquals(ours, theirs, dir);
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
