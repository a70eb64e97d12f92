/**
 * The web UI follows the API's access rules exactly: a private owner's modules never show
 * to anonymous visitors (401: the sign-in page) or to users outside it (403) — not on its
 * pages, not in search, not in the recently published list — and the answer for a module
 * that exists equals the answer for one that does not. Members see them, and see the
 * organisation's members and roles.
 */

import { createOrg, createToken, createUser, setMember } from "../src/registry/accounts.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer, type TestServer } from "./helpers/server.ts";
import { getPage, signIn } from "./helpers/web_pages.ts";
import { moduleZip } from "./helpers/zip.ts";

const SECRET = "corp.example/secret";

interface Fixture {
  s: TestServer;
  cookies: Record<"alice" | "bob" | "carol", string>;
}

async function fixture(): Promise<Fixture> {
  const s = await startTestServer();
  const cookies = {} as Fixture["cookies"];
  const tokens: Record<string, string> = {};
  for (const name of ["alice", "bob", "carol"] as const) {
    await createUser(s.kv, name);
    tokens[name] = (await createToken(s.kv, name, { scope: "write" })).token;
    cookies[name] = await signIn(s.url, "", tokens[name]);
  }
  await createOrg(s.kv, "corp", "alice", { visibility: "private" });
  await setMember(s.kv, "corp", "bob", "read");
  const zip = await moduleZip(SECRET, "v1.0.0", { "go.mod": `module ${SECRET}\n` });
  assertEquals((await s.upload("corp", zip, basic("alice", tokens.alice))).status, 201);
  const pub = await moduleZip("example.com/open", "v1.0.0", {
    "go.mod": "module example.com/open\n",
  });
  assertEquals((await s.upload("alice", pub, basic("alice", tokens.alice))).status, 201);
  return { s, cookies };
}

/** The page with the asked path taken out (it echoes in the sign-in link's `next`). */
function withoutPath(html: string, path: string): string {
  return html.replaceAll(encodeURIComponent(path), "PATH").replaceAll(path, "PATH");
}

const PAGES = ["", "/@v1.0.0", "/@v1.0.0/files/", "/@v1.0.0/files/go.mod", "/@v1.0.0/raw/go.mod"];

Deno.test("web access: anonymous visitors of a private owner get the sign-in page (401), never the module", async () => {
  const { s } = await fixture();
  try {
    const owner = await getPage(s.url, "/corp");
    assertEquals(owner.status, 401);
    assertIncludes(owner.html, 'action="/-/signin"');
    assertOk(!owner.html.includes(SECRET));
    for (const suffix of PAGES) {
      const real = await getPage(s.url, `/corp/${SECRET}${suffix}`);
      const made = await getPage(s.url, `/corp/corp.example/nothing${suffix}`);
      assertEquals(real.status, 401, suffix);
      assertEquals(made.status, 401, suffix);
      assertEquals(
        withoutPath(real.html, `/corp/${SECRET}${suffix}`),
        withoutPath(made.html, `/corp/corp.example/nothing${suffix}`),
        `an existing and a made-up module answer alike (${suffix})`,
      );
    }
    const search = await getPage(s.url, "/?q=secret");
    assertOk(!search.html.includes(SECRET), "search");
    assertIncludes(search.html, "No module path contains");
    const home = await getPage(s.url, "/");
    assertOk(!home.html.includes(SECRET), "recently published");
    assertIncludes(home.html, "example.com/open");
  } finally {
    await s.close();
  }
});

Deno.test("web access: a signed-in user outside a private organisation gets 403 and no trace of it", async () => {
  const { s, cookies } = await fixture();
  try {
    const owner = await getPage(s.url, "/corp", cookies.carol);
    assertEquals(owner.status, 403);
    assertOk(!owner.html.includes(SECRET));
    for (const suffix of PAGES) {
      const real = await getPage(s.url, `/corp/${SECRET}${suffix}`, cookies.carol);
      const made = await getPage(s.url, `/corp/corp.example/nothing${suffix}`, cookies.carol);
      assertEquals([real.status, made.status], [403, 403], suffix);
      assertEquals(
        withoutPath(real.html, `/corp/${SECRET}${suffix}`).replace(/value="[^"]+"/g, ""),
        withoutPath(made.html, `/corp/corp.example/nothing${suffix}`).replace(/value="[^"]+"/g, ""),
      );
      assertOk(!real.html.includes(SECRET), suffix);
    }
    assertOk(!(await getPage(s.url, "/?q=secret", cookies.carol)).html.includes(SECRET));
    assertOk(!(await getPage(s.url, "/", cookies.carol)).html.includes(SECRET));
  } finally {
    await s.close();
  }
});

Deno.test("web access: members see the private modules, in search and recent too, and the members list", async () => {
  const { s, cookies } = await fixture();
  try {
    for (const who of ["alice", "bob"] as const) {
      const owner = await getPage(s.url, "/corp", cookies[who]);
      assertEquals(owner.status, 200, who);
      assertIncludes(owner.html, SECRET);
      assertIncludes(owner.html, '<span class="badge private">private</span>');
      assertIncludes(owner.html, "Members");
      assertIncludes(owner.html, "<td>owner</td>");
      assertIncludes(owner.html, "<td>read</td>");
      const page = await getPage(s.url, `/corp/${SECRET}/@v1.0.0`, cookies[who]);
      assertEquals(page.status, 200);
      assertIncludes(page.html, `go get ${SECRET}@v1.0.0`);
      assertIncludes((await getPage(s.url, "/?q=secret", cookies[who])).html, SECRET);
      assertIncludes((await getPage(s.url, "/", cookies[who])).html, SECRET);
    }
    // The delete form only for who may delete (the API's write rule): alice, not bob (read).
    const form = 'action="/corp/corp.example/secret/@v1.0.0/delete"';
    assertIncludes((await getPage(s.url, `/corp/${SECRET}`, cookies.alice)).html, form);
    assertOk(!(await getPage(s.url, `/corp/${SECRET}`, cookies.bob)).html.includes(form));
    // A user's public page has no members list; outsiders never see an organisation's.
    assertOk(!(await getPage(s.url, "/alice", cookies.carol)).html.includes("Members"));
  } finally {
    await s.close();
  }
});

Deno.test("web access: a public organisation's members list shows to its members only", async () => {
  const s = await startTestServer();
  try {
    for (const name of ["alice", "carol"]) await createUser(s.kv, name);
    await createOrg(s.kv, "open", "alice");
    const alice = await signIn(s.url, "", (await createToken(s.kv, "alice")).token);
    const carol = await signIn(s.url, "", (await createToken(s.kv, "carol")).token);
    assertIncludes((await getPage(s.url, "/open", alice)).html, "Members");
    const outsider = await getPage(s.url, "/open", carol);
    assertEquals(outsider.status, 200);
    assertOk(!outsider.html.includes("Members"));
    assertOk(!(await getPage(s.url, "/open")).html.includes("Members"));
  } finally {
    await s.close();
  }
});
