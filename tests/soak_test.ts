// The soak scenario of `deno task bench` at a small scale: a few seconds of mixed load (80 %
// metadata, 15 % zip downloads, 5 % uploads) against a test server; zero errors, and every
// version that got a 201 downloads byte for byte afterwards. Seed: MODYARD_SOAK_SEED or
// MODYARD_TEST_SEED (printed on failure).
import { runSoak } from "../bench/soak.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";

Deno.test("soak: 3 s of mixed load at 4 connections, zero errors, every 201 downloads intact", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("soak");
    const result = await runSoak({
      url: server.url,
      owner: "soak",
      auth,
      seconds: 3,
      connections: 4,
      initialVersions: 4,
    });
    const context = `seed ${result.seed}: ${JSON.stringify(result, null, 1)}`;
    assertEquals(result.errorCount, 0, context);
    assertEquals(result.verified, result.published, context);
    assertOk(result.published > 4, `no upload during the load; ${context}`);
    assertOk(result.requests.zip > 0 && result.requests.metadata > 0, context);
  } finally {
    await server.close();
  }
});
