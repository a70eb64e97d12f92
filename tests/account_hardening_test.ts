// Credentials never outlive their owner or the token that made them; the bootstrap token
// creates exactly one admin and cannot be confused with a user; every account input has a
// range and is refused with 400 (or 413) and a reason, never 500.
import {
  createOrg,
  createToken,
  createUser,
  deleteOwner,
  restoreOwner,
  setMember,
} from "../src/registry/accounts.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const BOOTSTRAP = "bootstrap-token-of-the-test-suite";

async function call(
  url: string,
  path: string,
  method: string,
  auth?: string,
  body?: unknown,
): Promise<{ status: number; text: string; json: Record<string, unknown> | null }> {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, text, json };
}

Deno.test("deleting a user revokes its tokens and memberships: a restore brings neither back", async () => {
  const server = await startTestServer();
  try {
    const kv = server.kv;
    await createUser(kv, "alice");
    await createOrg(kv, "team", "alice");
    await createUser(kv, "carol");
    await setMember(kv, "team", "carol", "write");
    const { token } = await createToken(kv, "carol", { scope: "write" });
    const zip = (v: string) =>
      moduleZip("example.com/t", v, { "go.mod": "module example.com/t\n" });
    const before = await server.upload("team", await zip("v1.0.0"), `Bearer ${token}`);
    assertEquals(before.status, 201);
    await before.body?.cancel();

    await deleteOwner(kv, "carol");
    await restoreOwner(kv, "carol");
    // The app sees the change within its one-second staleness bound.
    await new Promise((r) => setTimeout(r, 1100));
    const after = await server.upload("team", await zip("v1.0.1"), `Bearer ${token}`);
    assertEquals(after.status, 401, "the old token must not come back with the name");
    await after.body?.cancel();
    assertEquals((await kv.get(["member", "team", "carol"])).value, null);
    let tokens = 0;
    for await (const _ of kv.list({ prefix: ["user_token", "carol"] })) tokens++;
    assertEquals(tokens, 0);
    // A new token of the restored user works, but it is no longer a member of the org.
    const fresh = await createToken(kv, "carol", { scope: "write" });
    await new Promise((r) => setTimeout(r, 1100));
    const asNonMember = await server.upload("team", await zip("v1.0.2"), `Bearer ${fresh.token}`);
    assertEquals(asNonMember.status, 403);
    await asNonMember.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("a token never mints a token that outlives it; a password may mint one without expiry", async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const day = await createToken(server.kv, "alice", {
      scope: "write",
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const dayEnd = Date.parse(day.record.expiresAt!);
    for (const requested of [undefined, 30, 0.5]) {
      const made = await call(
        server.url,
        "/user/tokens",
        "POST",
        `Bearer ${day.token}`,
        requested === undefined ? {} : { expires_in_days: requested },
      );
      assertEquals(made.status, 201, made.text);
      const expires = made.json!.expires_at as string;
      assertOk(typeof expires === "string", `expires_at must be set, got ${expires}`);
      assertOk(Date.parse(expires) <= dayEnd, `${expires} outlives the minting token`);
      if (requested === 0.5) assertOk(Date.parse(expires) < dayEnd - 3600_000);
    }
    const byPassword = await call(
      server.url,
      "/user/tokens",
      "POST",
      basic("alice", "correct horse battery"),
      {},
    );
    assertEquals(byPassword.status, 201);
    assertEquals(byPassword.json!.expires_at, null);
  } finally {
    await server.close();
  }
});

Deno.test("the bootstrap token acts under no user's name: a user called bootstrap gains nothing and keeps its tokens", async () => {
  const server = await startTestServer({ bootstrapToken: BOOTSTRAP });
  try {
    const kv = server.kv;
    await createUser(kv, "alice");
    await createOrg(kv, "team", "alice", { visibility: "private" });
    await createUser(kv, "bootstrap", { password: "bootstrap-password" });
    const own = await call(
      server.url,
      "/user/tokens",
      "GET",
      basic("bootstrap", "bootstrap-password"),
    );
    assertEquals(own.status, 200, own.text);
    const read = await fetch(`${server.proxy("team")}/example.com/t/@v/list`, {
      headers: { authorization: basic("bootstrap", "bootstrap-password") },
    });
    assertEquals(read.status, 403, "a user named bootstrap is no member of anything");
    await read.body?.cancel();
    const viaToken = await fetch(`${server.proxy("team")}/example.com/t/@v/list`, {
      headers: { authorization: `Bearer ${BOOTSTRAP}` },
    });
    assertEquals(viaToken.status, 403, "the bootstrap token reads no private owner");
    await viaToken.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("six racing bootstrap requests make exactly one admin; the token is spent for good, also after every admin is deleted", async () => {
  const server = await startTestServer({ bootstrapToken: BOOTSTRAP });
  try {
    const results = await Promise.all(
      Array.from(
        { length: 6 },
        (_, i) =>
          call(server.url, "/admin/users", "POST", `Bearer ${BOOTSTRAP}`, {
            name: `root${i}`,
            admin: true,
            password: "root-password-1",
          }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    assertEquals(created.length, 1, results.map((r) => `${r.status} ${r.text}`).join(" | "));
    for (const r of results) if (r.status !== 201) assertEquals(r.status, 401, r.text);
    let admins = 0;
    for await (const e of server.kv.list<{ admin: boolean }>({ prefix: ["user"] })) {
      if (e.value.admin) admins++;
    }
    assertEquals(admins, 1);

    await deleteOwner(server.kv, created[0].json!.name as string);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await call(server.url, "/admin/users", "POST", `Bearer ${BOOTSTRAP}`, {
      name: "root9",
      admin: true,
      password: "root-password-1",
    });
    assertEquals(again.status, 401, again.text);
  } finally {
    await server.close();
  }
});

Deno.test("account inputs have ranges: 400 or 413 with the reason, never 500", async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "root", { admin: true, password: "root-password-1" });
    const root = `Bearer ${(await createToken(server.kv, "root", { scope: "write" })).token}`;
    const cases: [string, string, unknown, number, string][] = [
      ["/admin/users", "POST", { name: "bob", password: "x" }, 400, "at least 8 characters"],
      ["/admin/users", "POST", { name: "bob", admin: "yes" }, 400, `"admin" must be`],
      ["/admin/users", "POST", { name: "bob", password: "p".repeat(1025) }, 400, "at most"],
      ["/admin/users", "POST", { name: "b".repeat(60_000) }, 400, "at most 256"],
      ["/user/tokens", "POST", { expires_in_days: 1e300 }, 400, "expires_in_days"],
      ["/user/tokens", "POST", { expires_in_days: -1 }, 400, "expires_in_days"],
      ["/user/tokens", "POST", { expires_in_days: "7" }, 400, "expires_in_days"],
      ["/user/tokens", "POST", { label: "l".repeat(60_000) }, 400, "label"],
      ["/user/tokens", "POST", { label: "l".repeat(201) }, 400, "at most 200"],
      ["/admin/owners/root", "PATCH", { quota: 1e300 }, 400, "quota"],
      ["/admin/owners/root", "PATCH", { quota: -5 }, 400, "quota"],
      ["/admin/orgs", "POST", { name: "o", owner: 7 }, 400, "owner"],
      ["/admin/users", "POST", "[1,2]", 400, "JSON object"],
      ["/admin/users", "POST", "{", 400, "JSON object"],
      [
        "/admin/users",
        "POST",
        JSON.stringify({ name: "x".repeat(70_000) + "y" }),
        413,
        "65536 bytes",
      ],
    ];
    for (const [path, method, body, status, reason] of cases) {
      const res = await call(server.url, path, method, root, body);
      const label = `${method} ${path} ${String(JSON.stringify(body)).slice(0, 60)}`;
      assertEquals(res.status, status, `${label}: ${res.text.slice(0, 200)}`);
      assertIncludes(String(res.json?.message), reason, label);
    }
    // The CLI's rule is the same rule: no user was created by the refused requests.
    assertEquals((await server.kv.get(["user", "bob"])).value, null);
  } finally {
    await server.close();
  }
});

Deno.test("an unauthenticated request with a large JSON body is refused before the body is read", async () => {
  const server = await startTestServer();
  try {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        if (pulled > 64 * 1024 * 1024) controller.close();
        else controller.enqueue(new Uint8Array(65_536).fill(0x20));
      },
    });
    const res = await fetch(`${server.url}/api/v1/admin/users`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    assertEquals(res.status, 401);
    await res.body?.cancel();
    assertOk(pulled < 16 * 1024 * 1024, `the server read ${pulled} bytes before refusing`);
  } finally {
    await server.close();
  }
});
