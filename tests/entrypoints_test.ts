// The ways modyard starts: `deno serve serve.ts` (as Deno Deploy runs it), and main.ts's
// command line (which never starts a listener without the serve command).
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { basic, freePort, MAIN_TS, runCli, waitUntilHealthy } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";
import { outputWithin } from "./helpers/go.ts";

const SERVE_TS = new URL("../serve.ts", import.meta.url).pathname;

Deno.test("deno serve serve.ts serves the same app, with the store from MODYARD_KV", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  await runCli(kvPath, ["user", "create", "alice"]);
  const token = (await runCli(kvPath, ["token", "create", "alice", "--scope", "write"])).stdout
    .trim();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["serve", "-A", "--port", String(port), "--host", "127.0.0.1", SERVE_TS],
    env: { MODYARD_KV: kvPath },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url);
    const zip = await moduleZip("example.com/served", "v1.0.0", {
      "go.mod": "module example.com/served\n",
    });
    const up = await fetch(`${url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { authorization: basic("alice", token) },
    });
    assertEquals(up.status, 201);
    await up.body?.cancel();
    const list = await fetch(`${url}/api/packages/alice/go/example.com/served/@v/list`);
    assertEquals(await list.text(), "v1.0.0\n");
  } finally {
    child.kill();
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts without a command prints its usage and exits 2 instead of listening", async () => {
  const out = await outputWithin(
    Deno.execPath(),
    {
      args: ["run", "-A", MAIN_TS],
      stdout: "piped",
      stderr: "piped",
    },
    60_000,
    "main.ts without a command",
  );
  assertEquals(out.code, 2);
  assertIncludes(new TextDecoder().decode(out.stderr), "usage: main.ts COMMAND");
});

Deno.test("the CLI refuses bad input with a reason and exit codes 1 or 2, never a stack trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kvPath = `${dir}/modyard.kv`;
    const cases: [string[], number, string][] = [
      [["user", "create", "Bad Name"], 1, "must be 1-64 characters"],
      [["token", "create", "ghost"], 1, 'no user "ghost"'],
      [["token", "create", "ghost", "--scope", "admin"], 2, "--scope must be read or write"],
      [["frobnicate"], 2, "unknown command"],
      [["user", "create", "admin"], 1, "is reserved"],
    ];
    for (const [args, code, reason] of cases) {
      const out = await runCli(kvPath, args);
      assertEquals(out.code, code, `${args.join(" ")}: ${out.stderr}`);
      assertIncludes(out.stderr, reason);
      assertEquals(out.stderr.includes("    at "), false, "stack trace printed");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a store with an unknown layout version is refused at startup with a clear message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kvPath = `${dir}/modyard.kv`;
    const kv = await Deno.openKv(kvPath);
    await kv.set(["meta", "schema"], 99);
    kv.close();
    const out = await runCli(kvPath, ["serve", "--port", "0"]);
    assertEquals(out.code, 1);
    assertIncludes(out.stderr, "has layout version 99; this modyard reads version 1");
    assertEquals(out.stderr.includes("    at "), false, "stack trace printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the start task's permissions refuse a store elsewhere with a one-line reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await outputWithin(
      Deno.execPath(),
      {
        args: [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read=./data",
          "--allow-write=./data",
          MAIN_TS,
          "serve",
          "--kv",
          `${dir}/elsewhere.kv`,
        ],
        stdout: "piped",
        stderr: "piped",
      },
      60_000,
      "main.ts serve with the start task's permissions",
    );
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1);
    assertIncludes(stderr, `Cannot open the KV store at "${dir}/elsewhere.kv": no permission.`);
    assertEquals(stderr.includes("    at "), false, "stack trace printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
