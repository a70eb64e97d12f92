// Download counts are batched in memory (src/registry/download_counts.ts): the JSON API shows
// them before they are written, they reach the store within five seconds, in commits that fit
// Deno KV's limits, early when the batch is full, and on a graceful stop (SIGTERM, SIGINT).
import { DownloadCounts, FLUSH_INTERVAL_MS } from "../src/registry/download_counts.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { get, startAppServer } from "./helpers/app_server.ts";
import {
  basic,
  freePort,
  MAIN_TS,
  runCli,
  type ServerProcess,
  spawnServer,
  waitUntilHealthy,
} from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const MOD = "example.com/counted";

async function storedCount(kv: Deno.Kv, version = "v1.0.0", module = MOD): Promise<number> {
  const e = await kv.get<Deno.KvU64>(keys.downloads("alice", module, version));
  return Number(e.value?.value ?? 0n);
}

async function apiDownloads(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`);
  assertEquals(res.status, 200);
  return (await res.json()).downloads;
}

// SIGINT also with the settings before `serve` (main.ts then exits explicitly after the
// command returns, which must wait for the counts).
for (const [signal, flagsFirst] of [["SIGTERM", false], ["SIGINT", true]] as const) {
  Deno.test({
    name: `counts add up after a graceful stop (${signal}${
      flagsFirst ? ", flags before serve" : ""
    }): N downloads, N in the store`,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir();
      const kvPath = `${dir}/modyard.kv`;
      assertEquals((await runCli(kvPath, ["user", "create", "alice"])).code, 0);
      const token = await runCli(kvPath, ["token", "create", "alice", "--scope", "write"]);
      const server = flagsFirst ? await spawnFlagsFirst(kvPath) : await spawnServer(kvPath);
      try {
        const up = await fetch(`${server.url}/api/packages/alice/go/upload`, {
          method: "PUT",
          body: await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }) as Uint8Array<
            ArrayBuffer
          >,
          headers: { authorization: basic("alice", token.stdout.trim()) },
        });
        await up.body?.cancel();
        assertEquals(up.status, 201);
        const n = 37;
        await Promise.all(Array.from({ length: n }, async () => {
          assertEquals(
            (await get(`${server.url}/api/packages/alice/go/${MOD}/@v/v1.0.0.zip`)).status,
            200,
          );
        }));
        assertEquals(await apiDownloads(server.url), n);
        server.child.kill(signal);
        const status = await withTimeout(server.child.status, 10_000, "server did not stop");
        assertEquals(status.code, 0, `exit status after ${signal}`);
        const kv = await Deno.openKv(kvPath);
        try {
          assertEquals(await storedCount(kv), n);
        } finally {
          kv.close();
        }
      } finally {
        await server.stop();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "SIGTERM stops accepting connections, lets a download in flight finish, and counts it",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const kvPath = `${dir}/modyard.kv`;
    assertEquals((await runCli(kvPath, ["user", "create", "alice"])).code, 0);
    const token = await runCli(kvPath, ["token", "create", "alice", "--scope", "write"]);
    const server = await spawnServer(kvPath);
    try {
      const zip = await moduleZip(MOD, "v1.0.0", {
        "go.mod": `module ${MOD}\n`,
        "data.bin": randomBytes(8_000_000),
      });
      const up = await fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("alice", token.stdout.trim()) },
      });
      await up.body?.cancel();
      assertEquals(up.status, 201);
      const res = await fetch(`${server.url}/api/packages/alice/go/${MOD}/@v/v1.0.0.zip`);
      assertEquals(res.status, 200);
      const reader = res.body!.getReader();
      const pieces: Uint8Array[] = [(await reader.read()).value!];
      server.child.kill("SIGTERM");
      // New connections are refused once the listener is closed (within a second).
      const client = Deno.createHttpClient({});
      let refused = false;
      for (let i = 0; i < 20 && !refused; i++) {
        await new Promise((r) => setTimeout(r, 50));
        try {
          const probe = await fetch(`${server.url}/healthz`, { client });
          await probe.body?.cancel();
        } catch {
          refused = true;
        }
      }
      client.close();
      assertOk(refused, "a new connection was still accepted after SIGTERM");
      for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(r.value);
      const got = new Uint8Array(await new Blob(pieces as Uint8Array<ArrayBuffer>[]).arrayBuffer());
      assertEquals([got.length, got], [zip.length, zip]);
      const status = await withTimeout(server.child.status, 10_000, "server did not stop");
      assertEquals(status.code, 0);
      const kv = await Deno.openKv(kvPath);
      try {
        assertEquals(await storedCount(kv), 1);
      } finally {
        kv.close();
      }
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the JSON API includes downloads not yet written to the store; they are written within five seconds", async () => {
  const server = await startAppServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals(await server.upload("alice", zip, auth), 201);
    const started = Date.now();
    for (let i = 0; i < 12; i++) {
      assertEquals((await get(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`)).bytes, zip);
    }
    const head = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`, { method: "HEAD" });
    await head.body?.cancel();
    const notModified = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.zip`, {
      headers: { "if-none-match": head.headers.get("etag")! },
    });
    await notModified.body?.cancel();
    assertEquals(notModified.status, 304);
    const inStore = await storedCount(server.kv);
    assertEquals(await apiDownloads(server.url), 12);
    // The premise: they are not in the store yet (unless this machine took ~5 s to get here).
    if (Date.now() - started < FLUSH_INTERVAL_MS - 500) assertEquals(inStore, 0);
    let written = -1;
    while (Date.now() - started < FLUSH_INTERVAL_MS + 1500) {
      written = await storedCount(server.kv);
      if (written === 12) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(written, 12, "downloads written to the store within the flush interval");
    assertEquals(await apiDownloads(server.url), 12);
  } finally {
    await server.close();
  }
});

