// End to end with the real `go` command and the checksum database through modyard: with
// GOPROXY at an owner with pull-through on and GOSUMDB naming the fixture database's key (no
// URL), the go command finds the database through the owner's /sumdb/<name>/, verifies the
// pulled-through module there, and a second run with a fresh module cache gets the full tile
// from modyard's KV; a lookup of the owner's hosted path never reaches the database.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { startCountingUpstream, startPullThroughServer } from "./helpers/pull_through.ts";
import { recordOf, startSumdbFixture } from "./helpers/sumdb_fixture.ts";

const DEP_FILES = {
  "go.mod": "module public.example/dep\n\ngo 1.19\n",
  "dep.go": `package dep\n\nfunc Answer() int { return 42 }\n`,
};

const CONSUMER_MOD = `module example.com/consumer

go 1.19

require (
	corp.example.com/greet v1.0.0
	public.example/dep v1.0.0
)
`;

// down.publish packs corp.example.com/greet as "package lib": imported for its side only.
const CONSUMER_MAIN = `package main

import (
	"fmt"

	_ "corp.example.com/greet"
	"public.example/dep"
)

func main() { fmt.Println(dep.Answer()) }
`;

Deno.test({
  name:
    "go verifies pulled-through modules with the checksum database through modyard; full tiles come from KV; hosted paths are never looked up",
  ignore: !goPrerequisites(["golang.org/x/mod/sumdb"]),
  async fn() {
    const db = await startSumdbFixture();
    const up = await startCountingUpstream();
    up.sumdb = { name: db.name, url: db.url };
    const down = await startPullThroughServer({ upstream: up.goproxy, sumdbUpstream: db.vkey });
    const go = await goSandbox(down.proxy("acme"));
    try {
      await up.publish("public.example/dep", "v1.0.0", DEP_FILES);
      const record = await recordOf("public.example/dep", "v1.0.0", DEP_FILES);
      await db.add(record);
      await db.filler(300); // record 0 is proven by the full tile 8/0/000
      const auth = await down.owner("acme");
      await down.publish("acme", auth, "corp.example.com/greet", "v1.0.0");
      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, CONSUMER_MOD);
      await Deno.writeTextFile(`${work}/main.go`, CONSUMER_MAIN);
      const env = { GOSUMDB: db.vkey, GONOSUMDB: "corp.example.com" };
      const first = await go.run(["build", "-o", "consumer", "."], work, env);
      assertEquals(first.code, 0, first.stderr);
      const sum = await Deno.readTextFile(`${work}/go.sum`);
      assertIncludes(sum, `public.example/dep v1.0.0 ${record.zip}\n`);
      assertIncludes(sum, `public.example/dep v1.0.0/go.mod ${record.mod}\n`);
      // The go command used the database, through modyard (the upstream forwarded it).
      await Deno.stat(`${go.dir}/gopath/pkg/sumdb/${db.name}/latest`);
      const lookup = `sumdb/${db.name}/lookup/public.example/dep@v1.0.0`;
      assertEquals(up.counts.get(lookup), 2); // modyard's fill check, then the go command
      assertEquals((await db.counts())["tile/8/0/000"], 1); // fetched once, by the fill check

      // A fresh GOPATH (module cache and sumdb cache) and no go.sum: the go command verifies
      // again; the full tile comes from modyard's KV, the database is asked for none.
      await Deno.remove(`${work}/go.sum`);
      const second = await go.run(["mod", "download", "-json", "public.example/dep"], work, {
        ...env,
        GOPATH: `${go.dir}/gopath2`,
        GOMODCACHE: `${go.dir}/gopath2/pkg/mod`,
      });
      assertEquals(second.code, 0, second.stderr);
      assertEquals(JSON.parse(second.stdout).Sum, record.zip);
      await Deno.stat(`${go.dir}/gopath2/pkg/sumdb/${db.name}/latest`);
      assertEquals(up.counts.get(lookup), 3);
      // The go command did read the full tile (it is in its cache) — from modyard, not the database.
      const tile = `${go.dir}/gopath2/pkg/mod/cache/download/sumdb/${db.name}/tile/8/0/000`;
      assertEquals((await Deno.readFile(tile)).byteLength, 8192);
      assertEquals((await db.counts())["tile/8/0/000"], 1);

      // The owner's hosted path is not in GONOSUMDB now: modyard answers its lookup 404 and
      // the database never sees the name.
      const hosted = await go.run(["mod", "download", "corp.example.com/greet@v1.0.0"], work, {
        GOSUMDB: db.vkey,
        GOPATH: `${go.dir}/gopath3`,
        GOMODCACHE: `${go.dir}/gopath3/pkg/mod`,
      });
      assertOk(hosted.code !== 0, hosted.stderr);
      assertIncludes(hosted.stderr, "404 Not Found");
      assertIncludes(hosted.stderr, "never looked up");
      assertEquals(
        Object.keys(await db.counts()).filter((p) => p.includes("corp.example.com")),
        [],
      );
      assertEquals(up.total(`sumdb/${db.name}/lookup/corp.example.com`), 0);
    } finally {
      await go.cleanup();
      await down.close();
      await up.close();
      await db.close();
    }
  },
});
