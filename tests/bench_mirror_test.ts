/**
 * The benchmark's bare copy of an answer (bench/bare_server.ts mode `mirror`) sends the same
 * bytes and headers as the server it copied: otherwise the checksum-log figures, which divide
 * modyard's CPU per answer by its copy's, would compare different work.
 */

import { assertEquals } from "./helpers/assert.ts";
import { bareHandler, RUNTIME_HEADERS } from "../bench/bare_server.ts";

const NOTE = "go.sum database tree\n3\nAAAA=\n\n\u2014 example.test/alice c2ln\n";
const HEADERS: [string, string][] = [
  ["cache-control", "no-cache"],
  ["content-type", "text/plain; charset=UTF-8"],
  ["x-content-type-options", "nosniff"],
];
const TILE = new Uint8Array(8192).map((_, i) => (i * 7) & 0xff);

/** A server answering `/note` and `/tile` as modyard answers a lookup and a tile. */
function original(): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/note") return new Response(NOTE, { headers: HEADERS });
    if (path === "/tile") {
      return new Response(TILE, {
        headers: [["content-type", "application/octet-stream"], ["etag", '"t-1"']],
      });
    }
    return new Response("gone\n", { status: 410 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** Headers the runtime did not write itself, in order. */
function ownHeaders(res: Response): [string, string][] {
  return [...res.headers].filter(([k]) => !RUNTIME_HEADERS.has(k));
}

Deno.test("a bare copy sends the copied answer's bytes and headers, again and again", async () => {
  const o = original();
  try {
    const handler = await bareHandler("mirror", { n: `${o.url}/note`, t: `${o.url}/tile` });
    for (let i = 0; i < 2; i++) {
      const note = await handler(new Request("http://copy/n"));
      assertEquals(note.status, 200);
      assertEquals(ownHeaders(note), HEADERS);
      assertEquals(await note.bytes(), new TextEncoder().encode(NOTE));
      const tile = await handler(new Request("http://copy/t"));
      assertEquals(ownHeaders(tile), [
        ["content-type", "application/octet-stream"],
        ["etag", '"t-1"'],
      ]);
      assertEquals(await tile.bytes(), TILE);
    }
  } finally {
    await o.close();
  }
});

Deno.test("a bare copy reads the request's credentials and validator as modyard does", async () => {
  const o = original();
  try {
    const handler = await bareHandler("mirror", { n: `${o.url}/note` });
    const auth = await handler(new Request("http://copy/n", { headers: { authorization: "x" } }));
    assertEquals([auth.status, await auth.text()], [401, "private\n"]);
    const cached = await handler(
      new Request("http://copy/n", { headers: { "if-none-match": "*" } }),
    );
    assertEquals(cached.status, 304);
    const other = await handler(new Request("http://copy/other"));
    assertEquals([other.status, await other.text()], [404, "not found"]);
  } finally {
    await o.close();
  }
});

Deno.test("a bare copy refuses to start from an answer that is not a 200", async () => {
  const o = original();
  try {
    let message = "";
    await bareHandler("mirror", { g: `${o.url}/gone` }).catch((e) => message = e.message);
    assertEquals(message, `mirror ${o.url}/gone: status 410, not 200`);
  } finally {
    await o.close();
  }
});
