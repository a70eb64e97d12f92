/**
 * The upload baseline: a bare `Deno.serve` that reads a request body and discards it,
 * answering 201 with the byte count (200 to a GET, so it can be polled until it listens). `deno run --allow-net bench/discard.ts PORT`.
 *
 * @module
 */

const port = Number(Deno.args[0] ?? 8001);
Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (req) => {
  let bytes = 0;
  if (req.body) { for await (const chunk of req.body) bytes += chunk.byteLength; }
  return new Response(String(bytes), { status: req.method === "GET" ? 200 : 201 });
});
