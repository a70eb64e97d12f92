/**
 * Every web UI answer carries the strict CSP, nosniff and a same-origin referrer policy;
 * the session cookie is HttpOnly, SameSite=Strict, Path=/ and Secure on https; the UI never
 * sends WWW-Authenticate (a browser would pop up a dialog) and never reads Authorization.
 */

import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";
import { getPage, postForm, signIn, tokenOfBasic } from "./helpers/web_pages.ts";

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function assertUiHeaders(h: Headers, what: string) {
  assertEquals(h.get("content-security-policy"), CSP, what);
  assertEquals(h.get("x-content-type-options"), "nosniff", what);
  assertEquals(h.get("referrer-policy"), "same-origin", what);
  assertEquals(h.get("www-authenticate"), null, what);
}

Deno.test("web headers: pages, errors, assets and forms all carry CSP, nosniff, Referrer-Policy", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("alice");
    const zip = await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" });
    assertEquals((await s.upload("alice", zip, auth)).status, 201);
    await s.user("corp", { private: true });
    const paths = [
      "/",
      "/?q=m",
      "/alice",
      "/alice/example.com/m",
      "/alice/example.com/m/@v1.0.0",
      "/alice/example.com/m/@v1.0.0/files/",
      "/alice/example.com/m/@v1.0.0/files/go.mod",
      "/-/signin",
      "/-/static/style.css",
      "/-/static/copy.js",
      "/nobody",
      "/corp", // 401: the sign-in page, without a challenge
      "/-/tokens",
      "/alice/%E0%A4%A", // a malformed escape: the UI's own 404 page, not the API's text
    ];
    for (const path of paths) {
      const page = await getPage(s.url, path);
      assertUiHeaders(page.headers, path);
    }
    const malformed = await getPage(s.url, "/alice/%E0%A4%A");
    assertEquals(malformed.status, 404);
    assertEquals(malformed.headers.get("content-type"), "text/html; charset=utf-8");
    // The sign-in page of a private owner, with a challenge in the API's 401 taken out.
    assertEquals((await getPage(s.url, "/corp")).status, 401);
    const raw = await getPage(s.url, "/alice/example.com/m/@v1.0.0/raw/go.mod");
    assertEquals(raw.headers.get("x-content-type-options"), "nosniff");
    assertIncludes(raw.headers.get("content-security-policy") ?? "", "sandbox");
    const forged = await postForm(s.url, "/-/signout", {}, {
      headers: { origin: "https://evil.example" },
    });
    assertEquals(forged.status, 403);
    assertUiHeaders(forged.headers, "refused form");
  } finally {
    await s.close();
  }
});

Deno.test("web headers: the stylesheet and script are served by modyard with their types", async () => {
  const s = await startTestServer();
  try {
    const css = await getPage(s.url, "/-/static/style.css");
    assertEquals(css.status, 200);
    assertEquals(css.headers.get("content-type"), "text/css; charset=utf-8");
    assertIncludes(css.html, ":focus-visible");
    const js = await getPage(s.url, "/-/static/copy.js");
    assertEquals(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assertIncludes(js.html, "clipboard");
    assertEquals((await getPage(s.url, "/-/static/nope.css")).status, 404);
    const home = await getPage(s.url, "/");
    assertIncludes(home.html, '<link rel="stylesheet" href="/-/static/style.css">');
    assertOk(!/<script>|<style>|style="/.test(home.html), "no inline script or style");
  } finally {
    await s.close();
  }
});

Deno.test("web headers: the session cookie is HttpOnly, SameSite=Strict, Path=/, not Secure on http", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("alice");
    const page = await postForm(s.url, "/-/signin", { user: "", password: tokenOfBasic(auth) });
    assertEquals(page.status, 303);
    const cookie = page.headers.get("set-cookie") ?? "";
    assertMatch(cookie, /^modyard_session=[A-Za-z0-9_-]{43}; /);
    for (const attr of ["HttpOnly", "SameSite=Strict", "Path=/"]) assertIncludes(cookie, attr);
    assertOk(!cookie.includes("Secure"), cookie);
  } finally {
    await s.close();
  }
});

Deno.test("web headers: the session cookie is Secure when --base-url is https", async () => {
  const s = await startTestServer({ baseUrl: "https://registry.example" });
  try {
    const auth = await s.user("alice");
    const page = await postForm(s.url, "/-/signin", { user: "", password: tokenOfBasic(auth) }, {
      headers: { origin: "https://registry.example" },
    });
    assertEquals(page.status, 303, page.html);
    assertIncludes(page.headers.get("set-cookie") ?? "", "; Secure");
    const out = await postForm(s.url, "/-/signout", {}, {
      cookie: (page.headers.get("set-cookie") ?? "").split(";")[0],
      headers: { origin: "https://registry.example" },
    });
    assertEquals(out.status, 403, "the form carried no CSRF token");
  } finally {
    await s.close();
  }
});

Deno.test("web headers: the UI ignores Authorization; a session cookie never authenticates the API", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("corp", { private: true });
    const zip = await moduleZip("corp.example/secret", "v1.0.0", {
      "go.mod": "module corp.example/secret\n",
    });
    assertEquals((await s.upload("corp", zip, auth)).status, 201);
    const withHeader = await fetch(`${s.url}/corp`, { headers: { authorization: auth } });
    assertEquals(withHeader.status, 401);
    assertOk(!(await withHeader.text()).includes("corp.example/secret"));
    const cookie = await signIn(s.url, "", tokenOfBasic(auth));
    assertIncludes((await getPage(s.url, "/corp", cookie)).html, "corp.example/secret");
    for (
      const path of [
        "/api/packages/corp/go/corp.example/secret/@v/list",
        "/api/v1/packages/corp",
      ]
    ) {
      const res = await fetch(s.url + path, { headers: { cookie } });
      assertEquals(res.status, 401, path);
      await res.body?.cancel();
    }
    const upload = await fetch(`${s.url}/api/packages/corp/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { cookie },
    });
    assertEquals(upload.status, 401);
    await upload.body?.cancel();
  } finally {
    await s.close();
  }
});
