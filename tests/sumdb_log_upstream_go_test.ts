// End to end with the real `go` command: GOPROXY at an owner with pull-through on and
// GOSUMDB = the owner's own verifier key, nothing else (no GONOSUMDB). A program needing a
// hosted module of the owner and a public module pulled through from the upstream builds;
// go.sum holds the h1s of the owner's log, which took the public record from the upstream
// checksum database (tools/sumdbfixture). An upstream zip that does not match the upstream
// log is refused — by modyard's fill check, or, for a path pulled through unchecked, by the
// go command against the owner's log — and its h1 is never appended.
import type { LoggedVersion } from "../src/store/records.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { hash1Of } from "./helpers/h1_oracle.ts";
import { recordOf } from "./helpers/sumdb_fixture.ts";
import { startUpstreamLogRig } from "./helpers/sumdb_log_upstream.ts";
import { moduleZip } from "./helpers/zip.ts";

const DEP_FILES = {
  "go.mod": "module public.example/dep\n\ngo 1.19\n",
  "dep.go": "package dep\n\nfunc Answer() int { return 42 }\n",
};

const GREET_FILES = {
  "go.mod": "module corp.example.com/greet\n\ngo 1.19\n",
  "greet.go": 'package greet\n\nfunc Hello() string { return "hello" }\n',
};

const CONSUMER_MOD = `module example.com/consumer

go 1.19

require (
	corp.example.com/greet v1.0.0
	public.example/dep v1.0.0
)
`;

const CONSUMER_MAIN = `package main

import (
	"fmt"

	"corp.example.com/greet"
	"public.example/dep"
)

func main() { fmt.Println(greet.Hello(), dep.Answer()) }
`;

const ORIGINAL = { "go.mod": "module public.example/swapped\n", "a.go": "package a\n" };
const TAMPERED = { "go.mod": "module public.example/swapped\n", "a.go": "package a // backdoor\n" };

/** Every record text in the owner's log. */
async function logTexts(kv: Deno.Kv, owner: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const e of kv.list<string>({ prefix: keys.logRecords(owner) })) texts.push(e.value);
  return texts;
}

