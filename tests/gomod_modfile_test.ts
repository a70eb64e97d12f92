import { parseModFile } from "../src/gomod/modfile.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";

Deno.test("parseModFile reads a go.mod written by current Go (toolchain, three-part go line)", () => {
  const mod = parseModFile(
    "module example.com/m\n\ngo 1.22.1\n\ntoolchain go1.23.4\n\nrequire (\n\tgolang.org/x/sys v0.20.0 // indirect\n)\n\ngodebug default=go1.21\n",
  );
  assertEquals(mod, { module: "example.com/m", go: "1.22.1", retract: [] });
});

Deno.test("parseModFile accepts the go lines the go command accepts in a dependency", () => {
  for (const v of ["1.21", "1.21.0", "1.21rc1", "1.22beta2", "1.16", "v1.17.3", "1.21-custom"]) {
    assertEquals(parseModFile(`module example.com/m\ngo ${v}\n`).go, v);
  }
});

Deno.test("parseModFile accepts quoted module paths and rc go versions", () => {
  assertEquals(parseModFile('module "example.com/q"\ngo 1.21rc1\n').module, "example.com/q");
  assertEquals(parseModFile("module `example.com/r`\n").module, "example.com/r");
});

Deno.test("parseModFile reads retractions with their rationale", () => {
  const mod = parseModFile(
    "module example.com/m\n\n// Published too early.\nretract v1.0.0\n\nretract (\n\t[v1.1.0, v1.1.5] // broken build\n\tv1.2.0\n)\n",
  );
  assertEquals(mod.retract, [
    { low: "v1.0.0", high: "v1.0.0", rationale: "Published too early." },
    { low: "v1.1.0", high: "v1.1.5", rationale: "broken build" },
    { low: "v1.2.0", high: "v1.2.0", rationale: "" },
  ]);
});

Deno.test("parseModFile refuses broken text with the line number", () => {
  for (
    const [text, want] of [
      ["module example.com/m\nrequire (\n", "go.mod:2: unterminated require block"],
      ['module "example.com/m\n', "go.mod:1: unterminated string"],
      ["module a b\n", "go.mod:1: usage: module"],
      ["module example.com/m\ngo 1.x\n", "go.mod:2: invalid go version '1.x'"],
      ["module example.com/m\ngo 1.19\ngo 1.20\n", "go.mod:3: repeated go statement"],
    ]
  ) {
    let message = "<parsed>";
    try {
      parseModFile(text);
    } catch (err) {
      message = (err as Error).message;
    }
    assertIncludes(message, want);
  }
});

Deno.test("parseModFile reads a go.mod of Go 1.24 (tool block, godebug, ignore, toolchain)", () => {
  const text = `// Copyright notice.

module github.com/example/tools

go 1.24.0

toolchain go1.24.2

godebug (
	default=go1.21
	panicnil=1
)

require (
	golang.org/x/mod v0.24.0 // indirect
	golang.org/x/tools v0.31.0
)

tool golang.org/x/tools/cmd/stringer

tool (
	golang.org/x/tools/cmd/goimports
)

ignore ./node_modules

replace example.com/old => ../old

exclude example.com/bad v1.0.0

retract [v0.1.0, v0.2.3] // Contains a data race.
`;
  assertEquals(parseModFile(text), {
    module: "github.com/example/tools",
    go: "1.24.0",
    retract: [{ low: "v0.1.0", high: "v0.2.3", rationale: "Contains a data race." }],
  });
});
