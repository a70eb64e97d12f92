// tests/helpers/txtar.ts reads txtar files exactly as Go does: the same comment, file names
// and contents as the Go toolchain's own txtar package (GOROOT/src/internal/txtar, the code
// x/tools/txtar is copied from) on every x/mod zip test file and on seeded random archives,
// and the `key=value` headers as x/mod's zip_test.go readTest (with `#` comments stripped).
import { assertEquals } from "./helpers/assert.ts";
import { findGo, GO_TIMEOUT_MS, GOCODE, goPrerequisites, outputWithin } from "./helpers/go.ts";
import { seededRandom, testSeed } from "./helpers/seed.ts";
import { parseTxtar, parseTxtarArchive } from "./helpers/txtar.ts";

const available = goPrerequisites(["golang.org/x/mod/zip/testdata"]);
const enc = (s: string) => new TextEncoder().encode(s);
const latin = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");

/** A main package around the toolchain's txtar that prints each input's parse as JSON. */
const GO_MAIN = `package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		data, _ := base64.StdEncoding.DecodeString(in.Text())
		a := Parse(data)
		files := [][2]string{}
		for _, f := range a.Files {
			files = append(files, [2]string{base64.StdEncoding.EncodeToString([]byte(f.Name)), base64.StdEncoding.EncodeToString(f.Data)})
		}
		out.Encode(map[string]interface{}{"comment": base64.StdEncoding.EncodeToString(a.Comment), "files": files})
	}
}
`;

async function goParses(inputs: Uint8Array[]): Promise<{ comment: string; files: string[][] }[]> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-txtar-" });
  try {
    const go = findGo()!;
    const env = { GO111MODULE: "off", GOCACHE: `${dir}/cache`, HOME: dir, GOFLAGS: "" };
    const root = new TextDecoder().decode(
      (await outputWithin(go, { args: ["env", "GOROOT"], env }, 60_000, "go env GOROOT")).stdout,
    ).trim();
    const source = await Deno.readTextFile(`${root}/src/internal/txtar/archive.go`);
    await Deno.writeTextFile(
      `${dir}/archive.go`,
      source.replace(/^package txtar$/m, "package main"),
    );
    await Deno.writeTextFile(`${dir}/main.go`, GO_MAIN);
    const build = await outputWithin(
      go,
      {
        args: ["build", "-o", `${dir}/txtar`, "."],
        cwd: dir,
        env,
        stderr: "piped",
      },
      GO_TIMEOUT_MS,
      "building the txtar reader",
    );
    if (build.code !== 0) throw new Error(new TextDecoder().decode(build.stderr));
    const child = new Deno.Command(`${dir}/txtar`, {
      stdin: "piped",
      stdout: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const output = child.output();
    const w = child.stdin.getWriter();
    await w.write(enc(inputs.map((b) => b.toBase64() + "\n").join("")));
    await w.close();
    return new TextDecoder().decode((await output).stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function ours(input: Uint8Array): { comment: string; files: string[][] } {
  const a = parseTxtarArchive(input);
  return {
    comment: a.comment.toBase64(),
    files: a.files.map((f) => [f.name.toBase64(), f.data.toBase64()]),
  };
}

Deno.test({
  name: "txtar: same comment, names and contents as Go's txtar on x/mod's files and random ones",
  ignore: !available,
  async fn() {
    const seed = testSeed("MODYARD_FUZZ_SEED");
    const rand = seededRandom(seed);
    const inputs: { what: string; bytes: Uint8Array }[] = [];
    const testdata = `${GOCODE}/golang.org/x/mod/zip/testdata`;
    for (const dir of Deno.readDirSync(testdata)) {
      if (!dir.isDirectory) continue;
      for (const f of Deno.readDirSync(`${testdata}/${dir.name}`)) {
        if (!f.name.endsWith(".txt")) continue;
        const what = `${dir.name}/${f.name}`;
        inputs.push({ what, bytes: await Deno.readFile(`${testdata}/${what}`) });
      }
    }
    const pieces = [
      "-- ",
      " --",
      "--",
      "-",
      " ",
      "\n",
      "\r",
      "\t",
      "a",
      "b.go",
      "#",
      "=",
      "\u00a0",
    ];
    for (let i = 0; i < 2000; i++) {
      let s = "";
      for (let n = Math.floor(rand() * 16); n > 0; n--) {
        s += pieces[Math.floor(rand() * pieces.length)];
      }
      const bytes = enc(s);
      inputs.push({ what: `seed ${seed}, random ${i}: ${JSON.stringify(s)}`, bytes });
    }
    const want = await goParses(inputs.map((i) => i.bytes));
    assertEquals(want.length, inputs.length);
    for (const [i, input] of inputs.entries()) {
      assertEquals(ours(input.bytes), want[i], input.what);
    }
  },
});

Deno.test("txtar headers as x/mod's readTest: # comments stripped, keys and values trimmed", () => {
  const raw = new Uint8Array([
    ...enc("path="),
    0xff,
    ...enc("  # 0xFF\n  version = v1.0.0 \n# a whole-line comment\n\nwantErr=a # b\n-- f --\n"),
  ]);
  const a = parseTxtar(raw);
  assertEquals([...a.headers.keys()], ["path", "version", "wantErr"]);
  assertEquals(latin(a.headers.get("path")!), "\xff");
  assertEquals(latin(a.headers.get("version")!), "v1.0.0");
  assertEquals(latin(a.headers.get("wantErr")!), "a");
  assertEquals(a.files.map((f) => [latin(f.name), latin(f.data)]), [["f", ""]]);
  let refused = "";
  try {
    parseTxtar(enc("no separator here\n-- f --\n"));
  } catch (err) {
    refused = String(err);
  }
  assertEquals(refused, "SyntaxError: txtar comment line 1: missing = separator");
});
