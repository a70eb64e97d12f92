// Graceful shutdown of `main.ts serve` (a subprocess over a store file): SIGTERM stops new
// connections, lets uploads and downloads in flight finish within --shutdown-grace, writes
// the download counts, closes the store and exits 0; what is still in flight when the
// grace runs out is cut; a second signal more than a second later exits at once, repeats
// within a second are ignored.
import { assertEquals, assertOk } from "./helpers/assert.ts";
import {
  basic,
  freePort,
  runCli,
  type ServerProcess,
  spawnServer,
  waitUntilHealthy,
} from "./helpers/server.ts";
import { exitCodeWithin, largeModuleZip, pacedBody, sha256Hex, sleep } from "./helpers/signals.ts";
import { moduleZip } from "./helpers/zip.ts";
import { keys } from "../src/store/keys.ts";
import { signalAction } from "../src/server.ts";

const MiB = 1024 * 1024;
const SERVE_TS = new URL("../serve.ts", import.meta.url).pathname;

/** A store with user alice and a write token; the Authorization value. */
async function storeWithAlice(): Promise<{ dir: string; kvPath: string; auth: string }> {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/s.kv`;
  const created = await runCli(kvPath, ["user", "create", "alice"]);
  assertEquals(created.code, 0, created.stderr);
  const token = await runCli(kvPath, ["token", "create", "alice", "--scope", "write"]);
  assertEquals(token.code, 0, token.stderr);
  return { dir, kvPath, auth: basic("alice", token.stdout.trim()) };
}

/** How a new connection to the server is answered: status and body, or `"refused"`. */
async function healthz(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return `${res.status} ${(await res.text()).trim()}`;
  } catch {
    return "refused";
  }
}

async function publish(url: string, auth: string, zip: Uint8Array): Promise<void> {
  const res = await fetch(`${url}/api/packages/alice/go/upload`, {
    method: "PUT",
    body: zip as Uint8Array<ArrayBuffer>,
    headers: { authorization: auth },
  });
  assertEquals(res.status, 201, await res.text());
}

/** Kills a server a test left running (after a failure), without throwing. */
async function cleanUp(server: ServerProcess | undefined, dir: string): Promise<void> {
  if (server) {
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited */ }
    await server.child.status;
  }
  await Deno.remove(dir, { recursive: true });
}

const signalCases: [number | undefined, number, string][] = [
  [undefined, 10_000, "shutdown"],
  [10_000, 10_000, "ignore"],
  [10_000, 10_100, "ignore"],
  [10_000, 11_000, "ignore"],
  [10_000, 11_001, "exit"],
  [10_000, 11_500, "exit"],
];
for (const [firstAt, now, want] of signalCases) {
  Deno.test(`signalAction(${firstAt}, ${now}) is ${want}`, () => {
    assertEquals(signalAction(firstAt, now), want);
  });
}

Deno.test("SIGTERM during a 100 MiB upload: the upload still gets 201, the process exits 0, and the version downloads byte-for-byte after a restart", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath);
    const zip = await largeModuleZip("example.com/big", "v1.0.0", 100 * MiB);
    const body = pacedBody(zip, MiB, 15); // about 2 s for the whole body
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: body.stream,
      headers: { authorization: auth, "content-length": String(zip.length) },
    });
    upload.catch(() => {}); // awaited below; a failed assertion first must not leave it unhandled
    await body.reached(20 * MiB);
    server.child.kill("SIGTERM");
    const sentAtSignal = body.sent();
    assertOk(sentAtSignal < zip.length / 2, `signal after ${sentAtSignal} bytes`);
    // While the upload streams, the listener stays open (on Deno 2.9 closing it breaks the
    // bodies in flight) and refuses new requests; once it is done, connections are refused.
    let answer = await healthz(server.url);
    for (let i = 0; i < 30 && answer === "200 ok"; i++) { // the signal is handled in turn
      await sleep(50);
      answer = await healthz(server.url);
    }
    assertEquals(answer, "503 modyard is shutting down");
    assertOk(body.sent() < zip.length, "the upload was over before the check");
    const res = await upload;
    const reply = await res.text();
    assertEquals(res.status, 201, reply);
    assertEquals(JSON.parse(reply).size, zip.length);
    assertOk(
      ["refused", "503 modyard is shutting down"].includes(await healthz(server.url)),
      "served a new request after the shutdown began",
    );
    assertEquals(await exitCodeWithin(server.child, 30_000), 0);
    server = undefined;

    server = await spawnServer(kvPath);
    const got = await fetch(`${server.url}/api/packages/alice/go/example.com/big/@v/v1.0.0.zip`);
    assertEquals(got.status, 200);
    const bytes = new Uint8Array(await got.arrayBuffer());
    assertEquals(bytes.length, zip.length);
    assertEquals(await sha256Hex(bytes), await sha256Hex(zip));
    await server.stop();
    server = undefined;
  } finally {
    await cleanUp(server, dir);
  }
});

Deno.test("download counts made just before SIGTERM are in the store after it", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath);
    await publish(
      server.url,
      auth,
      await moduleZip("example.com/counted", "v1.0.0", {
        "go.mod": "module example.com/counted\n",
      }),
    );
    for (let i = 0; i < 3; i++) {
      const res: Response = await fetch(
        `${server.url}/api/packages/alice/go/example.com/counted/@v/v1.0.0.zip`,
      );
      assertEquals(res.status, 200);
      await res.arrayBuffer();
    }
    // Counts reach the store every 5 s on their own: the signal comes well before that.
    server.child.kill("SIGTERM");
    assertEquals(await exitCodeWithin(server.child, 15_000), 0);
    server = undefined;
    const kv = await Deno.openKv(kvPath);
    try {
      const count = await kv.get<Deno.KvU64>(
        keys.downloads("alice", "example.com/counted", "v1.0.0"),
      );
      assertEquals(count.value?.value, 3n);
    } finally {
      kv.close();
    }
  } finally {
    await cleanUp(server, dir);
  }
});

Deno.test("deno serve serve.ts writes the download counts on SIGTERM too", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "-A", "--port", String(port), "--host", "127.0.0.1", SERVE_TS],
    env: { MODYARD_KV: kvPath },
    stdout: "null",
    stderr: "null",
  }).spawn();
  let running = true;
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUntilHealthy(url);
    await publish(
      url,
      auth,
      await moduleZip("example.com/served", "v1.0.0", { "go.mod": "module example.com/served\n" }),
    );
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/api/packages/alice/go/example.com/served/@v/v1.0.0.zip`);
      assertEquals(res.status, 200);
      await res.arrayBuffer();
    }
    child.kill("SIGTERM");
    assertEquals(await exitCodeWithin(child, 15_000), 0);
    running = false;
    const kv = await Deno.openKv(kvPath);
    try {
      const count = await kv.get<Deno.KvU64>(
        keys.downloads("alice", "example.com/served", "v1.0.0"),
      );
      assertEquals(count.value?.value, 2n);
    } finally {
      kv.close();
    }
  } finally {
    if (running) {
      child.kill("SIGKILL");
      await child.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a download in flight at SIGTERM finishes with every byte within the grace", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath, ["--shutdown-grace", "10"]);
    const zip = await largeModuleZip("example.com/steady", "v1.0.0", 24 * MiB);
    await publish(server.url, auth, zip);
    const res = await fetch(`${server.url}/api/packages/alice/go/example.com/steady/@v/v1.0.0.zip`);
    assertEquals(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    server.child.kill("SIGTERM");
    let received = first.value?.length ?? 0;
    const parts = [first.value!];
    const started = Date.now();
    for (;;) { // about 2 s in all: slower than socket buffers could hide
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      parts.push(value);
      await sleep(received % (2 * MiB) < value.length ? 150 : 0);
    }
    assertOk(Date.now() - started > 1000, "the download ended too fast to overlap the shutdown");
    assertEquals(received, zip.length);
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const p of parts) bytes.set(p, (at += p.length) - p.length);
    assertEquals(await sha256Hex(bytes), await sha256Hex(zip));
    assertEquals(await exitCodeWithin(server.child, 15_000), 0);
    server = undefined;
  } finally {
    await cleanUp(server, dir);
  }
});

