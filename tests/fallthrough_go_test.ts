// After a delete, the go command treats modyard's 410 like a 404 and moves on to the next
// proxy in GOPROXY.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/fall";

Deno.test({
  name: "a deleted version is fetched from the next proxy in GOPROXY",
  ignore: !goPrerequisites([]),
  async fn() {
    const server = await startTestServer();
    const go = await goSandbox(`${server.proxy("alice")},${server.proxy("mirror")}`);
    try {
      const alice = await server.user("alice");
      const mirror = await server.user("mirror");
      const zip = await moduleZip(MOD, "v1.0.0", {
        "go.mod": `module ${MOD}\n`,
        "f.go": "package fall\n",
      });
      let res = await server.upload("alice", zip, alice);
      assertEquals(res.status, 201);
      await res.body?.cancel();
      res = await server.upload("mirror", zip, mirror);
      const mirrored = await res.json();
      const del = await fetch(
        `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
        {
          method: "DELETE",
          headers: { authorization: alice },
        },
      );
      assertEquals(del.status, 204);

      const dl = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir);
      assertEquals(dl.code, 0, dl.stderr);
      assertEquals(JSON.parse(dl.stdout).Sum, mirrored.h1);

      // With only the first proxy, the go command reports the 410 reason.
      const alone = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir, {
        GOPROXY: server.proxy("alice"),
        GOMODCACHE: `${go.dir}/other-cache`,
        GOFLAGS: "-modcacherw",
      });
      assertEquals(alone.code !== 0, true);
      assertIncludes(alone.stdout + alone.stderr, "410 Gone");
    } finally {
      await go.cleanup();
      await server.close();
    }
  },
});
