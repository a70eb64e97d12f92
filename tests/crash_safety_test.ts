// A server killed with SIGKILL in the middle of an upload leaves nothing visible, and
// `gc` (or another server's periodic sweep) removes the chunks it had written; a live
// upload's chunks are never taken; a client that disconnects leaves nothing behind.
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import {
  basic,
  countKeys,
  eventually,
  runCli,
  spawnServer,
  stalledUpload,
  startTestServer,
} from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

/** A store file with user alice and her write token, and a large zip to upload. */
async function fixture(name: string, megabytes: number) {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  assertEquals((await runCli(kvPath, ["user", "create", "alice"])).code, 0);
  const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
    .trim();
  const zip = await moduleZip(`example.com/${name}`, "v1.0.0", {
    "go.mod": `module example.com/${name}\n`,
    "big.bin": randomBytes(megabytes * 1024 * 1024),
  });
  return { dir, kvPath, auth: basic("alice", token), zip };
}

Deno.test("SIGKILL mid-upload: nothing visible after restart, gc removes the chunks", async () => {
  const { dir, kvPath, auth, zip } = await fixture("crash", 8);
  try {
    const server = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    const upload = stalledUpload(
      `${server.url}/api/packages/alice/go/upload`,
      auth,
      zip,
      zip.length / 2,
    );
    assertOk(
      await eventually(async () => await countKeys(kvPath, "blob") >= 24),
      "chunks written before the kill",
    );
    await server.stop("SIGKILL");
    await upload.cancel();
    await upload.done;

    const restarted = await spawnServer(kvPath);
    try {
      for (const file of ["list", "v1.0.0.info"]) {
        const res = await fetch(
          `${restarted.url}/api/packages/alice/go/example.com/crash/@v/${file}`,
        );
        assertEquals(res.status, 404, file);
        await res.body?.cancel();
      }
      assertEquals(await countKeys(kvPath, "version"), 0);

      await new Promise((r) => setTimeout(r, 1200)); // past the 1 s stall deadline
      const gc = await runCli(kvPath, ["gc"]);
      assertEquals(gc.code, 0, gc.stderr);
      assertMatch(
        gc.stdout,
        /removed abandoned upload [0-9a-f-]+ \(owner alice\): \d+ chunks, \d+ bytes/,
      );
      assertIncludes(gc.stdout, "gc: removed 1 abandoned upload(s)");
      assertEquals(await countKeys(kvPath, "blob"), 0);
      assertEquals(await countKeys(kvPath, "upload"), 0);

      // The version can now be published for real.
      const res = await fetch(`${restarted.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
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
  const { dir, kvPath, auth, zip } = await fixture("slow", 2);
  const server = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
  try {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= zip.length) return controller.close();
        await new Promise((r) => setTimeout(r, 100));
        controller.enqueue(zip.slice(sent, sent + 128 * 1024));
        sent += 128 * 1024;
      },
    });
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body,
      headers: { authorization: auth },
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
    assertEquals(await countKeys(kvPath, "blob"), 0);
    assertEquals(await countKeys(kvPath, "reclaim"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a running server's periodic sweep removes the chunks a killed server left behind", async () => {
  const { dir, kvPath, auth, zip } = await fixture("swept", 4);
  try {
    const first = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    const upload = stalledUpload(
      `${first.url}/api/packages/alice/go/upload`,
      auth,
      zip,
      zip.length / 2,
    );
    assertOk(await eventually(async () => await countKeys(kvPath, "blob") >= 12));
    await first.stop("SIGKILL");
    await upload.cancel();
    await upload.done;
    const second = await spawnServer(kvPath, ["--upload-stall-timeout", "1"]);
    try {
      assertOk(
        await eventually(async () => await countKeys(kvPath, "blob") === 0, 10_000),
        "chunks left",
      );
      assertEquals(await countKeys(kvPath, "upload"), 0);
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
    const chunks = async () => {
      let n = 0;
      for await (const _ of server.kv.list({ prefix: ["blob"] })) n++;
      return n;
    };
    const abort = new AbortController();
    const upload = stalledUpload(
      `${server.url}/api/packages/alice/go/upload`,
      auth,
      zip,
      zip.length / 2,
      abort.signal,
    );
    assertOk(await eventually(async () => await chunks() >= 12));
    abort.abort();
    await upload.done;
    assertOk(await eventually(async () => await chunks() === 0), "chunks left");
    const health = await fetch(`${server.url}/healthz`);
    assertEquals(health.status, 200);
    await health.body?.cancel();
  } finally {
    await server.close();
  }
});
