// Managing accounts over HTTP (for deployments without a shell), bootstrapped with
// MODYARD_ADMIN_TOKEN, which works only until the first admin exists and is never stored.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const BOOTSTRAP = "bootstrap-secret-0123456789";

Deno.test("bootstrap token creates the first admin, then stops working; admins manage users, orgs, members, owners; users manage their tokens", async () => {
  const server = await startTestServer({ bootstrapToken: BOOTSTRAP });
  const api = (path: string, method: string, auth?: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const call = async (path: string, method: string, auth?: string, body?: unknown) => {
    const res = await api(path, method, auth, body);
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const boot = `Bearer ${BOOTSTRAP}`;
  try {
    assertEquals((await call("/admin/users", "POST", boot, { name: "notadmin" })).status, 403);
    const created = await call("/admin/users", "POST", boot, {
      name: "root",
      admin: true,
      password: "root-password-1",
    });
    assertEquals([created.status, created.json.name, created.json.admin], [201, "root", true]);
    // Once an admin exists the bootstrap token is ignored: invalid credentials everywhere.
    assertEquals(
      (await call("/admin/users", "POST", boot, { name: "root2", admin: true })).status,
      401,
    );
    assertEquals((await call("/admin/users", "GET", boot)).status, 401);

    const rootPw = basic("root", "root-password-1");
    const made = await call("/user/tokens", "POST", rootPw, {
      scope: "write",
      label: "automation",
    });
    assertEquals(made.status, 201);
    assertOk(made.json.token.startsWith("myd_"));
    const root = `Bearer ${made.json.token}`;

    assertEquals(
      (await call("/admin/users", "POST", root, { name: "alice", password: "alice-password-1" }))
        .status,
      201,
    );
    assertEquals((await call("/admin/users", "POST", root, { name: "bob" })).status, 201);
    assertEquals((await call("/admin/users", "POST", root, { name: "alice" })).status, 409);
    assertEquals((await call("/admin/users", "POST", root, { name: "Bad Name" })).status, 400);
    assertEquals(
      (await call("/admin/orgs", "POST", root, {
        name: "team",
        owner: "alice",
        visibility: "private",
      })).status,
      201,
    );
    assertEquals(
      (await call("/admin/orgs/team/members/bob", "PUT", root, { role: "write" })).status,
      204,
    );
    assertEquals(
      (await call("/admin/orgs/team/members/bob", "PUT", root, { role: "boss" })).status,
      400,
    );

    // bob (a write member) publishes to the private org with a token he made himself.
    const bobToken = await call("/user/tokens", "POST", `Bearer ${made.json.token}`, {});
    assertEquals(bobToken.json.scope, "read"); // root's own token, default scope read
    const bobAdmin = await call("/admin/users", "GET", root);
    assertEquals(bobAdmin.json.map((u: { name: string }) => u.name), [
      "alice",
      "bob",
      "root",
      "team",
    ]);
    const bobPw = await call("/admin/users", "POST", root, {
      name: "carol",
      password: "carol-password-1",
    });
    assertEquals(bobPw.status, 201);
    const carolToken = await call("/user/tokens", "POST", basic("carol", "carol-password-1"), {
      scope: "write",
    });
    assertEquals(
      (await call("/admin/orgs/team/members/carol", "PUT", root, { role: "write" })).status,
      204,
    );
    const up = await server.upload(
      "team",
      await moduleZip("example.com/t", "v1.0.0", { "go.mod": "module example.com/t\n" }),
      `Bearer ${carolToken.json.token}`,
    );
    assertEquals(up.status, 201);
    await up.body?.cancel();
    assertEquals((await call("/admin/orgs/team/members/carol", "DELETE", root)).status, 204);
    const after = await server.upload(
      "team",
      await moduleZip("example.com/t", "v1.0.1", { "go.mod": "module example.com/t\n" }),
      `Bearer ${carolToken.json.token}`,
    );
    assertEquals(after.status, 403);
    await after.body?.cancel();

    // Owners: visibility and quota; non-admins may not.
    const patched = await call("/admin/owners/alice", "PATCH", root, {
      visibility: "private",
      quota: 1000,
    });
    assertEquals(patched.status, 200);
    // Public → private: the answer warns that shared caches may keep public answers.
    assertEquals(patched.json.warnings.length, 1);
    assertIncludes(patched.json.warnings[0], "shared caches");
    assertEquals(
      (await call("/admin/owners/alice", "PATCH", `Bearer ${carolToken.json.token}`, {
        visibility: "public",
      })).status,
      403,
    );
    assertEquals((await fetch(`${server.proxy("alice")}/example.com/x/@v/list`)).status, 401);

    // Tokens: list and revoke one's own; a revoked token stops working.
    const mine = await call("/user/tokens", "GET", `Bearer ${carolToken.json.token}`);
    assertEquals(mine.json.map((t: { id: string }) => t.id), [carolToken.json.id]);
    assertEquals(
      (await call(
        `/user/tokens/${carolToken.json.id}`,
        "DELETE",
        `Bearer ${carolToken.json.token}`,
      )).status,
      204,
    );
    assertEquals(
      (await call("/user/tokens", "GET", `Bearer ${carolToken.json.token}`)).status,
      401,
    );

    // Deleting a user keeps the name reserved.
    assertEquals((await call("/admin/users/bob", "DELETE", root)).status, 204);
    const again = await call("/admin/users", "POST", root, { name: "bob" });
    assertEquals(again.status, 409);
    assertIncludes(again.json.message, "is reserved");

    // Over-long names never reach a KV key (at most 2 KiB): 404, not 500.
    const long = "x".repeat(3000);
    for (
      const [path, method, body] of [
        [`/admin/orgs/team/members/${long}`, "PUT", { role: "read" }],
        [`/admin/orgs/${long}/members/alice`, "DELETE", undefined],
        [`/admin/users/${long}`, "DELETE", undefined],
        [`/admin/owners/${long}`, "PATCH", { visibility: "public" }],
        [`/user/tokens/${long}`, "DELETE", undefined],
      ] as const
    ) {
      assertEquals(
        (await call(path, method, root, body)).status,
        404,
        `${method} ${path.slice(0, 40)}`,
      );
    }

    // The bootstrap token was never written to the store.
    for await (const e of server.kv.list({ prefix: [] })) {
      assertEquals(
        JSON.stringify(e.value, (_, v) => typeof v === "bigint" ? String(v) : v).includes(
          BOOTSTRAP,
        ),
        false,
      );
    }
  } finally {
    await server.close();
  }
});
