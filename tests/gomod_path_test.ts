import {
  checkFilePath,
  checkModulePath,
  checkModuleVersion,
  escapeCase,
  splitPathVersion,
  unescapeCase,
} from "../src/gomod/path.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";

// [path, expected problem substring or null when valid]
const modulePaths: [string, string | null][] = [
  ["github.com/BurntSushi/toml", null],
  ["github.com/cpuguy83/go-md2man/v2", null],
  ["gopkg.in/yaml.v3", null],
  ["example.com/a~b", null],
  ["example.com", null],
  ["Example.com/m", "invalid char 'E' in first path element"],
  ["example/m", "missing dot in first path element"],
  ["-example.com/m", "leading dash"],
  ["example.com//m", "double slash"],
  ["example.com/m/", "trailing slash"],
  ["example.com/.m", "leading dot in path element"],
  ["example.com/m.", "trailing dot in path element"],
  ["example.com/../m", "invalid path element"],
  ["example.com/m v2", "invalid char"],
  ["example.com/m@v1", "invalid char"],
  ["example.com/con/x", "disallowed as path element component on Windows"],
  ["example.com/LPT1.txt", "disallowed as path element component on Windows"],
  ["example.com/abc~1", "trailing tilde and digits in path element"],
  ["example.com/m/v1", "invalid version"],
  ["example.com/m/v02", "invalid version"],
  ["example.com/m/v2.1", "invalid version"],
  ["gopkg.in/yaml", "invalid version"],
  ["example.com/é", "invalid char"],
  ["", "empty string"],
];
for (const [path, problem] of modulePaths) {
  Deno.test(`checkModulePath(${JSON.stringify(path)})`, () => {
    const got = checkModulePath(path);
    if (problem === null) assertEquals(got, null);
    else assertIncludes(got ?? "<valid>", problem);
  });
}

const filePaths: [string, string | null][] = [
  ["sub/file.go", null],
  ["a b/ü.go", null],
  ["-dash.go", null],
  ["a/*.go", "invalid char"],
  ["a/../b.go", "invalid path element"],
  ["aux.go", "disallowed as path element component on Windows"],
  ["a\\b.go", "invalid char"],
];
for (const [path, problem] of filePaths) {
  Deno.test(`checkFilePath(${JSON.stringify(path)})`, () => {
    const got = checkFilePath(path);
    if (problem === null) assertEquals(got, null);
    else assertIncludes(got ?? "<valid>", problem);
  });
}

Deno.test("splitPathVersion splits /vN and gopkg.in .vN suffixes", () => {
  assertEquals(splitPathVersion("example.com/m/v2"), {
    prefix: "example.com/m",
    pathMajor: "/v2",
    ok: true,
  });
  assertEquals(splitPathVersion("example.com/m"), {
    prefix: "example.com/m",
    pathMajor: "",
    ok: true,
  });
  assertEquals(splitPathVersion("gopkg.in/yaml.v3"), {
    prefix: "gopkg.in/yaml",
    pathMajor: ".v3",
    ok: true,
  });
});

const versions: [string, string, boolean | undefined, string | null][] = [
  ["example.com/m", "v1.2.3", true, null],
  ["example.com/m", "v0.0.0-20220811171246-fbc7d0a398ab", true, null],
  ["example.com/m", "v1.2", true, "not canonical"],
  ["example.com/m", "v1.2.3+meta", true, "not canonical"],
  ["example.com/m", "v2.0.0", true, "should be v0 or v1, not v2"],
  ["example.com/m/v2", "v2.0.0", true, null],
  ["example.com/m/v2", "v3.0.0", true, "should be v2, not v3"],
  ["example.com/m", "v2.0.0+incompatible", false, null],
  ["example.com/m", "v2.0.0+incompatible", true, "module contains a go.mod file"],
  ["example.com/m", "v1.0.0+incompatible", false, "major version v1 is compatible"],
  ["example.com/m/v2", "v2.0.0+incompatible", false, "major version suffix /v2"],
  ["gopkg.in/yaml.v3", "v3.0.1", true, null],
  ["gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405", true, null],
  ["example.com/m", "v1.0.0\nX", true, "not a semantic version"],
  ["example.com/m", "latest", true, "not a semantic version"],
];
for (const [path, version, hasGoMod, problem] of versions) {
  Deno.test(`checkModuleVersion(${path}, ${JSON.stringify(version)}, go.mod=${hasGoMod})`, () => {
    const got = checkModuleVersion(path, version, hasGoMod);
    if (problem === null) assertEquals(got, null);
    else assertIncludes(got ?? "<valid>", problem);
  });
}

Deno.test("escapeCase and unescapeCase round-trip uppercase paths", () => {
  assertEquals(escapeCase("github.com/BurntSushi/toml"), "github.com/!burnt!sushi/toml");
  assertEquals(unescapeCase("github.com/!burnt!sushi/toml"), "github.com/BurntSushi/toml");
  assertEquals(unescapeCase("v1.0.0-!r!c1"), "v1.0.0-RC1");
  assertEquals(unescapeCase("github.com/Burnt"), null);
  assertEquals(unescapeCase("github.com/!"), null);
  assertEquals(unescapeCase("github.com/!1"), null);
});