// [module path, distinct versions]: many short keys (over 1,000 mutations), and ~1.9 KB keys
// (500 of them are over 800 KB).
const BIG_BATCHES: [string, number][] = [
  [MOD, 2500],
  ["example.com/" + "deep/".repeat(378), 600],
];
for (const [module, versions] of BIG_BATCHES) {
  Deno.test(`DownloadCounts: ${versions} versions of a ${module.length}-byte path flush in commits within Deno KV's limits`, async () => {
    const kv = await Deno.openKv(":memory:");
    const counts = new DownloadCounts(kv, { maxBytes: 64 * 1024 * 1024 });
    try {
      let expected = 0;
      for (let i = 0; i < versions; i++) {
        for (let j = 0; j <= i % 3; j++) counts.add("alice", module, `v1.0.${i}`);
        expected += (i % 3) + 1;
      }
      await counts.flush();
      for (const i of [0, 1, 2, versions - 1]) {
        assertEquals(await storedCount(kv, `v1.0.${i}`, module), (i % 3) + 1, `v1.0.${i}`);
      }
      let total = 0;
      for await (const e of kv.list<Deno.KvU64>({ prefix: ["downloads", "alice", module] })) {
        total += Number(e.value.value);
      }
      assertEquals(total, expected);
      assertEquals(counts.pending("alice", module).size, 0);
    } finally {
      await counts.close();
      kv.close();
    }
  });
}

Deno.test("DownloadCounts: a full batch is flushed at once (no waiting for the timer), nothing lost", async () => {
  const kv = await Deno.openKv(":memory:");
  // Room for about three entries; the timer is far away.
  const counts = new DownloadCounts(kv, { maxBytes: 400, intervalMs: 60_000 });
  try {
    for (let i = 0; i < 10; i++) {
      const wait = counts.add("alice", MOD, `v1.0.${i}`);
      if (wait) await wait;
    }
    let stored = 0;
    for (let i = 0; i < 10; i++) stored += await storedCount(kv, `v1.0.${i}`);
    const pending = [...counts.pending("alice", MOD).values()].reduce((a, b) => a + b, 0);
    assertOk(stored >= 6, `only ${stored} written before the timer`);
    assertEquals(stored + pending, 10);
  } finally {
    await counts.close();
    kv.close();
  }
});

Deno.test("DownloadCounts: reading counts while a (slow) flush is in flight, or starts mid-read, counts each download once", async () => {
  const kv = await Deno.openKv(":memory:");
  // A store whose commits take 30 ms, so a flush is visibly in flight.
  const slowKv = {
    atomic() {
      const op = kv.atomic();
      const commit = op.commit.bind(op);
      op.commit = async () => {
        await new Promise((r) => setTimeout(r, 30));
        return await commit();
      };
      return op;
    },
  } as unknown as Deno.Kv;
  const counts = new DownloadCounts(slowKv, { intervalMs: 60_000 });
  let flushMidRead = false;
  const read = async () => {
    if (flushMidRead) {
      flushMidRead = false;
      counts.flush(); // moves the batch out while the stored counts are being read
    }
    const out = new Map<string, number>();
    for await (const e of kv.list<Deno.KvU64>({ prefix: ["downloads", "alice", MOD] })) {
      out.set(e.key[3] as string, Number(e.value.value));
    }
    return out;
  };
  try {
    for (let round = 1; round <= 6; round++) {
      counts.add("alice", MOD, "v1.0.0");
      const flushing = round % 2 === 0 ? counts.flush() : undefined;
      flushMidRead = flushing === undefined;
      const seen = await counts.withPending("alice", MOD, read);
      assertEquals(seen.get("v1.0.0"), round, `round ${round}`);
      await flushing;
    }
  } finally {
    await counts.close();
    kv.close();
  }
});

/** `main.ts --kv PATH --port N --hostname 127.0.0.1 serve`: settings before the command. */
async function spawnFlagsFirst(kvPath: string): Promise<ServerProcess> {
  const port = freePort();
  const args = ["run", "-A", MAIN_TS, "--kv", kvPath, "--port", String(port)];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, "--hostname", "127.0.0.1", "serve"],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url);
  return {
    url,
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
