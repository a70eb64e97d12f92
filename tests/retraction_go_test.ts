// modyard's retracted set equals what the go command reports: the retract directives of
// the latest version's go.mod apply to every version (single versions, ranges, rationale
// comments, a version retracting itself), not each version's own go.mod.
import { assertEquals } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/retract";
const plainMod = `module ${MOD}\n\ngo 1.19\n`;
const GO_MODS: Record<string, string> = {
  "v1.0.0": plainMod,
  // An older version's own directives must not count.
  "v1.0.1": `${plainMod}\nretract v1.3.0 // never applies: not the latest go.mod\n`,
  "v1.1.0": plainMod,
  "v1.2.0": plainMod,
  "v1.3.0": `module ${MOD}

go 1.19

// Published by mistake.
retract v1.0.0

retract (
	[v1.0.1, v1.1.0] // Broken builds.
	v1.3.0 // Retracts itself.
)
`,
  "v1.4.0-rc.1": plainMod,
};

Deno.test({
  name: "retracted versions and rationale equal `go list -m -retracted -json` for every version",
  ignore: !goPrerequisites([]),
  async fn() {
    const server = await startTestServer();
    const go = await goSandbox(server.proxy("alice"));
    try {
      const auth = await server.user("alice");
      for (const [version, mod] of Object.entries(GO_MODS)) {
        const res = await server.upload(
          "alice",
          await moduleZip(MOD, version, { "go.mod": mod, "r.go": "package retract\n" }),
          auth,
        );
        assertEquals(res.status, 201, await res.clone().text());
        await res.body?.cancel();
      }
      const api =
        await (await fetch(`${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}`))
          .json();
      const ours: Record<string, string[] | null> = {};
      for (const v of api.versions) ours[v.version] = v.retracted ? [v.retraction_rationale] : null;

      const theirs: Record<string, string[] | null> = {};
      for (const version of Object.keys(GO_MODS)) {
        const out = await go.run(
          ["list", "-m", "-retracted", "-json", `${MOD}@${version}`],
          go.dir,
        );
        assertEquals(out.code, 0, out.stderr);
        theirs[version] = JSON.parse(out.stdout).Retracted ?? null;
      }
      assertEquals(ours, theirs);
      assertEquals(ours["v1.0.0"], ["Published by mistake."]);
      assertEquals(ours["v1.2.0"], null);
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});
