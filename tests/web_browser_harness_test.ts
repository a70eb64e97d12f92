// The browser harness itself (tests/helpers/browser.ts), before any UI page is judged by it:
// Chromium starts under `deno test`, axe-core runs inside a page served with the UI's strict
// CSP and finds the A/AA violations planted in a page (so an empty list from a UI page means
// something), the clipboard can be read back, and a screenshot is a 1280×800 PNG.

import {
  axeViolations,
  browserPrerequisites,
  formatViolations,
  launchBrowser,
  openPage,
  readClipboard,
  screenshot,
} from "./helpers/browser.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";

const STRICT_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const GOOD = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Good</title>
<link rel="stylesheet" href="/s.css"></head><body><header><a href="#main">Skip</a></header>
<main id="main"><h1>A good page</h1><p>Readable text.</p><img src="/p.png" alt="a dot">
<label for="q">Search</label><input id="q" name="q">
<button id="copy" type="button">Copy</button></main>
<script src="/copy.js"></script></body></html>`;

// No lang, an image without alt, a low-contrast paragraph, an unlabelled input, an empty link.
const BAD = `<!doctype html><html><head><meta charset="utf-8"><title>Bad</title>
<link rel="stylesheet" href="/s.css"></head><body><main><h1>Bad</h1><img src="/p.png">
<p class="faint">Hard to read.</p><input name="q"><a href="/x"></a></main></body></html>`;

const PNG_1X1 = Uint8Array.fromBase64(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
);

function serveFixtures(): Deno.HttpServer<Deno.NetAddr> {
  const files: Record<string, [string, string | Uint8Array]> = {
    "/good": ["text/html; charset=utf-8", GOOD],
    "/bad": ["text/html; charset=utf-8", BAD],
    "/s.css": [
      "text/css",
      "body{font-family:sans-serif;color:#111;background:#fff}" +
      ".faint{color:#ccc}",
    ],
    "/p.png": ["image/png", PNG_1X1],
    "/copy.js": [
      "text/javascript",
      `document.getElementById("copy").addEventListener("click", () =>
        navigator.clipboard.writeText("go get example.com/hello@v1.2.0"));`,
    ],
  };
  return Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const file = files[new URL(req.url).pathname];
    if (!file) return new Response("not found", { status: 404 });
    return new Response(file[1] as BodyInit, {
      headers: { "content-type": file[0], "content-security-policy": STRICT_CSP },
    });
  });
}

Deno.test({
  name: "browser harness: axe-core finds planted A/AA violations, none on a good page under CSP",
  ignore: !browserPrerequisites(),
  fn: async () => {
    const server = serveFixtures();
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const browser = await launchBrowser();
    try {
      const page = await openPage(browser, origin);
      await page.goto("/good");
      assertEquals(formatViolations(await axeViolations(page)), "");

      await page.goto("/bad");
      const found = await axeViolations(page);
      const ids = found.map((v) => v.id).sort();
      assertEquals(ids, ["color-contrast", "html-has-lang", "image-alt", "label", "link-name"]);
      assertEquals(found.find((v) => v.id === "color-contrast")?.targets, ["p"]);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});

Deno.test({
  name: "browser harness: a click's clipboard text is read back; a screenshot is a 1280×800 PNG",
  ignore: !browserPrerequisites(),
  fn: async () => {
    const server = serveFixtures();
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const dir = await Deno.makeTempDir({ prefix: "modyard-shots-" });
    const browser = await launchBrowser();
    try {
      const page = await openPage(browser, origin);
      await page.goto("/good");
      await page.getByRole("button", { name: "Copy" }).click();
      assertEquals(await readClipboard(page), "go get example.com/hello@v1.2.0");

      const path = await screenshot(page, "good", { dir });
      assertEquals(path, `${dir}/good.png`);
      const png = await Deno.readFile(path);
      assertEquals([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const ihdr = new DataView(png.buffer, png.byteOffset + 16, 8);
      assertEquals([ihdr.getUint32(0), ihdr.getUint32(4)], [1280, 800]);
      assertOk(png.byteLength > 1000, `a real page, not a blank: ${png.byteLength} bytes`);
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
