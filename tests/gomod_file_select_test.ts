import { checkFiles, isVendoredPackage, type SourceEntry } from "../src/gomod/file_select.ts";
import { assertEquals } from "./helpers/assert.ts";

// [path, go line, vendored?] — the pre-1.24 rows reproduce x/mod's offset quirk.
const cases: [string, string, boolean][] = [
  ["vendor/example.com/x/x.go", "1.13", true],
  ["vendor/modules.txt", "1.13", false],
  ["vendor/modules.txt", "", false],
  ["sub/vendor/sub.txt", "1.13", true], // quirk: offset 8 into "sub/vendor/sub.txt"
  ["pkg/vendor/vendor.go", "1.23", true], // quirk
  ["a/vendor", "1.13", false],
  ["vendor/example.com/x/x.go", "1.24", true],
  ["vendor/modules.txt", "1.24.0", true],
  ["pkg/vendor/vendor.go", "1.24", false],
  ["pkg/vendor/foo/foo.go", "1.24", true],
  ["sub/vendor/sub.txt", "1.25rc1", false],
  ["x.go", "1.24", false],
];
for (const [path, goLine, want] of cases) {
  Deno.test(`isVendoredPackage(${path}, go ${goLine || "none"}) is ${want}`, () => {
    assertEquals(isVendoredPackage(path, goLine), want);
  });
}

Deno.test("checkFiles with a go 1.24 module: x/mod's current check_files expectations", () => {
  const files: SourceEntry[] = [
    "valid.go",
    "go.mod",
    "vendor/x/y",
    "vendor/modules.txt",
    "sub/go.mod",
    ".hg_archival.txt",
    "pkg/vendor/vendor.go",
  ].map((path) => ({ path, kind: "file", size: 1 }));
  const got = checkFiles(files, "1.24");
  assertEquals(got.valid.map((f) => f.path), ["valid.go", "go.mod", "pkg/vendor/vendor.go"]);
  assertEquals(got.omitted.map((o) => `${o.path}: ${o.reason}`), [
    "vendor/x/y: file is in vendor directory",
    "vendor/modules.txt: file is in vendor directory",
    "sub/go.mod: file is in another module",
    ".hg_archival.txt: file is inserted by 'hg archive' and is always omitted",
  ]);
});
