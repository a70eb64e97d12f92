// Fills that die (issue 11): a zip fill whose upstream connection is cut, or whose process is
// killed mid-stream, leaves no visible file; its chunks are reclaimed (at once when the fill
// itself fails, by the abandoned-upload sweeper when the process is gone); the next request
// fetches the file again and serves the right bytes; nothing half-written is ever served.
import { createToken, createUser } from "../src/registry/accounts.ts";
import { openStore } from "../src/store/open_store.ts";
import type { UploadLease } from "../src/store/records.ts";
import { FILL_LEASE_OWNER } from "../src/upstream/fill_lease.ts";
import { setPullThrough } from "../src/upstream/owner_settings.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { spawnFillProcess, startFlakyUpstream } from "./helpers/fill_process.ts";
import { fetchBytes, startPullThroughServer } from "./helpers/pull_through.ts";
import { startTestServer } from "./helpers/server.ts";
import { eventually } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const MODULE = "public.example/big";
const VERSION = "v1.0.0";

/** A module zip of about `size` bytes of incompressible data. */
function bigZip(size: number): Promise<Uint8Array> {
  return moduleZip(MODULE, VERSION, {
    "go.mod": `module ${MODULE}\n`,
    "data.bin": randomBytes(size),
  });
}

async function keysUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<Deno.KvKey[]> {
  const out: Deno.KvKey[] = [];
  for await (const e of kv.list({ prefix })) out.push(e.key);
  return out;
}

/** Whether a response is either not a 200 or the whole zip (never a partial 200). */
function wholeOrRefused(r: { status: number; bytes: Uint8Array }, zip: Uint8Array): boolean {
  return r.status !== 200 ||
    (r.bytes.byteLength === zip.byteLength && r.bytes.every((b, i) => b === zip[i]));
}

Deno.test("pull-through sweep: a zip fill whose upstream connection is cut stores nothing, leaves no chunks, and the next request fetches it whole", async () => {
  const zip = await bigZip(2_500_000);
  const up = startFlakyUpstream(MODULE, VERSION, zip);
  const down = await startPullThroughServer({ upstream: up.goproxy });
  try {
    await down.owner("acme");
    const url = `${down.proxy("acme")}/${MODULE}/@v/${VERSION}.zip`;
    up.mode = "cut";
    up.breakAt = 1_600_000; // two commits of chunks are in the store when it breaks
    const during = await Promise.all(
      Array.from(
        { length: 5 },
        () => fetchBytes(url).catch(() => ({ status: 0, bytes: new Uint8Array() })),
      ),
    );
    for (const r of during) {
      assertEquals(r.status, 502, new TextDecoder().decode(r.bytes));
      assertOk(wholeOrRefused(r, zip));
    }
    assertEquals(up.zipRequests, 1);
    assertEquals(await keysUnder(down.kv, ["upstream", "zip"]), []);
    assertEquals(await keysUnder(down.kv, ["upload"]), []);
    assertEquals(await keysUnder(down.kv, ["blob"]), []);

    up.mode = "full";
    const again = await fetchBytes(url);
    assertEquals([again.status, again.bytes.byteLength], [200, zip.byteLength]);
    assertOk(wholeOrRefused(again, zip), "the bytes differ from the upstream's");
    assertEquals(up.zipRequests, 2);
    assertEquals((await keysUnder(down.kv, ["upload"])).length, 0);
  } finally {
    await down.close();
    await up.close();
  }
});

Deno.test("pull-through sweep: a process killed mid-fill leaves chunks under a lease; the abandoned-upload sweeper reclaims them, another server fetches the zip again, and nothing half-written is served", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-sweep-" });
  const kvPath = `${dir}/store.kv`;
  const zip = await bigZip(2_500_000);
  const up = startFlakyUpstream(MODULE, VERSION, zip);
  const kv = await openStore(kvPath);
  let other: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    await createUser(kv, "acme", { visibility: "public" });
    await setPullThrough(kv, "acme", true);
    await createToken(kv, "acme", { scope: "write" });
    const dying = await spawnFillProcess(kvPath, up.goproxy, { stallSeconds: 1, leaseMs: 1000 });
    const path = `/api/packages/acme/go/${MODULE}/@v/${VERSION}.zip`;
    up.mode = "stall";
    up.breakAt = 1_600_000;
    const hung = fetchBytes(`${dying.url}${path}`).catch((err) => err);
    // Wait until chunks are in the store, then kill the process in the middle of the fill.
    const chunksWritten = await eventually(
      async () => (await keysUnder(kv, ["blob"])).length > 0,
      15_000,
    );
    assertOk(chunksWritten, "the dying process never wrote a chunk");
    await dying.kill();
    assertOk((await hung) instanceof Error, "the killed process answered");

    // What the crash left: chunks under an upload lease of the fill, and no visible file.
    const leases = [];
    for await (const e of kv.list<UploadLease>({ prefix: ["upload"] })) leases.push(e);
    assertEquals(leases.length, 1);
    assertEquals(leases[0].value.owner, FILL_LEASE_OWNER);
    const deadId = leases[0].key[1] as string;
    const deadChunks = await keysUnder(kv, ["blob", deadId]);
    assertOk(deadChunks.length >= 12, `only ${deadChunks.length} chunks`);
    assertEquals(await keysUnder(kv, ["upstream", "zip"]), []);

    // Another server on the store, its sweeper every 100 ms (the stall timeout is 1 s).
    up.mode = "full";
    other = await startTestServer({
      store: kv,
      stallSeconds: 1,
      sweepIntervalMs: 100,
      pullThrough: {
        upstream: up.goproxy,
        ttlSeconds: 60,
        maxCacheBytes: 1024 * 1024 * 1024,
        sumdbUpstream: "off",
        lease: { leaseMs: 1000, pollMs: 50 },
      },
    });
    const swept = await eventually(
      async () =>
        (await keysUnder(kv, ["blob", deadId])).length === 0 &&
        (await keysUnder(kv, ["upload"])).length === 0 &&
        (await keysUnder(kv, ["reclaim"])).length === 0,
      10_000,
    );
    assertOk(swept, "the sweeper left the dead fill's chunks");
    assertEquals(up.zipRequests, 1);

    // The next request fetches it again (the dead process's fill lease has expired) and
    // serves the upstream's bytes.
    const got = await fetchBytes(`${other.url}${path}`);
    assertEquals([got.status, got.bytes.byteLength], [200, zip.byteLength]);
    assertOk(wholeOrRefused(got, zip), "the bytes differ from the upstream's");
    assertEquals(up.zipRequests, 2);
    // Only the chunks of the stored file are left.
    const record =
      (await kv.get<{ blobId: string; chunks: number }>(["upstream", "zip", MODULE, VERSION]))
        .value!;
    const blobKeys = await keysUnder(kv, ["blob"]);
    assertEquals(blobKeys.length, record.chunks);
    assertOk(blobKeys.every((k) => k[1] === record.blobId));
  } finally {
    await other?.close();
    kv.close();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});
