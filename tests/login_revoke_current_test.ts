// DELETE /api/v1/user/tokens/current (what `logout` calls): revokes exactly the token the
// request authenticated with, in any of the forms credentials may take and for either
// scope; 400 for a password, 401 without credentials or for a token already revoked.
import { createToken, createUser } from "../src/registry/accounts.ts";
import { assertEquals } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";

Deno.test("DELETE /api/v1/user/tokens/current revokes the presented token and no other", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice", { password: "correct horse battery" });
    const tokens = async (auth: string) => {
      const res = await fetch(`${s.url}/api/v1/user/tokens`, { headers: { authorization: auth } });
      return { status: res.status, body: await res.text() };
    };
    const revokeCurrent = async (auth?: string) => {
      const res = await fetch(`${s.url}/api/v1/user/tokens/current`, {
        method: "DELETE",
        headers: auth ? { authorization: auth } : {},
      });
      return { status: res.status, body: await res.text() };
    };
    const keep = (await createToken(s.kv, "alice", { scope: "write", label: "keep" })).token;

    // Every way a token can be presented, a read token among them.
    const forms: [string, (t: string) => string][] = [
      ["Basic user:token", (t) => basic("alice", t)],
      ["Basic token:", (t) => basic(t, "")],
      ["token <t>", (t) => `token ${t}`],
      ["Bearer <t> (read scope)", (t) => `Bearer ${t}`],
    ];
    for (const [form, auth] of forms) {
      const scope = form.includes("read") ? "read" : "write";
      const { token } = await createToken(s.kv, "alice", { scope, label: form });
      assertEquals(await revokeCurrent(auth(token)), { status: 204, body: "" }, form);
      // Gone for good: a second revocation and any other use are 401.
      assertEquals((await revokeCurrent(auth(token))).status, 401, form);
      assertEquals((await tokens(basic("alice", token))).status, 401, form);
    }
    // The other token is untouched, and the list holds only it.
    const list = await tokens(basic("alice", keep));
    assertEquals(list.status, 200);
    assertEquals(JSON.parse(list.body).map((t: { label: string }) => t.label), ["keep"]);

    assertEquals(await revokeCurrent(basic("alice", "correct horse battery")), {
      status: 400,
      body: JSON.stringify({
        message:
          "this request authenticated with a password, not a token: name the token id to revoke",
      }) + "\n",
    });
    assertEquals((await revokeCurrent()).status, 401);
    assertEquals((await revokeCurrent(basic("alice", "wrong"))).status, 401);
    // Revoking by id still needs a write token.
    const reader = await createToken(s.kv, "alice", { scope: "read" });
    const byId = await fetch(`${s.url}/api/v1/user/tokens/${reader.record.id}`, {
      method: "DELETE",
      headers: { authorization: basic("alice", reader.token) },
    });
    assertEquals(byId.status, 403, await byId.text());
  } finally {
    await s.close();
  }
});
