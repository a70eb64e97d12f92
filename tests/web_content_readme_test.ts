import { pickReadme, README_MAX_BYTES, renderReadme } from "../src/web/content/readme.ts";
import { normalisePath, resolveReadmeLink } from "../src/web/content/readme_links.ts";
import { closeReadmeRenderer, RENDER_DEADLINE_MS } from "../src/web/content/readme_renderer.ts";
import { versionReadme } from "../src/web/content/version_readme.ts";
import { storedZip, type ZipSource } from "../src/web/content/zip_files.ts";
import { SafeHtml } from "../src/web/safe_html.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";
import { activeContentProblems } from "./helpers/web_content_html.ts";
import { openContentStore } from "./helpers/web_content_store.ts";

const links = {
  fileUrl: (p: string) => `/alice/example.com/m/@v1.0.0/files/${p}`,
  rawUrl: (p: string) => `/alice/example.com/m/@v1.0.0/raw/${p}`,
};

/** Each line tries to run script; each `keepN` word is benign text that must survive. */
const ATTACK = `# Attack keep1

Benign paragraph keep2 with **bold keep3**.

<script>alert("script-body")</script>
<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>
<img src="x" onerror="alert('onerror')"> keep4
<img src=x onerror=alert(1)//>
[md link keep5](javascript:alert('markdown'))
[mixed keep6](JaVaScRiPt:alert('mixed'))
[entity keep7](&#106;avascript:alert('entity'))
[hex entity keep8](&#x6A;&#x61;vascript:alert('hex'))
[spaced keep9]( javascript:alert('spaced'))
<a href="javascript:alert('raw')">raw keep10</a>
<a href="JaVaScRiPt:alert('raw mixed')">raw mixed keep11</a>
<a href="jav&#x09;ascript:alert('tab')">tab keep12</a>
<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert('long')">long keep13</a>
<a href="vbscript:msgbox('vb')">vb keep14</a>
<a href="data:text/html,<script>alert('data')</script>">data keep15</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data64 keep16</a>
<iframe src="https://evil.example/">iframe-body</iframe>
<iframe srcdoc="<script>alert('srcdoc')</script>"></iframe>
<svg onload="alert('svg')"><text>svg-body</text></svg>
<math><mtext>math-body</mtext></math>
<object data="evil.swf">object-body</object>
<embed src="evil.swf">
<form action="https://evil.example/"><input name="pw">form-body<button>button-body</button></form>
<style>body { display: none } style-body</style>
<p style="position:fixed;inset:0" onclick="alert('click')">styled keep17</p>
<div onmouseover="alert('hover')" class="x" id="clobber">div keep18</div>
<a href="https://ok.example/" onclick="alert('a')" target="_blank">external keep19</a>
<img src="data:image/svg+xml,<svg onload=alert(1)>" alt="data image keep20">
<details open ontoggle="alert('toggle')"><summary>More keep21</summary>inside keep22</details>
<meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<base href="https://evil.example/">
<link rel="stylesheet" href="https://evil.example/x.css">

Last paragraph keep23.
`;

Deno.test("readme: the attack README renders with no active content and its benign text", async () => {
  const html = (await renderReadme(ATTACK, { links })).html;
  assertEquals(activeContentProblems(html), []);
  for (let i = 1; i <= 23; i++) assertIncludes(html, `keep${i}`, `keep${i} survives`);
  for (
    const gone of [
      "alert",
      "script-body",
      "iframe-body",
      "svg-body",
      "math-body",
      "object-body",
      "form-body",
      "button-body",
      "style-body",
      "evil.example/x.js",
      "evil.swf",
      "clobber",
      "position:fixed",
      "vbscript",
      "data:",
    ]
  ) {
    assertOk(!html.includes(gone), `${gone} is removed, not shown: ${html}`);
  }
  assertIncludes(html, "<strong>bold keep3</strong>");
  assertIncludes(html, '<a href="https://ok.example/" rel="nofollow noopener">external keep19</a>');
  assertIncludes(html, '<details open=""><summary>More keep21</summary>inside keep22</details>');
});

