// Structured logs: JSON lines that parse and never carry credentials, level filtering, the
// bounded batching writer, and a spawned `main.ts serve --log-format json`.

import { basic, freePort, serveArgs, startTestServer, waitUntilHealthy } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { Logger } from "../src/ops/log.ts";
import { LineBuffer } from "../src/ops/line_buffer.ts";
import { setPassword } from "../src/registry/accounts.ts";

/** A logger writing into memory. */
function memoryLogger(
  options: { format: "text" | "json"; level: "debug" | "info" | "warn" | "error" },
) {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const logger = new Logger({
    ...options,
    sink: (bytes) => {
      chunks.push(decoder.decode(bytes));
      return Promise.resolve();
    },
  });
  return { logger, text: () => chunks.join("") };
}

const MOD = "example.com/logs";

Deno.test("JSON request lines parse, name the user, and carry no Authorization value, token or password", async () => {
  const { logger, text } = memoryLogger({ format: "json", level: "debug" });
  const server = await startTestServer({ logger });
  try {
    const auth = await server.user("alice");
    const token = atob(auth.slice("Basic ".length)).split(":")[1];
    const password = "correct horse battery staple 42";
    await setPassword(server.kv, "alice", password);
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals((await server.upload("alice", zip, auth)).status, 201);
    const proxy = `${server.url}/api/packages/alice/go/${MOD}`;
    const sent = [
      auth,
      basic("alice", password),
      `Bearer ${token}`,
      `token ${token}`,
      basic("alice", "wrong-password-xyz"),
      `Bearer myd_${"f".repeat(40)}`,
      auth, // the same credentials again: answered from the reply cache
    ];
    for (const authorization of sent) {
      const res = await fetch(`${proxy}/@v/list`, { headers: { authorization } });
      await res.body?.cancel();
    }
    await server.app.close();
    const out = text();
    for (const secret of [token, password, "wrong-password-xyz", "f".repeat(40), ...sent]) {
      assertOk(!out.includes(secret), `the log holds ${JSON.stringify(secret)}`);
    }
    assertOk(!/basic |bearer |authorization/i.test(out), out);
    const lines = out.trimEnd().split("\n").map((l) => JSON.parse(l));
    const requests = lines.filter((l) => l.msg === "request");
    assertEquals(requests.length, 1 + sent.length);
    assertEquals(
      requests.map((l) => [l.method, l.route, l.owner, l.status, l.user]),
      [
        ["PUT", "upload", "alice", 201, "alice"],
        ["GET", "goproxy_list", "alice", 200, "alice"],
        ["GET", "goproxy_list", "alice", 200, "alice"],
        ["GET", "goproxy_list", "alice", 200, "alice"],
        ["GET", "goproxy_list", "alice", 200, "alice"],
        ["GET", "goproxy_list", "alice", 401, ""],
        ["GET", "goproxy_list", "alice", 401, ""],
        ["GET", "goproxy_list", "alice", 200, "alice"],
      ],
    );
    for (const l of requests) {
      assertOk(typeof l.time === "string" && !Number.isNaN(Date.parse(l.time)), l.time);
      assertOk(typeof l.duration_ms === "number" && l.duration_ms >= 0);
      assertOk(typeof l.bytes === "number");
    }
    assertEquals(requests[1].bytes, "v1.0.0\n".length);
    assertEquals(requests[7].bytes, "v1.0.0\n".length);
    assertEquals(requests[5].level, "warn");
    assertEquals(requests[5].reason, "invalid credentials");
  } finally {
    await server.close();
  }
});

