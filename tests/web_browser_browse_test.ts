// The web UI in a real browser (Debian's Chromium), as an anonymous visitor: search from the
// home page, open the module, copy the install line through the copy button (clipboard read
// back), see the retracted badge with its rationale and the downloads chart, open a file; the
// home, owner, module, version and sign-in pages have no axe-core WCAG 2.0/2.1 A/AA
// violations; an attacking README runs nothing; screenshots go to docs/screenshots/.
// One server and one browser for the whole file.

import {
  axeViolations,
  browserPrerequisites,
  formatViolations,
  launchBrowser,
  openPage,
  type Page,
  readClipboard,
  screenshot,
} from "./helpers/browser.ts";
import { startTestServer } from "./helpers/server.ts";
import { seedWebRegistry } from "./helpers/web_seed.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import {
  fileUrl,
  homeUrl,
  moduleUrl,
  ownerUrl,
  rawUrl,
  signInUrl,
  versionUrl,
} from "../src/web/urls.ts";

/** Goes to `path` and checks the answer's status. */
async function visit(page: Page, path: string, status = 200): Promise<void> {
  const res = await page.goto(path);
  assertEquals(res?.status(), status, `GET ${path}`);
}

/** The text of `<main>` (what the page says, without header and footer). */
async function mainText(page: Page): Promise<string> {
  return await page.locator("main").innerText();
}

/** The page's own first-level heading (a README may bring its own further down). */
async function pageTitle(page: Page): Promise<string> {
  return await page.getByRole("heading", { level: 1 }).first().innerText();
}

/** Asserts axe-core finds no A/AA violation on the current page. */
async function assertAccessible(page: Page): Promise<void> {
  assertEquals(formatViolations(await axeViolations(page)), "", `axe-core on ${page.url()}`);
}

