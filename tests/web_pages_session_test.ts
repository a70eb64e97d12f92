/**
 * Sign-in and sign-out: user + password or a token start a server-side session (only its
 * hash is stored, with an expiry); wrong credentials answer the sign-in page with 401; the
 * password throttle answers 429 as on the API; sign-out ends the session in the store;
 * a revoked token ends the session it signed in, a changed password the sessions it signed in.
 */

import { createToken, createUser, revokeToken, setPassword } from "../src/registry/accounts.ts";
import { keys } from "../src/store/keys.ts";
import { MAX_SESSIONS_PER_USER, sessionHash } from "../src/web/sessions.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { cookieOf, csrfOf, getPage, postForm, signIn, textOf } from "./helpers/web_pages.ts";

const PASSWORD = "correct horse battery";

async function countSessions(kv: Deno.Kv): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: ["session"] })) n++;
  return n;
}

Deno.test("web session: password sign-in, a page as the user, sign-out ends the session", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice", { password: PASSWORD });
    const page = await postForm(s.url, "/-/signin", {
      user: "alice",
      password: PASSWORD,
      next: "/alice",
    });
    assertEquals(page.status, 303);
    assertEquals(page.headers.get("location"), "/alice");
    const cookie = cookieOf(page);
    const id = cookie.split("=")[1];
    // Only the hash of the id is stored, with an expiry.
    assertEquals((await s.kv.get(keys.session(id))).value, null);
    const record = (await s.kv.get<{ user: string; expiresAt: number }>(
      keys.session(sessionHash(id)),
    )).value;
    assertEquals(record?.user, "alice");
    assertOk(record!.expiresAt > Date.now() && record!.expiresAt <= Date.now() + 13 * 3600_000);

    const home = await getPage(s.url, "/", cookie);
    assertIncludes(textOf(home.html), "Signed in as alice");
    const out = await postForm(s.url, "/-/signout", { _csrf: csrfOf(home.html) }, { cookie });
    assertEquals(out.status, 303);
    assertIncludes(out.headers.get("set-cookie") ?? "", "Max-Age=0");
    assertEquals(await countSessions(s.kv), 0);
    const after = await getPage(s.url, "/", cookie);
    assertOk(!after.html.includes("Signed in as"), "the old cookie no longer signs in");
    assertIncludes(after.html, "Sign in");
  } finally {
    await s.close();
  }
});

Deno.test("web session: wrong password or unknown user answer the sign-in page with 401", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice", { password: PASSWORD });
    for (const [user, password] of [["alice", "wrong password"], ["nobody", PASSWORD]]) {
      const page = await postForm(s.url, "/-/signin", { user, password });
      assertEquals(page.status, 401, `${user}`);
      assertEquals(page.headers.get("set-cookie"), null);
      assertEquals(page.headers.get("www-authenticate"), null);
      assertIncludes(page.html, "Wrong user name, password or token.");
      assertIncludes(page.html, `value="${user}"`);
    }
    assertEquals(await countSessions(s.kv), 0);
  } finally {
    await s.close();
  }
});

Deno.test("web session: a token signs in with or without the user name; revoking it ends the session", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice");
    const { token, record } = await createToken(s.kv, "alice", { scope: "write" });
    const named = await signIn(s.url, "alice", token);
    const bare = await signIn(s.url, "", token);
    for (const cookie of [named, bare]) {
      assertIncludes(textOf((await getPage(s.url, "/", cookie)).html), "Signed in as alice");
    }
    const wrongUser = await postForm(s.url, "/-/signin", { user: "bob", password: token });
    assertEquals(wrongUser.status, 401);
    await revokeToken(s.kv, "alice", record.id);
    // At once: the session's token is read from the store on every request, not cached.
    for (const cookie of [named, bare]) {
      const page = await getPage(s.url, "/", cookie);
      assertEquals(page.status, 200);
      assertOk(!page.html.includes("Signed in as"));
      assertIncludes(page.html, 'href="/-/signin"');
    }
  } finally {
    await s.close();
  }
});

Deno.test("web session: failed sign-ins are throttled with the API's 429 and Retry-After", async () => {
  const s = await startTestServer({ authLimits: { perPair: 2 } });
  try {
    await createUser(s.kv, "alice", { password: PASSWORD });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await postForm(s.url, "/-/signin", { user: "alice", password: "nope" })).status,
      );
    }
    assertEquals(statuses, [401, 401, 429, 429]);
    const refused = await postForm(s.url, "/-/signin", { user: "alice", password: PASSWORD });
    assertEquals(refused.status, 429, "even the right password, while throttled");
    assertOk(Number(refused.headers.get("retry-after")) > 0);
    assertIncludes(refused.html, "too many failed authentication attempts");
    // The API shares the same throttle.
    const api = await fetch(`${s.url}/api/v1/packages/alice`, {
      headers: { authorization: "Basic " + btoa(`alice:nope`) },
    });
    assertEquals(api.status, 429);
    await api.body?.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("web session: each user keeps at most MAX_SESSIONS_PER_USER sessions, oldest ended first", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice");
    const { token } = await createToken(s.kv, "alice", { scope: "read" });
    const first = await signIn(s.url, "", token);
    for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) await signIn(s.url, "", token);
    assertEquals(await countSessions(s.kv), MAX_SESSIONS_PER_USER);
    assertOk(!(await getPage(s.url, "/", first)).html.includes("Signed in as"), "oldest ended");
  } finally {
    await s.close();
  }
});

Deno.test("web session: next is a local path only", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice");
    const { token } = await createToken(s.kv, "alice");
    for (
      const [next, want] of [
        ["/alice/x", "/alice/x"],
        ["//evil.example/", "/"],
        ["/\\evil.example", "/"],
        ["https://evil.example/", "/"],
      ]
    ) {
      const page = await postForm(s.url, "/-/signin", { user: "", password: token, next });
      assertEquals(page.headers.get("location"), want, next);
    }
  } finally {
    await s.close();
  }
});

Deno.test("web session: changing the password ends the sessions signed in with the old one, not token sessions", async () => {
  const s = await startTestServer();
  try {
    await createUser(s.kv, "alice", { password: PASSWORD });
    const { token } = await createToken(s.kv, "alice", { scope: "write" });
    const byPassword = await signIn(s.url, "alice", PASSWORD);
    const byToken = await signIn(s.url, "alice", token);
    for (const cookie of [byPassword, byToken]) {
      assertEquals((await getPage(s.url, "/-/tokens", cookie)).status, 200);
    }
    await setPassword(s.kv, "alice", "another horse battery");
    // Seen within the state cache's one-second staleness bound (the change is the store's).
    const deadline = Date.now() + 1500;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await getPage(s.url, "/-/tokens", byPassword)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(status, 401);
    assertEquals((await getPage(s.url, "/-/tokens", byToken)).status, 200);
    // Signing in with the new password works.
    const again = await signIn(s.url, "alice", "another horse battery");
    assertEquals((await getPage(s.url, "/-/tokens", again)).status, 200);
  } finally {
    await s.close();
  }
});
