import {
  canonicalVersion,
  compareVersions,
  isPseudoVersion,
  latestVersion,
  pseudoVersionTime,
} from "../src/gomod/version.ts";
import { assertEquals } from "./helpers/assert.ts";

const canonical: [string, string][] = [
  ["v1.2.3", "v1.2.3"],
  ["v1.2", "v1.2.0"],
  ["v1", "v1.0.0"],
  ["v1.2.3-rc.1", "v1.2.3-rc.1"],
  ["v2.0.0+incompatible", "v2.0.0+incompatible"],
  ["v1.0.0+meta", "v1.0.0"],
  ["1.2.3", ""],
  ["v1.2.3\n", ""],
  ["v01.2.3", ""],
  ["v1.2.3-01", ""],
  ["v1.2.3-", ""],
  ["v1.2.3+", ""],
  ["v1.2.3-a..b", ""],
  ["v1.2.3 ", ""],
  ["v1.2.3-rc.1/../x", ""],
];
for (const [input, want] of canonical) {
  Deno.test(`canonicalVersion(${JSON.stringify(input)}) is ${JSON.stringify(want)}`, () => {
    assertEquals(canonicalVersion(input), want);
  });
}

Deno.test("compareVersions sorts in semver precedence, not text order", () => {
  const versions = [
    "v1.10.0",
    "v1.9.0",
    "v1.11.0-rc.1",
    "v1.0.0",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0-alpha.beta",
    "v1.0.0-beta.11",
    "v1.0.0-beta.2",
    "v1.0.0-rc.1",
    "v0.0.0-20220811171246-fbc7d0a398ab",
  ];
  assertEquals([...versions].sort(compareVersions), [
    "v0.0.0-20220811171246-fbc7d0a398ab",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0-alpha.beta",
    "v1.0.0-beta.2",
    "v1.0.0-beta.11",
    "v1.0.0-rc.1",
    "v1.0.0",
    "v1.9.0",
    "v1.10.0",
    "v1.11.0-rc.1",
  ]);
});

const pseudo: [string, boolean, string][] = [
  ["v0.0.0-20220811171246-fbc7d0a398ab", true, "20220811171246"],
  ["v1.2.4-0.20191109021931-daa7c04131f5", true, "20191109021931"],
  ["v1.2.3-pre.0.20191109021931-daa7c04131f5", true, "20191109021931"],
  ["v2.0.0-20191109021931-daa7c04131f5+incompatible", true, "20191109021931"],
  ["v1.2.3-rc.1", false, ""],
  ["v1.2.3", false, ""],
  ["v0.0.0-2022081117124-fbc7d0a398ab", false, ""],
];
for (const [v, isPseudo, time] of pseudo) {
  Deno.test(`isPseudoVersion(${v}) is ${isPseudo}`, () => {
    assertEquals(isPseudoVersion(v), isPseudo);
    assertEquals(pseudoVersionTime(v), time);
  });
}

Deno.test("latestVersion prefers releases, then pre-releases, then the newest pseudo-version", () => {
  assertEquals(latestVersion(["v1.10.0", "v1.9.0", "v1.11.0-rc.1"]), "v1.10.0");
  assertEquals(latestVersion(["v1.11.0-rc.1", "v1.11.0-beta.2"]), "v1.11.0-rc.1");
  assertEquals(
    latestVersion([
      "v0.0.0-20230101000000-aaaaaaaaaaaa",
      "v1.2.4-0.20220101000000-bbbbbbbbbbbb",
      "v0.0.0-20240101000000-cccccccccccc",
    ]),
    "v0.0.0-20240101000000-cccccccccccc",
  );
  assertEquals(latestVersion([]), undefined);
});
