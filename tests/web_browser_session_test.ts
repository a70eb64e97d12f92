// Sessions in a real browser (Debian's Chromium): a private organisation's modules are hidden
// from anonymous visitors and from a signed-in non-member, shown after its owner signs in
// through the form, hidden again after signing out; the owner deletes a version through the
// form and the GOPROXY `.info` then answers 410; a forged POST from a page on another origin
// (an auto-submitting form, without and even with the victim's CSRF token) is refused with
// 403 and deletes nothing. One server and one browser for the whole file.

import {
  axeViolations,
  browserPrerequisites,
  formatViolations,
  launchBrowser,
  openPage,
  type Page,
} from "./helpers/browser.ts";
import { startTestServer } from "./helpers/server.ts";
import { type SeedUser, seedWebRegistry } from "./helpers/web_seed.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  deleteVersionUrl,
  homeUrl,
  moduleUrl,
  ownerUrl,
  signInUrl,
  tokensUrl,
  versionUrl,
} from "../src/web/urls.ts";
import { CSRF_FIELD } from "../src/web/csrf.ts";

/** Signs in through the sign-in form; resolves once the browser has left the form. */
async function signIn(page: Page, user: SeedUser): Promise<void> {
  await page.goto(signInUrl());
  const form = page.locator("main form");
  await form.getByLabel("User name").fill(user.name);
  await form.getByLabel(/password/i).fill(user.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== signInUrl()),
    form.getByRole("button", { name: "Sign in" }).click(),
  ]);
  assertIncludes(await page.locator("header").innerText(), user.name);
}

/** The status and `<main>` text of `path`. */
async function look(page: Page, path: string): Promise<{ status?: number; text: string }> {
  const res = await page.goto(path);
  return { status: res?.status(), text: await page.locator("main").innerText() };
}

/** What the GOPROXY answers for a version's `.info` (anonymous; the owner is public). */
async function infoStatus(proxy: string, module: string, version: string): Promise<number> {
  const res = await fetch(`${proxy}/${module}/@v/${version}.info`);
  await res.body?.cancel();
  return res.status;
}

/** A page on another origin that posts a form to `action` as soon as it loads. */
function startAttacker(
  action: string,
  fields: Record<string, string>,
): Deno.HttpServer<Deno.NetAddr> {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join("");
  const html = `<!doctype html><html lang="en"><head><title>Win a prize</title></head><body>
    <form id="f" method="post" action="${action}">${inputs}</form>
    <script>document.getElementById("f").submit();</script></body></html>`;
  return Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }),
  );
}

