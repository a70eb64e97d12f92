// A server killed with SIGKILL in the middle of an upload leaves nothing visible, and
// `gc` removes the chunks it had written.
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { basic, runCli, spawnServer, startTestServer } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

async function count(kvPath: string, prefix: string): Promise<number> {
  const kv = await Deno.openKv(kvPath);
  try {
    let n = 0;
    for await (const _ of kv.list({ prefix: [prefix] })) n++;
    return n;
  } finally {
    kv.close();
  }
}

Deno.test("SIGKILL mid-upload: nothing visible after restart, gc removes the chunks", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    assertEquals((await runCli(kvPath, ["user", "create", "alice"])).code, 0);
    const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    const zip = await moduleZip("example.com/crash", "v1.0.0", {
      "go.mod": "module example.com/crash\n",
      "big.bin": randomBytes(8 * 1024 * 1024),
    });
    const server = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= zip.length / 2) {
          await new Promise((r) => setTimeout(r, 60_000)); // stall: the kill comes first
          return;
        }
        controller.enqueue(zip.slice(sent, sent + 256 * 1024));
        sent += 256 * 1024;
      },
    });
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body,
      headers: { authorization: basic("alice", token) },
    }).catch((err) => err);
    for (let i = 0; i < 200 && await count(kvPath, "blob") < 24; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const chunksBefore = await count(kvPath, "blob");
    assertOk(chunksBefore >= 24, `chunks written before the kill: ${chunksBefore}`);
    await server.stop("SIGKILL");
    await body.cancel().catch(() => {});
    await upload;

    const restarted = await spawnServer(kvPath);
    try {
      const list = await fetch(`${restarted.url}/api/packages/alice/go/example.com/crash/@v/list`);
      assertEquals(list.status, 404);
      await list.body?.cancel();
      const info = await fetch(
        `${restarted.url}/api/packages/alice/go/example.com/crash/@v/v1.0.0.info`,
      );
      assertEquals(info.status, 404);
      await info.body?.cancel();
      assertEquals(await count(kvPath, "version"), 0);

      await new Promise((r) => setTimeout(r, 1200)); // past the 1 s stall deadline
      const gc = await runCli(kvPath, ["gc"]);
      assertEquals(gc.code, 0, gc.stderr);
      assertMatch(
        gc.stdout,
        /removed abandoned upload [0-9a-f-]+ \(owner alice\): \d+ chunks, \d+ bytes/,
      );
      assertIncludes(gc.stdout, "gc: removed 1 abandoned upload(s)");
      assertEquals(await count(kvPath, "blob"), 0);
      assertEquals(await count(kvPath, "upload"), 0);

      // The version can now be published for real.
      const res = await fetch(`${restarted.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("alice", token) },
      });
      assertEquals(res.status, 201);
      await res.body?.cancel();
    } finally {
      await restarted.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gc never takes the chunks of an upload that is still streaming", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    await runCli(kvPath, ["user", "create", "alice"]);
    const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    const zip = await moduleZip("example.com/slow", "v1.0.0", {
      "go.mod": "module example.com/slow\n",
      "big.bin": randomBytes(2 * 1024 * 1024),
    });
    const server = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    try {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent >= zip.length) {
            controller.close();
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
          controller.enqueue(zip.slice(sent, sent + 128 * 1024));
          sent += 128 * 1024;
        },
      });
      const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body,
        headers: { authorization: basic("alice", token) },
      });
      // The upload takes about 1.6 s, longer than the 1 s stall timeout: gc runs during it.
      let removed = 0;
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 350));
        const gc = await runCli(kvPath, ["gc"]);
        removed += Number(/removed (\d+) abandoned/.exec(gc.stdout)?.[1] ?? "NaN");
      }
      assertEquals(removed, 0);
      const res = await upload;
      assertEquals(res.status, 201, await res.clone().text());
      await res.body?.cancel();
      const dl = await fetch(`${server.url}/api/packages/alice/go/example.com/slow/@v/v1.0.0.zip`);
      assertEquals(new Uint8Array(await dl.arrayBuffer()), zip);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gc finishes a reclaim that a crash interrupted (marker written, chunks not yet deleted)", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    assertEquals((await runCli(kvPath, ["user", "create", "alice"])).code, 0);
    const kv = await Deno.openKv(kvPath);
    await kv.atomic()
      .set(["blob", "dead-blob", "zip", 0], new Uint8Array(1000))
      .set(["blob", "dead-blob", "zip", 1], new Uint8Array(10))
      .set(["reclaim", "dead-blob"], { owner: "alice", after: Date.now() - 1 })
      .commit();
    kv.close();
    const gc = await runCli(kvPath, ["gc"]);
    assertIncludes(
      gc.stdout,
      "removed abandoned upload dead-blob (owner alice): 2 chunks, 1010 bytes",
    );
    assertEquals(await count(kvPath, "blob"), 0);
    assertEquals(await count(kvPath, "reclaim"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a running server's periodic sweep removes the chunks a killed server left behind", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    await runCli(kvPath, ["user", "create", "alice"]);
    const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
      .trim();
    const zip = await moduleZip("example.com/swept", "v1.0.0", {
      "go.mod": "module example.com/swept\n",
      "big.bin": randomBytes(4 * 1024 * 1024),
    });
    const first = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= zip.length / 2) return await new Promise((r) => setTimeout(r, 30_000));
        controller.enqueue(zip.slice(sent, sent + 256 * 1024));
        sent += 256 * 1024;
      },
    });
    const upload = fetch(`${first.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body,
      headers: { authorization: basic("alice", token) },
    }).catch((err) => err);
    for (let i = 0; i < 200 && await count(kvPath, "blob") < 12; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertOk(await count(kvPath, "blob") >= 12);
    await first.stop("SIGKILL");
    await body.cancel().catch(() => {});
    await upload;
    const second = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    try {
      let left = -1;
      for (let i = 0; i < 100 && left !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = await count(kvPath, "blob");
      }
      assertEquals(left, 0);
      assertEquals(await count(kvPath, "upload"), 0);
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client that disconnects mid-upload leaves nothing behind", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip("example.com/gone", "v1.0.0", {
      "go.mod": "module example.com/gone\n",
      "big.bin": randomBytes(3 * 1024 * 1024),
    });
    const abort = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= zip.length / 2) return await new Promise((r) => setTimeout(r, 2000));
        controller.enqueue(zip.slice(sent, sent + 256 * 1024));
        sent += 256 * 1024;
      },
    });
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body,
      headers: { authorization: auth },
      signal: abort.signal,
    }).catch((err) => err);
    for (let i = 0; i < 200; i++) {
      let n = 0;
      for await (const _ of server.kv.list({ prefix: ["blob"] })) n++;
      if (n >= 12) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    abort.abort();
    await upload;
    let left = -1;
    for (let i = 0; i < 100 && left !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = 0;
      for await (const _ of server.kv.list({ prefix: ["blob"] })) left++;
    }
    assertEquals(left, 0);
    const health = await fetch(`${server.url}/healthz`);
    assertEquals(health.status, 200);
    await health.body?.cancel();
  } finally {
    await server.close();
  }
});
