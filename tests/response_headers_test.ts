// Headers every client and shared cache depends on: nosniff on every answer; answers of private
// owners marked private and varying by Authorization (mutable ones included); pagination links
// that never carry the request's Host; a local store readable by its owner only.
import { createToken, createUser } from "../src/registry/accounts.ts";
import { openStore } from "../src/store/open_store.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/m";

async function publish(
  server: Awaited<ReturnType<typeof startTestServer>>,
  owner: string,
  auth: string,
) {
  for (const v of ["v1.0.0", "v1.1.0"]) {
    const res = await server.upload(
      owner,
      await moduleZip(MOD, v, { "go.mod": `module ${MOD}\n` }),
      auth,
    );
    assertEquals(res.status, 201);
    await res.body?.cancel();
  }
}

Deno.test("every answer carries X-Content-Type-Options: nosniff (200, 201, 304-free 404, 401, 405, zip)", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const up = await server.upload(
      "alice",
      await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }),
      auth,
    );
    assertEquals(up.headers.get("x-content-type-options"), "nosniff");
    await up.body?.cancel();
    const proxy = server.proxy("alice");
    for (
      const [url, init, status] of [
        [`${proxy}/${MOD}/@v/list`, {}, 200],
        [`${proxy}/${MOD}/@v/list`, {}, 200], // from the reply cache
        [`${proxy}/${MOD}/@v/v1.0.0.zip`, {}, 200],
        [`${proxy}/${MOD}/@v/v9.0.0.info`, {}, 404],
        [`${server.url}/nowhere`, {}, 404],
        [`${server.url}/api/v1/admin/users`, {}, 401],
        [`${proxy}/upload`, { method: "POST" }, 405],
        [`${server.url}/healthz`, {}, 200],
      ] as const
    ) {
      const res = await fetch(url, init);
      assertEquals(res.status, status, url);
      assertEquals(res.headers.get("x-content-type-options"), "nosniff", url);
      await res.body?.cancel();
    }
  } finally {
    await server.close();
  }
});

Deno.test("answers about a private owner's modules are private and vary by Authorization; public ones are not", async () => {
  const server = await startTestServer();
  try {
    const priv = await server.user("secret", { private: true });
    const pub = await server.user("open");
    await publish(server, "secret", priv);
    await publish(server, "open", pub);
    const paths = [
      `/api/packages/{o}/go/${MOD}/@v/list`,
      `/api/packages/{o}/go/${MOD}/@latest`,
      `/api/packages/{o}/go/${MOD}/@v/latest.info`,
      `/api/packages/{o}/go/${MOD}/@v/v1.0.0.info`,
      `/api/v1/packages/{o}?type=go`,
      `/api/v1/packages/{o}/go/${encodeURIComponent(MOD)}`,
      `/api/v1/packages/{o}/go/${encodeURIComponent(MOD)}/v1.0.0`,
    ];
    for (const path of paths) {
      for (const [owner, auth] of [["secret", priv], ["open", pub]]) {
        // Twice: the second answer comes from the reply cache where the route is cached.
        for (const round of [1, 2]) {
          const url = server.url + path.replace("{o}", owner);
          const res = await fetch(url, { headers: { authorization: auth } });
          assertEquals(res.status, 200, url);
          await res.body?.cancel();
          const cc = res.headers.get("cache-control") ?? "";
          const label = `${url} (round ${round}): ${cc}`;
          if (owner === "secret") {
            assertOk(cc.startsWith("private"), label);
            assertOk(/authorization/i.test(res.headers.get("vary") ?? ""), label);
          } else {
            assertOk(!cc.includes("private"), label);
            assertOk(cc !== "", label);
          }
        }
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("pagination links never take the request's Host; --base-url makes them absolute", async () => {
  for (const baseUrl of [undefined, "https://registry.example.org/"]) {
    const server = await startTestServer({ baseUrl });
    try {
      const auth = await server.user("alice");
      for (const m of ["example.com/a", "example.com/b", "example.com/c"]) {
        const res = await server.upload(
          "alice",
          await moduleZip(m, "v1.0.0", { "go.mod": `module ${m}\n` }),
          auth,
        );
        assertEquals(res.status, 201);
        await res.body?.cancel();
      }
      const res = await fetch(`${server.url}/api/v1/packages/alice?type=go&page=1&limit=1`, {
        headers: { host: "evil.example" },
      });
      assertEquals(res.status, 200);
      await res.body?.cancel();
      const link = res.headers.get("link") ?? "";
      assertOk(!link.includes("evil.example"), link);
      const next = /<([^>]*)>; rel="next"/.exec(link)?.[1];
      assertEquals(
        next,
        `${
          baseUrl ? "https://registry.example.org" : ""
        }/api/v1/packages/alice?type=go&page=2&limit=1`,
      );
    } finally {
      await server.close();
    }
  }
});

Deno.test({
  name:
    "a new local store: directory 0700, database, WAL and shared-memory files 0600, before any data is written",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    const umask = Deno.umask(0o022); // the usual umask, which would give 0755 and 0644
    try {
      const path = `${dir}/store/modyard.kv`;
      const kv = await openStore(path);
      await createUser(kv, "alice");
      await createToken(kv, "alice");
      await kv.set(["blob", "x", "zip", 0], new Uint8Array(60_000));
      const mode = async (p: string) => ((await Deno.stat(p)).mode! & 0o777).toString(8);
      assertEquals(await mode(`${dir}/store`), "700");
      for (const p of [path, `${path}-wal`, `${path}-shm`]) assertEquals(await mode(p), "600", p);
      kv.close();
      // An existing store left readable by others is narrowed when it is opened.
      await Deno.chmod(path, 0o644);
      (await openStore(path)).close();
      assertEquals(await mode(path), "600");
    } finally {
      Deno.umask(umask);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