Deno.test("readme: the web seed's attack README (the browser tests') is inert too", async () => {
  const { EVIL_README } = await import("./helpers/web_seed.ts");
  const html = (await renderReadme(EVIL_README, { links })).html;
  assertEquals(activeContentProblems(html), []);
  assertIncludes(html, "Benign text survives.");
  assertOk(
    !/onerror|onload|onclick|<iframe|<svg|<script|style=|href="[^"]*script/i.test(html),
    html,
  );
  // The Markdown link sits inside a raw HTML block, where Markdown is not parsed: it stays text.
  assertIncludes(
    html,
    "[markdown link](javascript:alert(&#39;markdown%20link&#39;))".replace(/&#39;/g, "'"),
  );
});

Deno.test("readme: a 5 MiB README renders its first MiB, says so, within a bounded time", async () => {
  const unit = "Some *text* with a [link](docs/a.md) and `code` and <b>bold</b>.\n\n";
  const body = "# Big README\n\n" + unit.repeat(Math.ceil((5 << 20) / unit.length)) + "THE END\n";
  const started = performance.now();
  const html = (await renderReadme(body, { links })).html;
  const ms = performance.now() - started;
  assertOk(ms < 5000, `took ${ms} ms`);
  assertIncludes(html, "<h1>Big README</h1>");
  assertIncludes(html, 'href="/alice/example.com/m/@v1.0.0/files/docs/a.md"');
  assertOk(!html.includes("THE END"), "text past the cap is not rendered");
  assertIncludes(html, "This README is 5.0 MiB; only its first 1.0 MiB are shown.");
  assertIncludes(
    html,
    '<a href="/alice/example.com/m/@v1.0.0/raw/README.md">View the whole file</a>',
  );
  assertOk(html.length < 3 * README_MAX_BYTES, `output of ${html.length} characters`);
  assertEquals(activeContentProblems(html), []);
});

Deno.test("readme: Markdown that would take seconds to render is shown as text in bounded time", async () => {
  for (const body of ["_a".repeat(200_000), "<div>".repeat(200_000) + "<script>x</script>"]) {
    const started = performance.now();
    const html = (await renderReadme(body, { links })).html;
    const ms = performance.now() - started;
    assertOk(ms < 5000, `took ${ms} ms (deadline ${RENDER_DEADLINE_MS} ms)`);
    // Cut off at the deadline, or failed outright (marked may exhaust its stack first).
    assertOk(
      /could not be rendered (in time|as Markdown here); it is shown as plain text\./.test(html),
      html.slice(0, 300),
    );
    assertIncludes(html, '<pre class="readme-text">');
    assertEquals(activeContentProblems(html, { plainText: true }), []);
  }
  // The renderer recovers: the next README renders normally.
  assertEquals((await renderReadme("# fine", { links })).html, "<h1>fine</h1>\n");
});

Deno.test("readme: relative links and images point into the same version, confined to it", async () => {
  const md = [
    "[guide](docs/guide.md#Install) [up](../../../../etc/passwd) [root](/LICENSE) [dir](internal/)",
    "[here](#usage) [self](?x=1) [enc](my%20file.go) [mail](mailto:a@example.com)",
    "[proto](//evil.example/x) [back](\\\\evil.example\\x)",
    "![logo](img/logo.png) ![up](../../logo.png) ![ext](https://img.example/b.svg) ![d](data:image/png;base64,AA)",
  ].join("\n");
  const html = (await renderReadme(md, { links, path: "sub/README.md" })).html;
  const base = "/alice/example.com/m/@v1.0.0";
  assertIncludes(html, `<a href="${base}/files/sub/docs/guide.md#Install">guide</a>`);
  assertIncludes(html, `<a href="${base}/files/etc/passwd">up</a>`);
  assertIncludes(html, `<a href="${base}/files/LICENSE">root</a>`);
  assertIncludes(html, `<a href="${base}/files/sub/internal/">dir</a>`);
  assertIncludes(html, `<a href="#usage">here</a>`);
  assertIncludes(html, `<a href="${base}/files/sub/README.md">self</a>`);
  assertIncludes(html, `<a href="${base}/files/sub/my file.go">enc</a>`);
  assertIncludes(html, `<a href="mailto:a@example.com" rel="nofollow noopener">mail</a>`);
  assertIncludes(html, `<a href="https://evil.example/x" rel="nofollow noopener">proto</a>`);
  assertIncludes(html, `<a>back</a>`);
  assertIncludes(html, `<img alt="logo" src="${base}/raw/sub/img/logo.png" />`);
  assertIncludes(html, `<img alt="up" src="${base}/raw/logo.png" />`);
  assertIncludes(html, `<img alt="ext" src="https://img.example/b.svg" />`);
  assertIncludes(html, `<img alt="d" />`);
});

