// Racing uploads of one version: exactly one wins, and the stored bytes are the winner's.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

Deno.test("20 parallel uploads of one version with different bytes: one 201, nineteen 409, winner's bytes served", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zips = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        moduleZip("example.com/race", "v1.0.0", {
          "go.mod": "module example.com/race\n",
          "data.bin": randomBytes(100_000 + i * 1000),
        })),
    );
    const responses = await Promise.all(zips.map((z) => server.upload("alice", z, auth)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const statuses = responses.map((r) => r.status);
    assertEquals(statuses.filter((s) => s === 201).length, 1, statuses.join(","));
    assertEquals(statuses.filter((s) => s === 409).length, 19, statuses.join(","));
    const winner = statuses.indexOf(201);
    const winnerH1 = JSON.parse(bodies[winner]).h1;
    for (const [i, text] of bodies.entries()) if (i !== winner) assertIncludes(text, winnerH1);
    const res = await fetch(`${server.proxy("alice")}/example.com/race/@v/v1.0.0.zip`);
    assertEquals(new Uint8Array(await res.arrayBuffer()), zips[winner]);
    // Only the winner's chunks remain: one blob in the store.
    const blobs = new Set<unknown>();
    for await (const e of server.kv.list({ prefix: ["blob"] })) blobs.add(e.key[1]);
    assertEquals(blobs.size, 1);
  } finally {
    await server.close();
  }
});
