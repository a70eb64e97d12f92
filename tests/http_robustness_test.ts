// Whatever arrives over HTTP — odd paths, methods, headers, bodies — the answer is a
// 4xx with a reason, never a 5xx. Seeded; the seed is printed on failure.
import { assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

Deno.test("random requests to every route never produce a 5xx", async () => {
  const server = await startTestServer();
  try {
    const admin = await server.user("root", { admin: true });
    const alice = await server.user("alice");
    const res0 = await server.upload(
      "alice",
      await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" }),
      alice,
    );
    await res0.body?.cancel();
    const seed = Number(Deno.env.get("MODYARD_FUZZ_SEED") ?? Date.now() % 1e9);
    let state = seed;
    const rand = () => (state = (state * 48271) % 2147483647) / 2147483647;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const pieces = [
      "alice",
      "root",
      "nobody",
      "Alice",
      "..",
      ".",
      "%2e%2e",
      "%2F",
      "%ZZ",
      "%00",
      "@v",
      "@latest",
      "list",
      "v1.0.0.info",
      "v1.0.0.mod",
      "v1.0.0.zip",
      "latest.zip",
      "v1.0.0",
      "example.com",
      "m",
      "!m",
      "!!",
      "~",
      "x".repeat(300),
      "é",
      "\u{1F600}",
      "go",
      "upload",
      "sumdb",
      "api",
      "packages",
      "v1",
      "admin",
      "users",
      "orgs",
      "members",
      "owners",
      "user",
      "tokens",
      "audit",
      "",
      "v2.0.0+incompatible",
      "v1.0.0-%21r%21c",
    ];
    const methods = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"];
    const auths = [
      undefined,
      admin,
      alice,
      "Basic !!!",
      "Basic " + btoa("a:b"),
      "Bearer",
      "Bearer myd_x",
      "token ",
      "Digest abc",
      "Basic " + btoa("\u00ff:"),
      "Basic " + btoa(":"),
    ];
    const bodies = [
      undefined,
      "",
      "{",
      "[]",
      "null",
      '{"name":1}',
      '{"name":"zed","admin":"yes"}',
      "PK\u0003\u0004",
    ];
    const prefixes = [
      "/api/packages/",
      "/api/v1/packages/",
      "/api/v1/admin/",
      "/api/v1/user/",
      "/",
      "/api/packages/alice/go/",
    ];
    for (let i = 0; i < 1500; i++) {
      const segments = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(pieces));
      const path = pick(prefixes) + segments.join("/");
      const method = pick(methods);
      const auth = pick(auths);
      const body = method === "GET" || method === "HEAD" ? undefined : pick(bodies);
      let res: Response;
      try {
        res = await fetch(`${server.url}${path}`, {
          method,
          body,
          headers: auth ? { authorization: auth, "content-type": "application/json" } : {},
        });
      } catch {
        continue; // a URL fetch itself refuses to send
      }
      const text = await res.text();
      assertOk(
        res.status < 500,
        `seed ${seed}, request ${i}: ${method} ${path} (${auth}) → ${res.status} ${text}`,
      );
    }
  } finally {
    await server.close();
  }
});