Deno.test("readme: builder output is escaped, and placeholder-looking text stays text", async () => {
  const hostile = {
    fileUrl: (p: string) => `/f/${p}"><script>`,
    rawUrl: (p: string) => `/r/${p}`,
  };
  const html = (await renderReadme(
    '[a](a.md)\n\n`href="?modyard-file=612e6d64."` <a href="?modyard-raw=2e2e.">x</a>',
    { links: hostile },
  )).html;
  assertIncludes(html, '<a href="/f/a.md&quot;&gt;&lt;script&gt;">a</a>');
  assertIncludes(html, '<code>href="?modyard-file=612e6d64."</code>');
  // A raw placeholder in the README is an ordinary relative link: to the README itself.
  assertIncludes(html, '<a href="/f/README.md&quot;&gt;&lt;script&gt;">x</a>');
});

Deno.test("readme: plain-text READMEs are escaped in <pre>; a cut README says so", async () => {
  const text = await renderReadme("<b>not html</b>\n  indented", {
    links,
    format: "text",
    path: "README",
  });
  assertEquals(
    text.html,
    '<pre class="readme-text">&lt;b&gt;not html&lt;/b&gt;\n  indented</pre>',
  );
  const cut = await renderReadme(new TextEncoder().encode("# Head\n\né"), { links, size: 5000 });
  assertIncludes(cut.html, "<h1>Head</h1>");
  assertIncludes(cut.html, "This README is 4.9 KiB; only its first 10 bytes are shown.");
  assertOk(cut instanceof SafeHtml);
});

Deno.test("readme: which file is the README", () => {
  const cases: [string[], ReturnType<typeof pickReadme>][] = [
    [["go.mod", "README.md"], { path: "README.md", format: "markdown" }],
    [["readme.MD", "README"], { path: "readme.MD", format: "markdown" }],
    [["README", "README.txt"], { path: "README", format: "text" }],
    [["README.txt", "README.markdown"], { path: "README.markdown", format: "markdown" }],
    [["docs/README.md", "Readme.rst"], { path: "Readme.rst", format: "text" }],
    [["docs/README.md", "main.go"], null],
    [["README.md.orig", "READMEmd"], null],
  ];
  for (const [paths, want] of cases) assertEquals(pickReadme(paths), want, paths.join(","));
});

Deno.test("readme links: judged like a browser, confined to the module", () => {
  const cases: [string, string, ReturnType<typeof resolveReadmeLink>][] = [
    ["a.md", "README.md", { kind: "module", path: "a.md", fragment: "" }],
    ["../../x/y.go#L3", "docs/README.md", { kind: "module", path: "x/y.go", fragment: "L3" }],
    ["/go.mod", "docs/README.md", { kind: "module", path: "go.mod", fragment: "" }],
    ["./", "docs/README.md", { kind: "module", path: "docs/", fragment: "" }],
    ["..", "docs/README.md", { kind: "module", path: "", fragment: "" }],
    ["#top", "README.md", { kind: "fragment", fragment: "top" }],
    ["HTTPS://x.example/", "README.md", { kind: "external", url: "HTTPS://x.example/" }],
    ["\u0000 java\tscript:alert(1)", "README.md", { kind: "none" }],
    ["\u0001javascript:alert(1)", "README.md", { kind: "none" }],
    ["JaVaScRiPt:alert(1)", "README.md", { kind: "none" }],
    ["data:text/html,x", "README.md", { kind: "none" }],
    ["file:///etc/passwd", "README.md", { kind: "none" }],
    ["//evil.example/", "README.md", { kind: "external", url: "https://evil.example/" }],
    ["/\\evil.example/", "README.md", { kind: "none" }],
    ["a%2F..%2F..%2Fb", "x/README.md", { kind: "module", path: "b", fragment: "" }],
    ["%zz", "README.md", { kind: "module", path: "%zz", fragment: "" }],
  ];
  for (const [href, from, want] of cases) {
    assertEquals(resolveReadmeLink(href, from), want, JSON.stringify(href));
  }
  assertEquals(normalisePath("a/./b/../../../c//d/"), "c/d/");
  assertEquals(normalisePath("../../.."), "");
});

