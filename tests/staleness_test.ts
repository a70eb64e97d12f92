// Changes made through the CLI (another process) reach a running server within one second.
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { basic, runCli, spawnServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

/** Polls `probe` until it returns true; returns the milliseconds it took, or Infinity. */
async function millisUntil(probe: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= limitMs) {
    if (await probe()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 25));
  }
  return Infinity;
}

Deno.test("a token created, then revoked, through the CLI takes effect in the server within one second", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  const server = await spawnServer(kvPath);
  try {
    assertEquals((await runCli(kvPath, ["user", "create", "alice", "--private"])).code, 0);
    const listUrl = `${server.url}/api/packages/alice/go/example.com/m/@v/list`;
    const status = async (auth?: string) => {
      const res = await fetch(listUrl, { headers: auth ? { authorization: auth } : {} });
      await res.body?.cancel();
      return res.status;
    };
    // Private owner exists: anonymous gets 401 (seen within the bound).
    assertOk(await millisUntil(async () => await status() === 401, 1000) <= 1000);

    const created = await runCli(kvPath, ["token", "create", "alice", "--label", "ci"]);
    assertEquals(created.code, 0, created.stderr);
    const auth = basic("alice", created.stdout.trim());
    const tookCreate = await millisUntil(async () => await status(auth) === 404, 1000);
    assertOk(tookCreate <= 1000, `new token accepted after ${tookCreate} ms`);

    const id = (await runCli(kvPath, ["token", "list", "alice"])).stdout.split("\t")[0];
    assertEquals((await runCli(kvPath, ["token", "revoke", "alice", id])).code, 0);
    const tookRevoke = await millisUntil(async () => await status(auth) === 401, 1000);
    assertOk(tookRevoke <= 1000, `revoked token refused after ${tookRevoke} ms`);

    // Visibility change through the CLI: anonymous readers get in within the bound.
    const zip = await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" });
    const writer = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    assertOk(
      await millisUntil(async () => await status(basic("alice", writer)) === 404, 1000) <= 1000,
    );
    const up = await fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { authorization: basic("alice", writer) },
    });
    await up.body?.cancel();
    assertEquals(up.status, 201);
    assertEquals((await runCli(kvPath, ["owner", "visibility", "alice", "public"])).code, 0);
    const tookVisibility = await millisUntil(async () => await status() === 200, 1000);
    assertOk(tookVisibility <= 1000, `public after ${tookVisibility} ms`);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
