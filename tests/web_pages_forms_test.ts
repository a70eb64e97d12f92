/**
 * State-changing forms: deleting a version (the API's own delete, so its rules), creating
 * and revoking one's tokens. Each needs the session's CSRF token and a same-origin request;
 * a forged cross-site POST is refused with 403 and changes nothing.
 */

import { createToken, createUser, listTokens } from "../src/registry/accounts.ts";
import { tokenHash } from "../src/registry/secrets.ts";
import { keys } from "../src/store/keys.ts";
import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer, type TestServer } from "./helpers/server.ts";
import { csrfOf, getPage, postForm, signIn } from "./helpers/web_pages.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/m";
const DELETE = `/alice/${MOD}/@v1.0.0/delete`;

async function fixture(): Promise<{ s: TestServer; cookie: string; csrf: string }> {
  const s = await startTestServer();
  await createUser(s.kv, "alice");
  const { token } = await createToken(s.kv, "alice", { scope: "write" });
  for (const v of ["v1.0.0", "v1.1.0"]) {
    const zip = await moduleZip(MOD, v, { "go.mod": `module ${MOD}\n` });
    assertEquals((await s.upload("alice", zip, basic("alice", token))).status, 201);
  }
  const cookie = await signIn(s.url, "", token);
  const csrf = csrfOf((await getPage(s.url, `/alice/${MOD}/@v1.0.0`, cookie)).html);
  return { s, cookie, csrf };
}

async function listBody(s: TestServer): Promise<string> {
  return await (await fetch(`${s.proxy("alice")}/${MOD}/@v/list`)).text();
}

Deno.test("web forms: deleting a version through the form: 303, then 410 for go and a deleted badge", async () => {
  const { s, cookie, csrf } = await fixture();
  try {
    const page = await postForm(s.url, DELETE, { _csrf: csrf }, { cookie });
    assertEquals(page.status, 303);
    assertEquals(page.headers.get("location"), `/alice/${MOD}`);
    assertEquals(await listBody(s), "v1.1.0\n");
    const zip = await fetch(`${s.proxy("alice")}/${MOD}/@v/v1.0.0.zip`);
    assertEquals(zip.status, 410);
    await zip.body?.cancel();
    const module = await getPage(s.url, `/alice/${MOD}`, cookie);
    assertMatch(module.html, /v1\.0\.0<\/a><span class="badge deleted">deleted \(410\)<\/span>/);
    const gone = await getPage(s.url, `/alice/${MOD}/@v1.0.0`);
    assertEquals(gone.status, 410);
    assertIncludes(gone.html, "This version was deleted");
    assertIncludes(gone.html, "by alice");
  } finally {
    await s.close();
  }
});

Deno.test("web forms: forged cross-site POSTs are refused with 403 and delete nothing", async () => {
  const { s, cookie, csrf } = await fixture();
  try {
    const forgeries: [string, Record<string, string>, Record<string, string>][] = [
      ["another origin, right token", { _csrf: csrf }, { origin: "https://evil.example" }],
      ["opaque origin", { _csrf: csrf }, { origin: "null" }],
      ["cross-site fetch metadata, no Origin", { _csrf: csrf }, {
        origin: "",
        "sec-fetch-site": "cross-site",
      }],
      ["same origin, no token", {}, {}],
      ["same origin, wrong token", { _csrf: "x".repeat(43) }, {}],
    ];
    for (const [what, fields, headers] of forgeries) {
      const h = { ...headers };
      const init: RequestInit = {
        method: "POST",
        body: new URLSearchParams(fields),
        redirect: "manual",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie,
          ...(h.origin === "" ? {} : { origin: h.origin ?? s.url }),
          ...(h["sec-fetch-site"] ? { "sec-fetch-site": h["sec-fetch-site"] } : {}),
        },
      };
      const res = await fetch(s.url + DELETE, init);
      assertEquals(res.status, 403, what);
      await res.body?.cancel();
    }
    assertEquals(await listBody(s), "v1.0.0\nv1.1.0\n");
    // Another session's token does not do either.
    const { token } = await createToken(s.kv, "alice", { scope: "write" });
    const other = await signIn(s.url, "", token);
    const otherCsrf = csrfOf((await getPage(s.url, "/", other)).html);
    assertEquals((await postForm(s.url, DELETE, { _csrf: otherCsrf }, { cookie })).status, 403);
    assertEquals(await listBody(s), "v1.0.0\nv1.1.0\n");
  } finally {
    await s.close();
  }
});

