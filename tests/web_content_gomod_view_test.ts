import { GOMOD_VIEW_MAX_BYTES, goModView } from "../src/web/content/gomod_view.tsx";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { GOCODE, goPrerequisites } from "./helpers/go.ts";

const HOSTED = new Set([
  "example.com/a",
  "example.com/b/v2",
  "example.com/quoted",
  "golang.org/x/sys",
]);
const hosted = (path: string, _version: string) =>
  HOSTED.has(path) ? `/alice/${path.split("/").map(encodeURIComponent).join("/")}` : null;

Deno.test("go.mod view: single-line and block requires link to hosted modules, text kept exactly", () => {
  const text = [
    "// Package comment <b>",
    "module example.com/m",
    "",
    "go 1.21",
    "",
    "require example.com/a v1.0.0 // indirect",
    "require (",
    "\texample.com/b/v2 v2.1.0",
    '\t"example.com/quoted" v1.0.0',
    "\tgithub.com/other/x v0.1.0 // <script>alert(1)</script>",
    ")",
    "",
    "replace example.com/a => example.com/b/v2 v2.0.0",
    "exclude (",
    "\texample.com/a v0.9.0",
    ")",
    'retract [v1.0.0, v1.0.1] // "broken" & <bad>',
    "",
  ].join("\n");
  const html = goModView(text, hosted).html;
  assertEquals(
    html,
    '<pre class="gomod"><code><span class="comment">// Package comment &lt;b&gt;</span>\n' +
      "module example.com/m\n\ngo 1.21\n\n" +
      'require <a href="/alice/example.com/a">example.com/a</a> v1.0.0 <span class="comment">// indirect</span>\n' +
      "require (\n" +
      '\t<a href="/alice/example.com/b/v2">example.com/b/v2</a> v2.1.0\n' +
      '\t<a href="/alice/example.com/quoted">&quot;example.com/quoted&quot;</a> v1.0.0\n' +
      '\tgithub.com/other/x v0.1.0 <span class="comment">// &lt;script&gt;alert(1)&lt;/script&gt;</span>\n' +
      ")\n\n" +
      "replace example.com/a =&gt; example.com/b/v2 v2.0.0\n" +
      "exclude (\n\texample.com/a v0.9.0\n)\n" +
      'retract [v1.0.0, v1.0.1] <span class="comment">// &quot;broken&quot; &amp; &lt;bad&gt;</span>\n' +
      "</code></pre>",
  );
  // Stripping the markup gives back the text, byte for byte.
  const unescaped = html.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  assertEquals(unescaped, text);
});

Deno.test("go.mod view: the callback gets path and version; hostile text stays text", () => {
  const seen: string[] = [];
  const html = goModView(
    'module m\nrequire (\n\t"a\\u003cb" v1.0.0\n\t`x"><img src=x onerror=alert(1)>` v2.0.0\n)\nrequire c v3.0.0-pre\n',
    (path, version) => {
      seen.push(`${path}@${version}`);
      return `/o/${encodeURIComponent(path)}`;
    },
  ).html;
  assertEquals(seen, ["a<b@v1.0.0", 'x"><img src=x onerror=alert(1)>@v2.0.0', "c@v3.0.0-pre"]);
  assertIncludes(html, '<a href="/o/a%3Cb">&quot;a\\u003cb&quot;</a>');
  assertIncludes(html, "`x&quot;&gt;&lt;img src=x onerror=alert(1)&gt;`</a>");
  assertOk(!html.includes("<img"), html);
});

Deno.test("go.mod view: malformed go.mod is still shown; a huge one is cut at a line end", () => {
  const broken = goModView('require (\n\t"unterminated v1.0.0\nrequire\n', () => "/x").html;
  assertIncludes(broken, "unterminated v1.0.0");
  const line = "require example.com/a v1.0.0\n";
  const huge = line.repeat(Math.ceil((GOMOD_VIEW_MAX_BYTES + 1000) / line.length));
  const html = goModView(huge, () => null).html;
  const shown = Math.floor(GOMOD_VIEW_MAX_BYTES / line.length) * line.length;
  assertIncludes(
    html,
    `This go.mod is ${huge.length} bytes; only its first ${shown} characters are shown.`,
  );
  assertOk(html.length < 2 * GOMOD_VIEW_MAX_BYTES);
});

Deno.test({
  name: "go.mod view: a Debian module's go.mod links its hosted requirement",
  ignore: !goPrerequisites(["github.com/nxadm/tail"]),
  async fn() {
    const text = await Deno.readFile(`${GOCODE}/github.com/nxadm/tail/go.mod`);
    const html = goModView(text, hosted).html;
    assertIncludes(
      html,
      '\t<a href="/alice/golang.org/x/sys">golang.org/x/sys</a> v0.0.0-20190904154756-749cb33beabd <span class="comment">// indirect</span>\n',
    );
    assertIncludes(html, "\tgithub.com/fsnotify/fsnotify v1.4.7\n");
    assertEquals((html.match(/<a /g) ?? []).length, 1);
  },
});
