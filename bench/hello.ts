// The baseline of the benchmarks: a bare Deno.serve hello-world.
const port = Number(Deno.args[0] ?? "8001");
Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, () => new Response("hello\n"));
