// Periodic work that must also happen where isolates come and go (Deno Deploy): the app's
// sweep, run once, reclaims an abandoned upload's chunks (what the timer, or Deno.cron on
// Deploy, runs), and serve.ts registers that cron only where it is wanted.
import { ChunkWriter, Lease } from "../src/store/blob_store.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals } from "./helpers/assert.ts";
import { countKvKeys, startTestServer } from "./helpers/server.ts";

function chunksOf(kv: Deno.Kv, blobId: string): Promise<number> {
  return countKvKeys(kv, keys.blob(blobId));
}

Deno.test("app.sweep() reclaims an abandoned upload's chunks, once", async () => {
  const server = await startTestServer({ stallSeconds: 1 });
  try {
    const lease = await Lease.start(server.kv, "alice", 200);
    const writer = new ChunkWriter(lease, "zip");
    await writer.write(new Uint8Array(150_000));
    await writer.close();
    lease.stopRenewing(); // as if its process had died
    assertEquals(await chunksOf(server.kv, lease.blobId), 3);
    await new Promise((r) => setTimeout(r, 400)); // past the lease's stall deadline
    assertEquals(await server.app.sweep(), 1);
    assertEquals(await chunksOf(server.kv, lease.blobId), 0);
    assertEquals(await server.app.sweep(), 0);
  } finally {
    await server.close();
  }
});

async function cronRegistered(env: Record<string, string>): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--unstable-kv",
      "--unstable-cron",
      `const m = await import(${
        JSON.stringify(new URL("../serve.ts", import.meta.url).href)
      }); console.log(m.cronRegistered); Deno.exit(0);`,
    ],
    env: { MODYARD_KV: ":memory:", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  });
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim() || new TextDecoder().decode(out.stderr);
}

Deno.test("serve.ts registers Deno.cron for the sweep on Deno Deploy (or with MODYARD_CRON=1) only", async () => {
  assertEquals(await cronRegistered({}), "false");
  assertEquals(await cronRegistered({ MODYARD_CRON: "1" }), "true");
  assertEquals(await cronRegistered({ DENO_DEPLOYMENT_ID: "test" }), "true");
});