Deno.test("a download still streaming when the grace runs out is cut, and the process exits 0 promptly", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath, ["--shutdown-grace", "2"]);
    const zip = await largeModuleZip("example.com/stuck", "v1.0.0", 64 * MiB);
    await publish(server.url, auth, zip);
    const res = await fetch(`${server.url}/api/packages/alice/go/example.com/stuck/@v/v1.0.0.zip`);
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-length"), String(zip.length));
    const reader = res.body!.getReader();
    let received = (await reader.read()).value?.length ?? 0; // then the client stops reading
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    assertEquals(await exitCodeWithin(server.child, 1500), null, "exited before the grace ran out");
    const code = await exitCodeWithin(server.child, 3000);
    const exitedAfter = Date.now() - signalled;
    assertEquals(code, 0);
    assertOk(exitedAfter < 4000, `exited ${exitedAfter} ms after SIGTERM (grace 2 s)`);
    server = undefined;
    let cut = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    } catch {
      cut = true;
    }
    assertOk(cut || received < zip.length, `received all ${received} bytes`);
    assertOk(received < zip.length, `received all ${received} bytes`);
  } finally {
    await cleanUp(server, dir);
  }
});

Deno.test("a second SIGTERM 1.5 s after the first exits at once (143) while a slow upload is in flight", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath); // grace 30 s
    const zip = await largeModuleZip("example.com/slow", "v1.0.0", 8 * MiB);
    const body = pacedBody(zip, 256 * 1024, 50, 2 * MiB); // then stalls
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: body.stream,
      headers: { authorization: auth },
    }).then((r) => r.status, () => "failed");
    await body.reached(2 * MiB);
    server.child.kill("SIGTERM");
    assertEquals(await exitCodeWithin(server.child, 1500), null, "exited on the first SIGTERM");
    const second = Date.now();
    server.child.kill("SIGTERM");
    assertEquals(await exitCodeWithin(server.child, 1000), 143);
    assertOk(Date.now() - second < 1000);
    server = undefined;
    assertEquals(await upload, "failed");
  } finally {
    await cleanUp(server, dir);
  }
});

Deno.test("two SIGTERMs within 100 ms behave like one: the upload in flight still gets 201 and the exit is 0", async () => {
  const { dir, kvPath, auth } = await storeWithAlice();
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer(kvPath);
    const zip = await largeModuleZip("example.com/twice", "v1.0.0", 8 * MiB);
    const body = pacedBody(zip, 256 * 1024, 60); // about 2 s for the whole body
    const upload = fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: body.stream,
      headers: { authorization: auth },
    });
    upload.catch(() => {}); // awaited below
    await body.reached(MiB);
    server.child.kill("SIGTERM");
    await sleep(50);
    server.child.kill("SIGTERM");
    assertOk(body.sent() < zip.length, "the body was complete before the signals");
    const res = await upload;
    assertEquals(res.status, 201, await res.text());
    assertEquals(await exitCodeWithin(server.child, 15_000), 0);
    server = undefined;
  } finally {
    await cleanUp(server, dir);
  }
});
