// The sequence of Gitea's own Go registry integration test, against modyard.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { buildZip } from "./helpers/zip.ts";
import { startTestServer } from "./helpers/server.ts";

Deno.test("Gitea's Go registry test sequence gets the same answers", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("user2");
    const packageName = "gitea.com/go-gitea/gitea";
    const goModContent = `// Gitea Go Test Module
module ${packageName}
`;
    const createArchive = (version: string) =>
      buildZip({ [`${packageName}@${version}/go.mod`]: goModContent });
    const base = server.proxy("user2");

    const empty = await buildZip({});
    let res = await server.upload("user2", empty);
    assertEquals([res.status, await res.text()], [401, "authentication required to publish\n"]);
    assertEquals(res.headers.get("www-authenticate"), 'Basic realm="modyard"');
    res = await server.upload("user2", empty, auth);
    assertEquals([res.status, await res.text()], [
      400,
      "zip file has no entries, so it names no module\n",
    ]);

    const v1 = await createArchive("v0.0.1");
    res = await server.upload("user2", v1, auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();
    res = await server.upload("user2", v1, auth);
    assertEquals(res.status, 409);
    assertIncludes(await res.text(), `${packageName}@v0.0.1 is already published by user2`);
    res = await server.upload("user2", await createArchive("v0.0.2"), auth);
    assertEquals(res.status, 201);
    await res.body?.cancel();

    res = await fetch(`${base}/${packageName}/@v/list`);
    assertEquals([res.status, await res.text()], [200, "v0.0.1\nv0.0.2\n"]);

    res = await fetch(`${base}/${packageName}/@v/v0.0.1.info`);
    assertEquals(res.status, 200);
    const info = await res.json();
    assertEquals(info.Version, "v0.0.1");
    assertEquals(typeof info.Time, "string");

    res = await fetch(`${base}/${packageName}/@v/latest.info`);
    assertEquals([res.status, (await res.json()).Version], [200, "v0.0.2"]);
    res = await fetch(`${base}/${packageName}/@latest`);
    assertEquals([res.status, (await res.json()).Version], [200, "v0.0.2"]);

    res = await fetch(`${base}/${packageName}/@v/v0.0.1.mod`);
    assertEquals([res.status, await res.text()], [200, goModContent]);
    res = await fetch(`${base}/${packageName}/@v/latest.mod`);
    assertEquals([res.status, await res.text()], [200, goModContent]);

    res = await fetch(`${base}/${packageName}/@v/v0.0.1.zip`);
    assertEquals(res.status, 200);
    assertEquals(new Uint8Array(await res.arrayBuffer()), v1);
    res = await fetch(`${base}/${packageName}/@v/latest.zip`);
    assertEquals(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});