Deno.test({
  name: "web UI in Chromium: private owner by session, sign-out, delete by form, forged POST",
  ignore: !browserPrerequisites(),
  fn: async (t) => {
    const server = await startTestServer();
    const browser = await launchBrowser();
    const attackers: Deno.HttpServer<Deno.NetAddr>[] = [];
    try {
      const seed = await seedWebRegistry(server);
      const { alice, bob, org, secret, doomed } = seed;
      const secretPage = moduleUrl(org, secret.path);

      await t.step("anonymous: the private owner's modules are nowhere", async () => {
        const page = await openPage(browser, server.url);
        const owner = await look(page, ownerUrl(org));
        assertOk([401, 404].includes(owner.status!), `owner page: ${owner.status}`);
        assertOk(!owner.text.includes(secret.path), "owner page hides the module");
        const module = await look(page, secretPage);
        assertOk([401, 404].includes(module.status!), `module page: ${module.status}`);
        assertOk(!module.text.includes(secret.version), "module page hides the version");
        const search = await look(page, homeUrl("secret"));
        assertEquals(search.status, 200);
        assertOk(!search.text.includes(secret.path), "search hides the module");
        await page.context().close();
      });

      await t.step("a signed-in non-member sees nothing of it either", async () => {
        const page = await openPage(browser, server.url);
        await signIn(page, bob);
        const owner = await look(page, ownerUrl(org));
        assertOk([403, 404].includes(owner.status!), `owner page: ${owner.status}`);
        assertOk(!owner.text.includes(secret.path), "owner page hides the module");
        const search = await look(page, homeUrl("secret"));
        assertOk(!search.text.includes(secret.path), "search hides the module");
        await page.context().close();
      });

      const page = await openPage(browser, server.url);

      await t.step("signed in, its owner sees the modules; signed out, no longer", async () => {
        await signIn(page, alice);
        const owner = await look(page, ownerUrl(org));
        assertEquals(owner.status, 200);
        assertEquals(
          await page.getByRole("link", { name: secret.path, exact: true }).count(),
          1,
          "the private module is listed",
        );
        assertEquals((await look(page, secretPage)).status, 200);
        const search = await look(page, homeUrl("secret"));
        assertEquals(
          await page.getByRole("link", { name: secret.path, exact: true }).count(),
          1,
          `search finds it: ${search.text}`,
        );
        // The pages only a signed-in user sees pass axe-core too.
        for (const path of [ownerUrl(org), tokensUrl()]) {
          assertEquals((await page.goto(path))?.status(), 200, path);
          assertEquals(formatViolations(await axeViolations(page)), "", `axe-core on ${path}`);
        }

        await Promise.all([
          page.waitForURL(server.url + homeUrl()),
          page.locator("header").getByRole("button", { name: "Sign out" }).click(),
        ]);
        const after = await look(page, ownerUrl(org));
        assertOk([401, 404].includes(after.status!), `after sign-out: ${after.status}`);
        assertOk(!after.text.includes(secret.path), "hidden again");
        const cookies = await page.context().cookies(server.url);
        assertEquals(cookies.filter((c) => c.value !== ""), [], "the session cookie is gone");
      });

      await t.step("the owner deletes a version through the form: .info answers 410", async () => {
        const [gone, kept] = doomed.versions;
        const proxy = server.proxy(alice.name);
        assertEquals(await infoStatus(proxy, doomed.path, gone), 200);
        await signIn(page, alice);
        await page.goto(versionUrl(alice.name, doomed.path, gone));
        const form = page.locator(
          `form[action="${deleteVersionUrl(alice.name, doomed.path, gone)}"]`,
        );
        assertEquals(await form.count(), 1, "the version page has the delete form");
        for (const box of await form.locator("input[type=checkbox]").all()) await box.check();
        for (const input of await form.locator("input[type=text]:visible").all()) {
          await input.fill(gone); // "type the version to confirm"
        }
        page.once("dialog", (d) => d.accept());
        const answer = page.waitForResponse((r) =>
          r.request().method() === "POST" && r.url().endsWith("/delete")
        );
        await form.getByRole("button", { name: /delete/i }).click();
        const status = (await answer).status();
        assertOk(status === 303 || status === 200, `delete answered ${status}`);
        await page.waitForLoadState();
        assertEquals(await infoStatus(proxy, doomed.path, gone), 410);
        assertEquals(await infoStatus(proxy, doomed.path, kept), 200);
      });

      await t.step("a forged cross-site POST is refused (403) and deletes nothing", async () => {
        const [, kept] = doomed.versions;
        const action = server.url + deleteVersionUrl(alice.name, doomed.path, kept);
        // The victim (alice, signed in) has a page of the registry open: its CSRF token.
        await page.goto(versionUrl(alice.name, doomed.path, kept));
        const token = await page.locator(`input[name="${CSRF_FIELD}"]`).first().inputValue();
        assertOk(token.length > 0, "the signed-in page carries a CSRF token");
        // 127.0.0.1 on another port: another origin but the same site, so the SameSite=Strict
        // cookie IS sent — only the Origin and token checks stand in the way.
        const forms: Record<string, string>[] = [{}, { [CSRF_FIELD]: token }];
        for (const fields of forms) {
          const attacker = startAttacker(action, fields);
          attackers.push(attacker);
          const answer = page.waitForResponse((r) => r.url() === action);
          await page.goto(`http://127.0.0.1:${attacker.addr.port}/`);
          const res = await answer;
          assertEquals(
            res.status(),
            403,
            `forged POST ${Object.keys(fields).length ? "with" : "without"} the token`,
          );
          const sent = await res.request().allHeaders();
          assertIncludes(sent["cookie"] ?? "", "=", "the session cookie was sent along");
          assertEquals(await infoStatus(server.proxy(alice.name), doomed.path, kept), 200);
        }
      });
    } finally {
      await browser.close();
      for (const a of attackers) await a.shutdown();
      await server.close();
    }
  },
});