Deno.test({
  name:
    "go builds hosted and public modules with GOSUMDB = the owner's key alone; go.sum holds the owner log's h1s; a tampered upstream zip is refused and never logged",
  ignore: !goPrerequisites(["golang.org/x/mod/sumdb"]),
  async fn() {
    const rig = await startUpstreamLogRig({
      viaUpstream: true,
      upstreamNoSumdb: "public.example/unchecked",
    });
    const kv = rig.server.kv;
    const acme = await rig.owner("acme", { pullThrough: true });
    const go = await goSandbox(rig.server.proxy("acme"));
    try {
      await rig.up.publish("public.example/dep", "v1.0.0", DEP_FILES);
      const dep = await recordOf("public.example/dep", "v1.0.0", DEP_FILES);
      await rig.db.add(dep);
      await rig.db.filler(300);
      const hosted = await rig.server.upload(
        "acme",
        await moduleZip("corp.example.com/greet", "v1.0.0", GREET_FILES),
        acme.auth,
      );
      assertEquals(hosted.status, 201, await hosted.text());
      const work = `${go.dir}/consumer`;
      await Deno.mkdir(work);
      await Deno.writeTextFile(`${work}/go.mod`, CONSUMER_MOD);
      await Deno.writeTextFile(`${work}/main.go`, CONSUMER_MAIN);
      const env = { GOSUMDB: acme.meta.verifierKey, GONOSUMDB: "", GOPRIVATE: "" };
      const build = await go.run(["build", "-o", "consumer", "."], work, env);
      assertEquals(build.code, 0, build.stderr);
      const sum = await Deno.readTextFile(`${work}/go.sum`);
      const entry = async (m: string) =>
        (await kv.get<LoggedVersion>(keys.logEntry("acme", m, "v1.0.0"))).value!.text;
      const publicText = await entry("public.example/dep");
      assertEquals(
        publicText,
        `public.example/dep v1.0.0 ${dep.zip}\npublic.example/dep v1.0.0/go.mod ${dep.mod}\n`,
      );
      for (
        const line of [
          ...publicText.split("\n"),
          ...(await entry("corp.example.com/greet")).split("\n"),
        ]
      ) {
        if (line !== "") assertIncludes(sum, `${line}\n`);
      }
      // The go command verified with the owner's log: its head is cached under the log's name,
      // and the hosted path never reached the upstream database.
      const latest = await Deno.readTextFile(`${go.dir}/gopath/pkg/sumdb/${acme.meta.name}/latest`);
      assertIncludes(latest, `go.sum database tree\n2\n`);
      const counts = await rig.db.counts();
      assertEquals(counts["lookup/public.example/dep@v1.0.0"], 1); // once, for fill and log
      assertEquals(Object.keys(counts).filter((p) => p.includes("corp.example.com")), []);
      const ran = await new Deno.Command(`${work}/consumer`, { stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(ran.stdout), "hello 42\n");

      // An upstream zip other than the one the upstream log records: modyard's fill refuses it.
      await rig.up.publish("public.example/swapped", "v1.0.0", ORIGINAL);
      const original = await recordOf("public.example/swapped", "v1.0.0", ORIGINAL);
      await rig.db.add(original);
      rig.up.overrides.set(
        "public.example/swapped/@v/v1.0.0.zip",
        await moduleZip("public.example/swapped", "v1.0.0", TAMPERED),
      );
      const tamperedH1 = await hash1Of(
        Object.entries(TAMPERED).map(([name, data]) => ({
          name: `public.example/swapped@v1.0.0/${name}`,
          data,
        })),
      );
      const swapped = await go.run(["mod", "download", "public.example/swapped@v1.0.0"], work, env);
      assertOk(swapped.code !== 0, swapped.stderr);
      assertIncludes(swapped.stderr, "checksum mismatch");
      assertIncludes(swapped.stderr, "must match the upstream checksum database");

      // Pulled through unchecked (--upstream-nosumdb): modyard serves the tampered zip, and
      // the go command refuses it against the owner's log, which holds the upstream's h1.
      const unchecked = "public.example/unchecked";
      const files = { "go.mod": `module ${unchecked}\n`, "a.go": "package a\n" };
      const bad = { "go.mod": `module ${unchecked}\n`, "a.go": "package a // backdoor\n" };
      await rig.up.publish(unchecked, "v1.0.0", files);
      const truth = await recordOf(unchecked, "v1.0.0", files);
      await rig.db.add(truth);
      rig.up.overrides.set(
        `${unchecked}/@v/v1.0.0.zip`,
        await moduleZip(unchecked, "v1.0.0", bad),
      );
      const badH1 = await hash1Of(
        Object.entries(bad).map(([name, data]) => ({ name: `${unchecked}@v1.0.0/${name}`, data })),
      );
      const refused = await go.run(["mod", "download", `${unchecked}@v1.0.0`], work, env);
      assertOk(refused.code !== 0, refused.stderr);
      assertIncludes(refused.stderr, "SECURITY ERROR");
      assertIncludes(refused.stderr, `${acme.meta.name}: ${truth.zip}`);
      assertIncludes(refused.stderr, `downloaded: ${badH1}`);

      // The log holds the upstream's h1s, never the tampered ones.
      const texts = (await logTexts(kv, "acme")).join("");
      assertIncludes(texts, `public.example/swapped v1.0.0 ${original.zip}\n`);
      assertIncludes(texts, `${unchecked} v1.0.0 ${truth.zip}\n`);
      assertOk(!texts.includes(tamperedH1), texts);
      assertOk(!texts.includes(badH1), texts);
    } finally {
      await go.cleanup();
      await rig.close();
    }
  },
});
