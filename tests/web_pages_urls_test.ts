/**
 * The UI's URL scheme: builders and the parser agree, module paths keep their case and
 * are escaped per segment, and paths that name no page parse to null.
 */

import {
  deleteVersionUrl,
  fileUrl,
  moduleUrl,
  parseUiPath,
  rawUrl,
  signInUrl,
  versionUrl,
} from "../src/web/urls.ts";
import { safeNext } from "../src/web/pages/signin_page.tsx";
import { escapeHtml, jsx } from "../src/web/jsx_runtime.ts";
import { SafeHtml } from "../src/web/safe_html.ts";
import { assertEquals } from "./helpers/assert.ts";

const cases: [string, ReturnType<typeof parseUiPath>][] = [
  ["/", { page: "home" }],
  ["/-/signin", { page: "signin" }],
  ["/-/signout", { page: "signout" }],
  ["/-/tokens", { page: "tokens" }],
  ["/-/tokens/0123456789ab/revoke", { page: "revoke_token", id: "0123456789ab" }],
  ["/-/static/style.css", { page: "static", name: "style.css" }],
  ["/-/", null],
  ["/-/nope", null],
  ["/alice", { page: "owner", owner: "alice" }],
  ["/alice/", { page: "owner", owner: "alice" }],
  ["/alice/example.com/Hello", { page: "module", owner: "alice", module: "example.com/Hello" }],
  ["/alice/example.com/m/", { page: "module", owner: "alice", module: "example.com/m" }],
  ["/alice/example.com//m", null],
  ["/alice/example.com/m/@v1.0.0", {
    page: "version",
    owner: "alice",
    module: "example.com/m",
    version: "v1.0.0",
  }],
  ["/alice/example.com/m/@v2.0.0%2Bincompatible/", {
    page: "version",
    owner: "alice",
    module: "example.com/m",
    version: "v2.0.0+incompatible",
  }],
  ["/alice/m/@v1.0.0/files/", {
    page: "files",
    owner: "alice",
    module: "m",
    version: "v1.0.0",
    path: "",
  }],
  ["/alice/m/@v1.0.0/files/a%20b/c.go", {
    page: "files",
    owner: "alice",
    module: "m",
    version: "v1.0.0",
    path: "a b/c.go",
  }],
  ["/alice/m/@v1.0.0/raw/c.go", {
    page: "raw",
    owner: "alice",
    module: "m",
    version: "v1.0.0",
    path: "c.go",
  }],
  ["/alice/m/@v1.0.0/raw/", null],
  ["/alice/m/@v1.0.0/delete", { page: "delete", owner: "alice", module: "m", version: "v1.0.0" }],
  ["/alice/m/@v1.0.0/other", null],
  ["/alice/@v1.0.0", null],
  ["/alice/m/@", null],
  ["/%E0%A4%A", null],
];

for (const [path, want] of cases) {
  Deno.test(`parseUiPath(${JSON.stringify(path)})`, () => {
    assertEquals(parseUiPath(path), want);
  });
}

Deno.test("web urls: builders round-trip through the parser", () => {
  const module = "example.com/Foo Bar/v2";
  const version = "v2.0.0-rc.1+incompatible";
  assertEquals(parseUiPath(moduleUrl("alice", module)), { page: "module", owner: "alice", module });
  assertEquals(parseUiPath(versionUrl("alice", module, version)), {
    page: "version",
    owner: "alice",
    module,
    version,
  });
  assertEquals(parseUiPath(fileUrl("alice", module, version, "dir/a#b?.go")), {
    page: "files",
    owner: "alice",
    module,
    version,
    path: "dir/a#b?.go",
  });
  assertEquals(parseUiPath(rawUrl("alice", module, version, "x.png"))?.page, "raw");
  assertEquals(parseUiPath(deleteVersionUrl("alice", module, version))?.page, "delete");
  assertEquals(signInUrl("/alice"), "/-/signin?next=%2Falice");
});

Deno.test("web urls: safeNext keeps local paths only", () => {
  for (const bad of ["//evil", "/\\evil", "https://evil", "evil", "/a\nb", "", null]) {
    assertEquals(safeNext(bad), "/", String(bad));
  }
  assertEquals(safeNext("/alice/m?x=1"), "/alice/m?x=1");
});

Deno.test("web jsx: text and attributes are escaped, SafeHtml is not, unsafe URLs and handlers refused", () => {
  assertEquals(escapeHtml(`<a href="x">'&`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
  assertEquals(
    jsx("p", { title: '"><script>', children: ["<b>", new SafeHtml("<i>ok</i>"), 1, null] }).html,
    '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;<i>ok</i>1</p>',
  );
  for (
    const href of ["javascript:alert(1)", " JavaScript:x", "java\tscript:x", "data:text/html,x"]
  ) {
    let refused = false;
    try {
      jsx("a", { href, children: "x" });
    } catch {
      refused = true;
    }
    assertEquals(refused, true, href);
  }
  assertEquals(jsx("a", { href: "/a:b", children: "x" }).html, '<a href="/a:b">x</a>');
  assertEquals(jsx("a", { href: "https://x.example/" }).html, '<a href="https://x.example/"></a>');
  let handler = false;
  try {
    jsx("img", { onerror: "x" });
  } catch {
    handler = true;
  }
  assertEquals(handler, true);
});
