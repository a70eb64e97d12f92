// The go settings login prints: GOPROXY; GOSUMDB = the verifier key, or GONOSUMDB with the
// hosted path prefixes merged into what the user had; never GOPRIVATE; notes when GOPRIVATE
// (through GONOPROXY) or GONOSUMDB covers the owner's modules.
import { goSettings, modulePrefixes, settingsNotes } from "../src/cli/go_settings.ts";
import { assertEquals, assertIncludes } from "./helpers/assert.ts";

const URL_ = "https://r.example/api/packages/acme/go";
const hosted = (paths: string[], verifierKey: string | null = null) => ({
  ownerUrl: URL_,
  verifierKey,
  hostedPaths: paths,
});

Deno.test("modulePrefixes: sorted, deduplicated, major-version paths under their base", () => {
  assertEquals(
    modulePrefixes(["example.com/m/v2", "example.com/m", "example.com/mx", "a.io/x", "a.io/x"]),
    ["a.io/x", "example.com/m", "example.com/mx"],
  );
  assertEquals(modulePrefixes([]), []);
});

const cases: [string, ReturnType<typeof hosted>, Record<string, string>, string[]][] = [
  ["hosted paths go to GONOSUMDB", hosted(["x.io/b", "x.io/a/v2", "x.io/a"]), {}, [
    `GOPROXY=${URL_}`,
    "GONOSUMDB=x.io/a,x.io/b",
  ]],
  ["the user's GONOSUMDB patterns are kept", hosted(["x.io/a", "corp.io/m"]), {
    GONOSUMDB: "corp.io,other.io/z",
  }, [`GOPROXY=${URL_}`, "GONOSUMDB=corp.io,other.io/z,x.io/a"]],
  ["already covered: GONOSUMDB unchanged", hosted(["corp.io/m"]), { GONOSUMDB: "*.io" }, [
    `GOPROXY=${URL_}`,
  ]],
  ["no modules: no GONOSUMDB", hosted([]), {}, [`GOPROXY=${URL_}`]],
  ["a checksum database: GOSUMDB is its key", hosted(["x.io/a"], "r.example/acme+1234abcd+AQ"), {
    GONOSUMDB: "",
  }, [`GOPROXY=${URL_}`, "GOSUMDB=r.example/acme+1234abcd+AQ"]],
];
for (const [name, facts, current, want] of cases) {
  Deno.test(`goSettings: ${name}`, () => {
    const got = goSettings(facts, current).map((s) => `${s.name}=${s.value}`);
    assertEquals(got, want);
    assertEquals(got.some((s) => s.startsWith("GOPRIVATE") || s.startsWith("GONOPROXY")), false);
  });
}

Deno.test("settingsNotes: GOPRIVATE through GONOPROXY, an explicit GONOPROXY, GONOSUMDB", () => {
  const viaPrivate = settingsNotes(hosted(["corp.io/m", "x.io/a"]), {
    GOPRIVATE: "corp.io",
    GONOPROXY: "corp.io",
  });
  assertEquals(viaPrivate.length, 1);
  assertIncludes(viaPrivate[0], "GOPRIVATE=corp.io covers corp.io/m:");
  assertIncludes(viaPrivate[0], "go env -w GONOPROXY=none");
  const explicit = settingsNotes(hosted(["corp.io/m"]), {
    GOPRIVATE: "corp.io",
    GONOPROXY: "*.io",
  });
  assertIncludes(explicit[0], "GONOPROXY=*.io covers corp.io/m:");
  assertEquals(settingsNotes(hosted(["corp.io/m"]), { GONOPROXY: "none" }), []);
  const unverified = settingsNotes(hosted(["corp.io/m"], "k+1+A"), { GONOSUMDB: "corp.io" });
  assertIncludes(unverified[0], "GONOSUMDB=corp.io covers corp.io/m: their checksums are not");
  assertIncludes(settingsNotes(hosted([]), {})[0], "the owner hosts no modules yet");
});
