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

Deno.test("request lines have one layout in text and JSON, reasons and names quoted", async () => {
  const at = Date.UTC(2026, 10, 26, 12, 30, 15, 250);
  const out: Record<string, string> = {};
  for (const format of ["text", "json"] as const) {
    const chunks: string[] = [];
    const logger = new Logger({
      format,
      now: () => at,
      sink: (bytes) => {
        chunks.push(new TextDecoder().decode(bytes));
        return Promise.resolve();
      },
    });
    logger.request({
      method: "GET",
      route: "goproxy_info",
      owner: "alice",
      status: 200,
      ms: 0.0123456,
      bytes: 54,
      user: "",
      reason: "",
    });
    logger.request({
      method: "PUT",
      route: "upload",
      owner: "ev il",
      status: 409,
      ms: 12,
      bytes: 80,
      user: "bob",
      reason: 'version "v1.0.0" exists — 409',
    });
    await logger.flush();
    out[format] = chunks.join("");
  }
  assertEquals(
    out.text,
    "2026-11-26T12:30:15.250Z INFO GET goproxy_info owner=alice status=200 ms=0.012 bytes=54 user=-\n" +
      '2026-11-26T12:30:15.250Z WARN PUT upload owner="ev il" status=409 ms=12 bytes=80 user=bob ' +
      'reason="version \\"v1.0.0\\" exists — 409"\n',
  );
  assertEquals(
    out.json,
    '{"time":"2026-11-26T12:30:15.250Z","level":"info","msg":"request","method":"GET",' +
      '"route":"goproxy_info","owner":"alice","status":200,"duration_ms":0.012,"bytes":54,"user":""}\n' +
      '{"time":"2026-11-26T12:30:15.250Z","level":"warn","msg":"request","method":"PUT",' +
      '"route":"upload","owner":"ev il","status":409,"duration_ms":12,"bytes":80,"user":"bob",' +
      '"reason":"version \\"v1.0.0\\" exists — 409"}\n',
  );
});

Deno.test("answers from the reply cache are logged like the answers they repeat: 200, 304, 404", async () => {
  const { logger, text } = memoryLogger({ format: "text", level: "info" });
  const server = await startTestServer({ logger });
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    assertEquals((await server.upload("alice", zip, auth)).status, 201);
    const proxy = `${server.url}/api/packages/alice/go/${MOD}/@v`;
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${proxy}/${path}`, { headers });
      const body = await res.text();
      return { status: res.status, body, etag: res.headers.get("etag") ?? "" };
    };
    const first = await get("v1.0.0.info"); // made, then kept
    const again = await get("v1.0.0.info"); // from the cache
    assertEquals([first.status, again.body], [200, first.body]);
    assertEquals((await get("v1.0.0.info", { "if-none-match": first.etag })).status, 304);
    assertEquals((await get("v9.9.9.info")).status, 404);
    assertEquals((await get("v9.9.9.info")).status, 404);
    await logger.flush();
    // Time and duration vary; everything else must be the same whether cached or not.
    const lines = text().trimEnd().split("\n").slice(1).map((l) =>
      l.replace(/^\S+ /, "").replace(/ ms=[\d.e-]+ /, " ")
    );
    const bytes = new TextEncoder().encode(first.body).byteLength;
    const info = `INFO GET goproxy_info owner=alice status=200 bytes=${bytes} user=-`;
    assertEquals(lines.slice(0, 3), [
      info,
      info,
      "INFO GET goproxy_info owner=alice status=304 bytes=0 user=-",
    ]);
    assertEquals(lines.length, 5, text());
    assertEquals(lines[3], lines[4]);
    assertIncludes(lines[4], "INFO GET goproxy_info owner=alice status=404 bytes=");
    assertIncludes(lines[4], ' reason="');
  } finally {
    await server.close();
  }
});

Deno.test("the line buffer writes UTF-8 lines byte for byte across chunk boundaries", async () => {
  const written: Uint8Array[] = [];
  const buffer = new LineBuffer((bytes) => {
    written.push(bytes.slice());
    return Promise.resolve();
  }, { intervalMs: 5, flushBytes: 64, maxBytes: 1 << 20 });
  const lines = [
    "a".repeat(50) + "\n", // leaves 13 bytes of the 64-byte chunk…
    "éééééééé\n", // …for 9 UTF-16 units that take 17 bytes
    "plain ascii\n",
    "é and ü\n",
    "emoji 🚀 pair\n",
    "lone \ud800 surrogate\n",
    "x".repeat(200) + "\n", // longer than a chunk
    "ascii then ö".repeat(9) + "\n", // non-ASCII past the start, crossing a chunk
    "tail\n",
  ];
  const expected: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const line of lines) {
      buffer.push(line);
      expected.push(line);
    }
  }
  await buffer.flush();
  const all = new Uint8Array(written.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of written) {
    all.set(b, at);
    at += b.byteLength;
  }
  assertEquals(all, new TextEncoder().encode(expected.join("")));
  assertEquals(buffer.dropped, 0);
  assertOk(written.length > 1, "a 64-byte batch size writes in several pieces");
});

Deno.test("durations are written as String(Math.round(ms * 1000) / 1000) would write them", async () => {
  const values = [0, 0.0004, 0.0005, 0.001, 0.01, 0.012, 0.1, 0.12, 0.1234, 1, 1.5, 9.9995, 12];
  values.push(999.999, 1000, 1000.001, 123456.789, 2 ** 40 / 1000, 9e12, 1e15, 1e22);
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 48271) % 2147483647;
    values.push((seed / 2147483647) * 10 ** ((i % 9) - 2)); // 0.01 µs … 1,000,000 ms
  }
  const chunks: Uint8Array[] = [];
  const buffer = new LineBuffer((bytes) => {
    chunks.push(bytes.slice());
    return Promise.resolve();
  }, { flushBytes: 4096, maxBytes: 1 << 24 });
  for (const ms of values) {
    assertOk(buffer.beginLine(64));
    buffer.millis(ms);
    buffer.text("\n");
    buffer.endLine();
  }
  await buffer.flush();
  const written = chunks.map((c) => new TextDecoder().decode(c)).join("").split("\n");
  written.pop();
  assertEquals(written, values.map((ms) => String(Math.round(ms * 1000) / 1000)));
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

Deno.test("under steady load the line buffer writes once per interval, not whenever its last write ends", async () => {
  const written: string[] = [];
  const decoder = new TextDecoder();
  // A sink that takes a millisecond, like a pipe or a terminal: lines keep coming meanwhile.
  const buffer = new LineBuffer(async (bytes) => {
    written.push(decoder.decode(bytes));
    await new Promise((r) => setTimeout(r, 1));
  }, { intervalMs: 50, flushBytes: 1 << 20, maxBytes: 1 << 22 });
  const expected: string[] = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < 300; i++) {
    const line = `line ${i}\n`;
    buffer.push(line);
    expected.push(line);
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 1));
  }
  await buffer.flush();
  assertEquals(written.join(""), expected.join(""));
  // 300 ms at one write per 50 ms interval: 6 or 7 writes, and the flush's.
  assertOk(written.length <= 10, `${written.length} writes for ${expected.length} lines`);
});