Deno.test({
  name: "readme: a Debian module's README read from the stored zip, rendered once per version",
  ignore: !goPrerequisites(["github.com/nxadm/tail"]),
  async fn() {
    const store = await openContentStore();
    try {
      const record = await store.publishDir(
        `${GOCODE}/github.com/nxadm/tail`,
        "github.com/nxadm/tail",
        "v1.4.8",
      );
      let reads = 0;
      const stored = storedZip(store.kv, record);
      const source: ZipSource = { ...stored, read: (o, l) => (reads++, stored.read(o, l)) };
      const readme = await versionReadme(source, links);
      assertEquals(readme?.path, "README.md");
      const html = readme!.html.html;
      assertIncludes(html, "<h1>Go package for tail-ing files</h1>");
      assertIncludes(html, '<pre><code class="language-Go">t, err := tail.TailFile(');
      assertIncludes(
        html,
        '<a href="http://godoc.org/github.com/nxadm/tail" rel="nofollow noopener">API documentation</a>',
      );
      assertEquals(activeContentProblems(html), []);
      const before = reads;
      const again = await versionReadme(source, links);
      assertEquals(again, readme);
      assertEquals(reads, before, "the second page view reads nothing from the store");
      const none = await store.publishFiles("example.com/bare", "v1.0.0", {
        "go.mod": "module example.com/bare\n",
      });
      assertEquals(await versionReadme(storedZip(store.kv, none), links), null);
    } finally {
      store.close();
    }
  },
});

Deno.test("readme renderer: closed after the tests", async () => {
  await closeReadmeRenderer();
});

Deno.test("readme: a server that may not read src/web/content shows READMEs as text, promptly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/render.ts`;
    const readme = new URL("../src/web/content/readme.ts", import.meta.url).href;
    const renderer = new URL("../src/web/content/readme_renderer.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { renderReadme } from ${JSON.stringify(readme)};\n` +
        `import { workerStarts } from ${JSON.stringify(renderer)};\n` +
        `const links = { fileUrl: (p: string) => "/f/" + p, rawUrl: (p: string) => "/r/" + p };\n` +
        `console.log((await renderReadme("# hi <script>x</script>", { links })).html);\n` +
        `await renderReadme("# again", { links });\n` +
        `console.log(workerStarts());\n`,
    );
    const config = new URL("../deno.json", import.meta.url).pathname;
    const worker = new URL("../src/web/content/readme_worker.ts", import.meta.url).pathname;
    // Not even the worker's entry (it cannot start), or only its entry (its imports fail).
    for (const readable of [dir, `${dir},${worker}`]) {
      const started = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--config", config, "--allow-env", `--allow-read=${readable}`, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const [html, starts] = new TextDecoder().decode(out.stdout).trim().split("\n");
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assertEquals(
        html,
        '<p class="readme-note">This README could not be rendered as Markdown here; it is shown as plain text.</p>' +
          '<pre class="readme-text"># hi &lt;script&gt;x&lt;/script&gt;</pre>',
        readable,
      );
      assertOk(performance.now() - started < 20_000);
      // The worker that cannot load is tried once, not for every README.
      assertEquals(starts, "1", readable);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