Deno.test("web forms: delete follows the API's rules (read-token session 403, anonymous refused)", async () => {
  const { s } = await fixture();
  try {
    const { token } = await createToken(s.kv, "alice", { scope: "read" });
    const reader = await signIn(s.url, "", token);
    const csrf = csrfOf((await getPage(s.url, "/", reader)).html);
    const page = await postForm(s.url, DELETE, { _csrf: csrf }, { cookie: reader });
    assertEquals(page.status, 403);
    assertIncludes(page.html, "read scope");
    // Nor may it mint or revoke tokens (the API's rule for /api/v1/user/tokens).
    const mint = await postForm(s.url, "/-/tokens", { _csrf: csrf, scope: "write" }, {
      cookie: reader,
    });
    assertEquals(mint.status, 403);
    assertEquals((await listTokens(s.kv, "alice")).length, 2);
    assertEquals((await postForm(s.url, DELETE, {})).status, 401);
    await createUser(s.kv, "bob");
    const bob = await signIn(s.url, "", (await createToken(s.kv, "bob", { scope: "write" })).token);
    const bobCsrf = csrfOf((await getPage(s.url, "/", bob)).html);
    const refused = await postForm(s.url, DELETE, { _csrf: bobCsrf }, { cookie: bob });
    assertEquals(refused.status, 403);
    assertIncludes(refused.html, "may not delete");
    assertEquals(await listBody(s), "v1.0.0\nv1.1.0\n");
    // A GET never deletes.
    assertEquals((await getPage(s.url, DELETE, bob)).status, 405);
  } finally {
    await s.close();
  }
});

Deno.test("web forms: tokens page creates a token shown once, lists it, revokes it", async () => {
  const { s, cookie, csrf } = await fixture();
  try {
    const created = await postForm(s.url, "/-/tokens", {
      _csrf: csrf,
      label: "laptop <b>",
      scope: "read",
      days: "30",
    }, { cookie });
    assertEquals(created.status, 201);
    assertEquals(created.headers.get("cache-control"), "no-store");
    const secret = created.html.match(/(myd_[A-Za-z0-9_-]+)/)?.[1];
    assertOk(secret, "the new token is shown");
    assertIncludes(created.html, "laptop &lt;b&gt;");
    const record = (await s.kv.get<{ scope: string; label: string; expiresAt: string }>(
      keys.token(tokenHash(secret)),
    )).value;
    assertEquals(record?.scope, "read");
    assertOk(Date.parse(record!.expiresAt) > Date.now() + 29 * 86_400_000);
    const list = await getPage(s.url, "/-/tokens", cookie);
    assertOk(!list.html.includes(secret), "never shown again");
    assertIncludes(list.html, "laptop &lt;b&gt;");
    const id = (await listTokens(s.kv, "alice")).find((t) => t.label === "laptop <b>")!.id;
    const forged = await postForm(s.url, `/-/tokens/${id}/revoke`, { _csrf: csrf }, {
      cookie,
      headers: { origin: "https://evil.example" },
    });
    assertEquals(forged.status, 403);
    assertEquals((await listTokens(s.kv, "alice")).some((t) => t.id === id), true);
    const revoked = await postForm(s.url, `/-/tokens/${id}/revoke`, { _csrf: csrf }, { cookie });
    assertEquals(revoked.status, 303);
    assertEquals((await listTokens(s.kv, "alice")).some((t) => t.id === id), false);
    assertEquals(
      (await postForm(s.url, "/-/tokens/000000000000/revoke", { _csrf: csrf }, {
        cookie,
      })).status,
      404,
    );
    assertEquals(
      (await postForm(s.url, "/-/tokens", { _csrf: csrf, scope: "admin" }, { cookie })).status,
      400,
    );
    assertEquals(
      (await postForm(s.url, "/-/tokens", { _csrf: csrf, days: "1e300" }, { cookie })).status,
      400,
    );
    assertEquals((await getPage(s.url, "/-/tokens")).status, 401, "anonymous: the sign-in page");
  } finally {
    await s.close();
  }
});

Deno.test("web forms: oversized and non-form bodies are refused, never 500", async () => {
  const { s, cookie, csrf } = await fixture();
  try {
    const big = await postForm(s.url, "/-/tokens", { _csrf: csrf, label: "x".repeat(20_000) }, {
      cookie,
    });
    assertEquals(big.status, 413);
    // Counted while reading too: a chunked body has no Content-Length to refuse it by.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`_csrf=${csrf}&label=`));
        for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode("x".repeat(8192)));
        c.close();
      },
    });
    const streamed = await fetch(`${s.url}/-/tokens`, {
      method: "POST",
      body: chunks,
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: s.url },
    });
    assertEquals(streamed.status, 413);
    await streamed.body?.cancel();
    const json = await fetch(`${s.url}/-/tokens`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json", cookie, origin: s.url },
    });
    assertEquals(json.status, 415);
    await json.body?.cancel();
  } finally {
    await s.close();
  }
});
