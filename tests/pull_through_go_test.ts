// End to end with the real `go` command: one GOPROXY line (an owner with pull-through on)
// builds a program whose dependencies come partly from the owner's hosting and partly from
// the upstream; then the upstream is stopped and a fresh module cache still builds.
import { buildModuleZip } from "../src/cli/build_zip.ts";
import { filesFromDir } from "../src/cli/module_source.ts";
import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites, goSandbox, outputWithin } from "./helpers/go.ts";
import { startCountingUpstream, startPullThroughServer } from "./helpers/pull_through.ts";
import { moduleZip } from "./helpers/zip.ts";

const UPSTREAM_MODULES = [
  { dir: "github.com/google/uuid", path: "github.com/google/uuid", version: "v1.3.0" },
  { dir: "github.com/pkg/errors", path: "github.com/pkg/errors", version: "v0.9.1" },
];

const CONSUMER_MOD = `module example.com/consumer

go 1.19

require (
	corp.example.com/greet v1.0.0
	github.com/google/uuid v1.3.0
	github.com/pkg/errors v0.9.1
)
`;

const CONSUMER_MAIN = `package main

import (
	"fmt"

	"corp.example.com/greet"
	"github.com/google/uuid"
	"github.com/pkg/errors"
)

func main() {
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://modyard.example"))
	fmt.Printf("%s %s %v\\n", greet.Hello(), id, errors.Wrap(errors.New("inner"), "outer"))
}
`;

Deno.test({
  name:
    "go builds through one GOPROXY line mixing hosted and pulled-through modules, and again with the upstream gone",
  ignore: !goPrerequisites(UPSTREAM_MODULES.map((m) => m.dir)),
  async fn() {
    const up = await startCountingUpstream();
    const down = await startPullThroughServer({ upstream: up.goproxy });
    const go = await goSandbox(down.proxy("acme"));
    try {
      for (const m of UPSTREAM_MODULES) {
        const zipPath = `${go.dir}/upload.zip`;
        await buildModuleZip(await filesFromDir(`${GOCODE}/${m.dir}`), m.path, m.version, zipPath);
        await up.publishZip(await Deno.readFile(zipPath));
      }
      // The same path upstream too, with other content: the hosted one must win.
      await up.publish("corp.example.com/greet", "v1.0.0", {
        "go.mod": "module corp.example.com/greet\n",
        "greet.go": `package greet\n\nfunc Hello() string { return "from upstream" }\n`,
      });
      const auth = await down.owner("acme");
      const hosted = await moduleZip("corp.example.com/greet", "v1.0.0", {
        "go.mod": "module corp.example.com/greet\n\ngo 1.19\n",
        "greet.go": `package greet\n\nfunc Hello() string { return "hosted" }\n`,
      });
      const res = await fetch(`${down.url}/api/packages/acme/go/upload`, {
        method: "PUT",
        body: hosted as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      assertEquals(res.status, 201, await res.text());

      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, CONSUMER_MOD);
      await Deno.writeTextFile(`${work}/main.go`, CONSUMER_MAIN);
      const runBuilt = async () => {
        const ran = await outputWithin(`${work}/consumer`, { stdout: "piped" }, 60_000, "consumer");
        return new TextDecoder().decode(ran.stdout);
      };
      const first = await go.run(["build", "-o", "consumer", "."], work);
      assertEquals(first.code, 0, first.stderr);
      const output = await runBuilt();
      // The hosted greet (not the upstream's), uuid and errors from the upstream.
      assertMatch(
        output,
        /^hosted [0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12} outer: inner\n$/,
      );
      assertEquals(up.total("corp.example.com/"), 0);
      assertEquals(up.counts.get("github.com/google/uuid/@v/v1.3.0.zip"), 1);
      assertEquals(up.counts.get("github.com/pkg/errors/@v/v0.9.1.zip"), 1);

      // The upstream is gone; a fresh module and build cache still build from modyard.
      await up.close();
      await Deno.remove(`${work}/consumer`);
      const second = await go.run(["build", "-o", "consumer", "."], work, {
        GOMODCACHE: `${go.dir}/modcache2`,
        GOCACHE: `${go.dir}/gocache2`,
      });
      assertEquals(second.code, 0, second.stderr);
      assertEquals(await runBuilt(), output);
    } finally {
      await go.cleanup();
      await down.close();
      await up.close();
    }
  },
});
