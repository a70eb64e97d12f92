// End to end with the real `go` command: real modules from Debian's sources are uploaded,
// then installed, built and run through modyard's GOPROXY, and modyard's go.sum hashes are
// compared with what `go mod download` computes.
import { assertEquals, assertIncludes, assertMatch } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites, goSandbox, outputWithin } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { buildModuleZip } from "../src/cli/build_zip.ts";
import { filesFromDir } from "../src/cli/module_source.ts";

const MODULES: { dir: string; path: string; version: string }[] = [
  { dir: "github.com/google/uuid", path: "github.com/google/uuid", version: "v1.3.0" },
  { dir: "github.com/BurntSushi/toml", path: "github.com/BurntSushi/toml", version: "v1.2.0" },
  { dir: "github.com/pkg/errors", path: "github.com/pkg/errors", version: "v0.9.1" },
  // go-isatty's go.mod requires exactly this pseudo-version of x/sys.
  {
    dir: "golang.org/x/sys",
    path: "golang.org/x/sys",
    version: "v0.0.0-20220811171246-fbc7d0a398ab",
  },
  { dir: "github.com/mattn/go-isatty", path: "github.com/mattn/go-isatty", version: "v0.0.17" },
  {
    dir: "github.com/russross/blackfriday/v2",
    path: "github.com/russross/blackfriday/v2",
    version: "v2.1.0",
  },
  {
    dir: "github.com/cpuguy83/go-md2man/v2",
    path: "github.com/cpuguy83/go-md2man/v2",
    version: "v2.0.2",
  },
];

const CONSUMER_MOD = `module example.com/consumer

go 1.19

require (
	github.com/BurntSushi/toml v1.2.0
	github.com/google/uuid v1.3.0
	github.com/mattn/go-isatty v0.0.17
	github.com/pkg/errors v0.9.1
)
`;

const CONSUMER_MAIN = `package main

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
	"github.com/google/uuid"
	"github.com/mattn/go-isatty"
	"github.com/pkg/errors"
)

func main() {
	var conf struct{ Name string }
	if _, err := toml.Decode("Name = \\"modyard\\"", &conf); err != nil {
		panic(err)
	}
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://modyard.example"))
	err := errors.Wrap(errors.New("inner"), "outer")
	fmt.Printf("name=%s uuid=%s err=%v tty=%v\\n", conf.Name, id, err, isatty.IsTerminal(os.Stdout.Fd()))
}
`;

Deno.test({
  name:
    "the go command installs and builds real modules through modyard (GOPROXY only, fresh caches)",
  ignore: !goPrerequisites(MODULES.map((m) => m.dir)),
  async fn() {
    const server = await startTestServer();
    const go = await goSandbox(server.proxy("gopher"));
    try {
      const auth = await server.user("gopher");
      const published = new Map<string, { h1: string; gomod_h1: string }>();
      for (const m of MODULES) {
        // The zip the publish command builds: x/mod's CreateFromDir selection of the tree.
        const zipPath = `${go.dir}/upload.zip`;
        await buildModuleZip(await filesFromDir(`${GOCODE}/${m.dir}`), m.path, m.version, zipPath);
        const zip = await Deno.readFile(zipPath);
        const res = await server.upload("gopher", zip, auth);
        const text = await res.text();
        assertEquals(res.status, 201, `${m.path}: ${text}`);
        published.set(m.path, JSON.parse(text));
      }

      // go install of a /v2 module whose main package needs another /v2 module.
      const install = await go.run(["install", "github.com/cpuguy83/go-md2man/v2@v2.0.2"], go.dir, {
        GOFLAGS: "",
      });
      assertEquals(install.code, 0, install.stderr);
      const md2man = new Deno.Command(`${go.dir}/gopath/bin/go-md2man`, {
        stdin: "piped",
        stdout: "piped",
        signal: AbortSignal.timeout(60_000), // a hang fails the test instead of stalling it
      }).spawn();
      const w = md2man.stdin.getWriter();
      await w.write(new TextEncoder().encode("# Title\n\nSome *text*.\n"));
      await w.close();
      const roff = new TextDecoder().decode((await md2man.output()).stdout);
      assertIncludes(roff, ".TH Title");
      assertIncludes(roff, "\\fItext\\fP");

      // A program importing the uppercase, go.mod-less and pseudo-version-dependent modules.
      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, CONSUMER_MOD);
      await Deno.writeTextFile(`${work}/main.go`, CONSUMER_MAIN);
      const build = await go.run(["build", "-o", "consumer", "."], work);
      assertEquals(build.code, 0, build.stderr);
      const ran = await outputWithin(`${work}/consumer`, { stdout: "piped" }, 60_000, "consumer");
      assertEquals(
        new TextDecoder().decode(ran.stdout),
        `name=modyard uuid=${await uuidV5(
          URL_NAMESPACE,
          "https://modyard.example",
        )} err=outer: inner tty=false\n`,
      );

      // modyard's go.sum lines equal what the go command computes from the downloads.
      for (const m of MODULES) {
        const dl = await go.run(["mod", "download", "-json", `${m.path}@${m.version}`], work);
        assertEquals(dl.code, 0, dl.stderr);
        const info = JSON.parse(dl.stdout);
        assertEquals([info.Sum, info.GoModSum], [
          published.get(m.path)!.h1,
          published.get(m.path)!.gomod_h1,
        ], m.path);
      }

      // A module with only a pseudo-version: go get @latest resolves it through @latest.
      const get = await go.run(["get", "golang.org/x/sys@latest"], work);
      assertEquals(get.code, 0, get.stderr);
      assertMatch(
        await Deno.readTextFile(`${work}/go.mod`),
        /golang\.org\/x\/sys v0\.0\.0-20220811171246-fbc7d0a398ab/,
      );
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});

const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** RFC 4122 name-based (SHA-1) UUID, computed independently of the Go code under test. */
async function uuidV5(namespace: string, name: string): Promise<string> {
  const ns = Uint8Array.fromHex(namespace.replaceAll("-", ""));
  const data = new Uint8Array([...ns, ...new TextEncoder().encode(name)]);
  const h = new Uint8Array(await crypto.subtle.digest("SHA-1", data)).slice(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.toHex();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