Deno.test("--log-level warn drops request lines and keeps refusals with their reason", async () => {
  const { logger, text } = memoryLogger({ format: "text", level: "warn" });
  const server = await startTestServer({ logger });
  try {
    for (const path of ["/healthz", "/no/such/path", "/api/packages/nobody/go/m/@v/list"]) {
      const res = await fetch(server.url + path);
      await res.body?.cancel();
    }
    let res = await fetch(`${server.url}/healthz`, { method: "DELETE" });
    await res.body?.cancel();
    res = await fetch(`${server.url}/api/packages/alice/go/upload`, { method: "PUT", body: "x" });
    await res.body?.cancel();
    await logger.flush();
    const lines = text().trimEnd().split("\n");
    assertEquals(lines.length, 2, text());
    assertIncludes(lines[0], ` WARN DELETE healthz owner=- status=405 `);
    assertIncludes(lines[0], `reason="method DELETE not allowed here"`);
    assertIncludes(lines[1], ` WARN PUT upload owner=alice status=401 `);
    assertIncludes(lines[1], `reason="authentication required to publish"`);
  } finally {
    await server.close();
  }
});

Deno.test("a text line quotes what clients control, so a path cannot forge a line", async () => {
  const { logger, text } = memoryLogger({ format: "text", level: "info" });
  const server = await startTestServer({ logger });
  try {
    const res = await fetch(`${server.url}/api/packages/ev%0Ail%20x/go/m/@v/list`);
    await res.body?.cancel();
    await logger.flush();
    const lines = text().trimEnd().split("\n");
    assertEquals(lines.length, 1, text());
    assertIncludes(lines[0], `owner="ev\\nil x" status=404`);
  } finally {
    await server.close();
  }
});

Deno.test("the line buffer batches writes and drops (counting) beyond its bound while the sink is stuck", async () => {
  const writes: number[] = [];
  let release: () => void = () => {};
  const stuck = new Promise<void>((r) => release = r);
  const buffer = new LineBuffer((bytes) => {
    writes.push(bytes.length);
    return writes.length === 1 ? stuck : Promise.resolve();
  }, { intervalMs: 10, flushBytes: 1000, maxBytes: 2000 });
  const line = "x".repeat(99) + "\n";
  for (let i = 0; i < 10; i++) buffer.push(line); // 1,000 bytes: one write starts at once
  assertEquals(writes, [1000]);
  for (let i = 0; i < 30; i++) buffer.push(line); // 20 fit while the first write hangs
  assertEquals(buffer.dropped, 10);
  release();
  await buffer.flush();
  assertEquals(writes, [1000, 2000]);
  buffer.push(line);
  await new Promise((r) => setTimeout(r, 50)); // written by the timer
  assertEquals(writes, [1000, 2000, 100]);
  await buffer.flush();
});

Deno.test("main.ts serve --log-format json writes only parseable JSON lines to standard output", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: serveArgs(`${dir}/s.kv`, port, [], ["--log-format", "json"]),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url);
    let res = await fetch(`${url}/readyz`);
    await res.body?.cancel();
    for (const path of ["/api/packages/nobody/go/m/@v/list", "/metrics"]) {
      res = await fetch(url + path, { headers: { authorization: "Bearer secret-token-abcdef" } });
      await res.body?.cancel();
    }
  } finally {
    child.kill("SIGTERM");
  }
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  await Deno.remove(dir, { recursive: true });
  assertEquals(status.code, 0, stderr);
  assertOk(!stdout.includes("secret-token-abcdef"));
  const lines = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assertOk(lines.every((l) => typeof l.time === "string" && typeof l.level === "string"));
  assertEquals(lines[0].msg, `modyard listening on http://127.0.0.1:${port}/`);
  const requests = lines.filter((l) => l.msg === "request").map((l) => [l.route, l.status]);
  assertOk(requests.some(([route, s]) => route === "healthz" && s === 200), stdout);
  assertEquals(requests.filter(([route]) => route !== "healthz"), [
    ["readyz", 200],
    ["goproxy_list", 401],
    ["metrics", 200], // loopback without forwarding headers: open, whatever the credentials
  ]);
  assertOk(lines.some((l) => String(l.msg).includes("SIGTERM: shutting down")), stdout);
});