Deno.test({
  name: "web UI in Chromium: search, module, copy, retraction, chart, file, axe, screenshots",
  ignore: !browserPrerequisites(),
  fn: async (t) => {
    // A public base URL, as behind a TLS proxy: the setup lines of the screenshots name it
    // instead of this run's random port (the test never signs in, so Secure cookies are moot).
    const server = await startTestServer({ baseUrl: "https://modyard.example.com" });
    const browser = await launchBrowser();
    try {
      const seed = await seedWebRegistry(server);
      const { alice, hello } = seed;
      const page = await openPage(browser, server.url);
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });

      await t.step("home: search for a module and open it", async () => {
        await visit(page, homeUrl());
        await assertAccessible(page);
        await screenshot(page, "home");
        const box = page.getByRole("search").getByRole("searchbox");
        await box.fill("hello");
        await box.press("Enter");
        await page.waitForURL((u) => u.searchParams.get("q") === "hello");
        const hit = page.getByRole("link", { name: hello.path, exact: true });
        assertEquals(await hit.count(), 1, "one result for hello");
        assertEquals(
          await page.getByRole("link", { name: seed.tools.path, exact: true }).count(),
          0,
          "example.com/tools does not contain hello",
        );
        await hit.click();
        await page.waitForURL(server.url + moduleUrl(alice.name, hello.path));
        assertIncludes(await pageTitle(page), hello.path);
      });

      // Each later step starts from its own URL, so one failure does not cascade.
      await t.step("module page: install line copied by its button", async () => {
        await visit(page, moduleUrl(alice.name, hello.path));
        const install = `go get ${hello.path}@${hello.latest}`;
        assertIncludes(await mainText(page), install);
        const copied: string[] = [];
        const buttons = page.getByRole("button", { name: /copy/i });
        assertOk(await buttons.count() > 0, "a copy button is shown (its script ran)");
        for (const button of await buttons.all()) {
          await page.evaluate("navigator.clipboard.writeText('')");
          await button.click();
          copied.push(await readClipboard(page));
        }
        assertOk(copied.includes(install), `copied ${JSON.stringify(copied)}`);
        const goSum = `${hello.path} ${hello.latest} h1:`;
        assertOk(copied.some((c) => c.startsWith(goSum)), `go.sum lines copied too: ${copied}`);
      });

      await t.step("module page: retracted badge with rationale, downloads chart", async () => {
        await visit(page, moduleUrl(alice.name, hello.path));
        const text = await mainText(page);
        assertIncludes(text, hello.retracted.rationale);
        const row = page.getByRole("row").filter({ hasText: hello.retracted.version });
        assertOk(await row.count() > 0, "the version list has a row for the retracted version");
        const rowText = await row.first().innerText();
        assertIncludes(rowText.toLowerCase(), "retracted");
        assertIncludes(rowText, hello.retracted.rationale, "the rationale is in the version's row");
        const chart = page.locator("main").getByRole("img", { name: /download/i });
        assertEquals(await chart.count(), 1, "one chart named for downloads");
        assertOk(await chart.isVisible(), "the chart is shown");
        // (Functions typed structurally: the tests compile without the DOM library.)
        const tag = await chart.evaluate((e: { tagName: string }) => e.tagName.toLowerCase());
        assertEquals(tag, "svg", "an inline SVG");
        const chartText = await chart.evaluate((e: { textContent: string | null }) =>
          e.textContent ?? ""
        );
        for (const [version, n] of Object.entries(hello.downloads)) {
          const says = new RegExp(`${version.replaceAll(".", "\\.")}\\D+${n} download`);
          assertOk(says.test(chartText), `the chart says ${version} has ${n}: ${chartText}`);
        }
        await assertAccessible(page);
        await screenshot(page, "module", { fullPage: true });
      });

      await t.step("version page: open a file from the tree", async () => {
        // The retracted version's page first: its notice is what the screenshot shows.
        const retracted = hello.retracted.version;
        await visit(page, versionUrl(alice.name, hello.path, retracted));
        assertIncludes(await pageTitle(page), `${hello.path} ${retracted}`);
        assertIncludes(await mainText(page), hello.retracted.rationale);
        await assertAccessible(page);
        await screenshot(page, "version");
        await visit(page, versionUrl(alice.name, hello.path, hello.latest));
        assertIncludes(await pageTitle(page), hello.path);
        assertIncludes(await mainText(page), hello.latest);
        await assertAccessible(page);
        let link = page.getByRole("link", { name: hello.file.path, exact: true });
        if (await link.count() === 0) { // the tree on its own page
          await visit(page, fileUrl(alice.name, hello.path, hello.latest));
          link = page.getByRole("link", { name: hello.file.path, exact: true });
        }
        await link.first().click();
        await page.waitForURL(
          server.url + fileUrl(alice.name, hello.path, hello.latest, hello.file.path),
        );
        assertIncludes(await mainText(page), hello.file.line);
        await assertAccessible(page);
      });

      await t.step(
        "raw SVG and HTML files are shown as text or downloaded, never rendered",
        async () => {
          for (const path of hello.activeFiles) {
            const url = rawUrl(alice.name, hello.path, hello.latest, path);
            const download = page.waitForEvent("download", { timeout: 5000 }).catch(() => null);
            // Chromium aborts the navigation when the answer is an attachment.
            const res = await page.goto(url).catch(() => null);
            if (res === null) {
              const file = await download;
              assertEquals(file?.suggestedFilename(), path.split("/").at(-1), `${url} downloads`);
              await file?.cancel();
            } else {
              const type = await page.evaluate("document.contentType");
              assertEquals(type, "text/plain", `${url} is a text document, not SVG or HTML`);
              assertIncludes(await page.locator("body").innerText(), "alert(", "its source shown");
            }
          }
          assertEquals(dialogs, [], "no alert() ran");
        },
      );

      await t.step("keyboard: the first Tab shows the skip link, which leads to main", async () => {
        await visit(page, homeUrl());
        await page.keyboard.press("Tab");
        const skip = page.locator(":focus");
        assertEquals(await skip.getAttribute("href"), "#main");
        assertOk(await skip.isVisible(), "the focused skip link is visible");
        const box = await skip.boundingBox();
        assertOk(box && box.x >= 0 && box.y >= 0, `on screen: ${JSON.stringify(box)}`);
        await page.keyboard.press("Enter");
        assertEquals(await page.evaluate("document.activeElement.id"), "main");
      });

      await t.step("owner page lists the owner's modules", async () => {
        await visit(page, ownerUrl(alice.name));
        for (const path of [hello.path, seed.tools.path, seed.doomed.path]) {
          assertEquals(
            await page.getByRole("link", { name: path, exact: true }).count(),
            1,
            `${path} listed`,
          );
        }
        assertOk(!(await mainText(page)).includes(seed.secret.path), "no private module");
        await assertAccessible(page);
      });

      await t.step("sign-in page", async () => {
        await visit(page, signInUrl());
        await assertAccessible(page);
        await screenshot(page, "signin");
      });

      await t.step("an attacking README runs nothing; its benign text is shown", async () => {
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        await visit(page, moduleUrl(alice.name, seed.evil.path));
        assertIncludes(await mainText(page), seed.evil.benign);
        const active = await page.evaluate(`[
          ...document.querySelectorAll("main script, main iframe, main object, main embed"),
          ...[...document.querySelectorAll("main *")].filter((e) =>
            [...e.attributes].some((a) => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value))),
        ].map((e) => e.outerHTML.slice(0, 80))`) as string[];
        assertEquals(active, [], "no active content in the page");
        for (const name of ["markdown link", "raw link", "mixed case"]) {
          const link = page.getByText(name, { exact: true });
          if (await link.count() > 0) await link.first().click({ timeout: 2000 }).catch(() => {});
        }
        await page.waitForTimeout(200);
        assertEquals(dialogs, [], "no alert() ran");
        assertEquals(errors, [], "no script errors");
      });
    } finally {
      await browser.close();
      await server.close();
    }
  },
});
