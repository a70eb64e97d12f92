/**
 * Module and version pages: the path and version, the install and go.sum snippets, the
 * version list with pre-release, pseudo-version and retracted (with rationale) badges,
 * provenance, the README without active content; the file tree, the viewer (escaped text)
 * and the raw route's content-type policy (text/plain, images sandboxed, the rest as
 * attachments — never HTML or SVG inline).
 */

import { assertEquals, assertIncludes, assertMatch, assertOk } from "./helpers/assert.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { getPage, textOf } from "./helpers/web_pages.ts";
import { MAX_OWNER_PAGE_MODULES } from "../src/web/pages/owner_page.tsx";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/m";
const PSEUDO = "v0.0.0-20240101000000-abcdefabcdef";
const HASH = "0123456789abcdef0123456789abcdef01234567";
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

async function fixture(): Promise<{ s: TestServer; h1: string }> {
  const s = await startTestServer();
  const auth = await s.user("alice");
  let h1 = "";
  for (const v of ["v1.0.0", "v1.1.0-rc.1", PSEUDO, "v1.2.0"]) {
    const latest = v === "v1.2.0";
    const zip = await moduleZip(MOD, v, {
      "go.mod": `module ${MOD}\n\ngo 1.19\n` + (latest ? "retract v1.0.0 // broken build\n" : ""),
      "README.md": "# Hello module\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(2))\n" +
        '<img src="x" onerror="alert(3)">\n',
      "sub/a.go": "package sub\n",
      "evil.html": "<script>alert(4)</script>\n",
      "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(5)"/>\n',
      "img.png": PNG,
      "bin.dat": new Uint8Array([1, 0, 2, 0, 3]),
    });
    const res = await fetch(`${s.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: {
        authorization: auth,
        ...(latest
          ? {
            "x-modyard-origin": JSON.stringify({
              VCS: "git",
              URL: "https://git.example/m.git",
              Ref: "refs/tags/v1.2.0",
              Hash: HASH,
            }),
          }
          : {}),
      },
    });
    assertEquals(res.status, 201);
    if (latest) h1 = (await res.json()).h1;
    else await res.body?.cancel();
  }
  return { s, h1 };
}

Deno.test("web module page: latest version, install and go.sum snippets, badges, provenance", async () => {
  const { s, h1 } = await fixture();
  try {
    const page = await getPage(s.url, `/alice/${MOD}`);
    assertEquals(page.status, 200);
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    const text = textOf(page.html);
    assertMatch(page.html, /<h1>example\.com\/m <span class="muted">v1\.2\.0<\/span>/);
    assertIncludes(text, `go get ${MOD}@v1.2.0`);
    assertIncludes(text, `${MOD} v1.2.0 ${h1}`);
    assertIncludes(page.html, 'data-copy="install"');
    for (const v of ["v1.0.0", "v1.1.0-rc.1", PSEUDO]) {
      assertIncludes(page.html, `href="/alice/example.com/m/@${v}"`);
    }
    assertMatch(page.html, /v1\.1\.0-rc\.1<\/a><span class="badge pre">pre-release<\/span>/);
    assertMatch(page.html, /abcdefabcdef<\/a><span class="badge pseudo">pseudo-version<\/span>/);
    assertMatch(
      page.html,
      /v1\.0\.0<\/a><span class="badge retracted">retracted: broken build<\/span>/,
    );
    assertIncludes(text, "https://git.example/m.git");
    assertIncludes(text, HASH);
    assertIncludes(text, "refs/tags/v1.2.0");
    assertIncludes(text, "go env -w GOPROXY=");
    assertOk(!text.includes("GOPRIVATE="), "never advises GOPRIVATE");

    const old = await getPage(s.url, `/alice/${MOD}/@v1.0.0`);
    assertEquals(old.status, 200);
    assertIncludes(
      textOf(old.html),
      "This version is retracted by the module's author: broken build",
    );
    assertIncludes(textOf(old.html), `go get ${MOD}@v1.0.0`);
    assertOk(!textOf(old.html).includes(HASH), "no provenance where none was given");

    const head = await fetch(`${s.url}/alice/${MOD}`, { method: "HEAD" });
    assertEquals(head.status, 200);
    assertEquals(await head.text(), "");
  } finally {
    await s.close();
  }
});

Deno.test("web module page: the README shows without active content", async () => {
  const { s } = await fixture();
  try {
    const page = await getPage(s.url, `/alice/${MOD}/@v1.2.0`);
    assertIncludes(page.html, "Hello module</h1>");
    assertOk(!/<script>alert|onerror|javascript:/i.test(page.html), page.html);
    assertOk(!page.html.includes("&lt;script&gt;alert(1)"), "removed, not shown as text");
  } finally {
    await s.close();
  }
});

Deno.test("web module page: unknown modules, versions and owners are 404 pages", async () => {
  const { s } = await fixture();
  try {
    for (
      const path of [
        "/alice/example.com/none",
        `/alice/${MOD}/@v9.9.9`,
        `/alice/${MOD}/@v9.9.9/files/`,
        `/alice/${MOD}/@v1.2.0/files/nope.go`,
        `/alice/${MOD}/@v1.2.0/raw/nope.go`,
        "/nobody/example.com/m",
        `/alice/${"x".repeat(3000)}`,
      ]
    ) {
      const page = await getPage(s.url, path);
      assertEquals(page.status, 404, path);
      assertIncludes(page.html, "<h1>Not found</h1>", path);
    }
  } finally {
    await s.close();
  }
});

Deno.test("web files: tree with sizes, viewer shows escaped text, raw follows the safe type policy", async () => {
  const { s } = await fixture();
  try {
    const tree = await getPage(s.url, `/alice/${MOD}/@v1.2.0/files/`);
    assertEquals(tree.status, 200);
    assertIncludes(tree.html, `href="/alice/example.com/m/@v1.2.0/files/sub/">sub/</a>`);
    assertIncludes(tree.html, `href="/alice/example.com/m/@v1.2.0/files/evil.html">evil.html</a>`);
    const sub = await getPage(s.url, `/alice/${MOD}/@v1.2.0/files/sub/`);
    assertIncludes(sub.html, "a.go</a>");
    assertMatch(sub.html, /a\.go<\/a><\/td><td class="num">12<\/td>/);

    const viewer = await getPage(s.url, `/alice/${MOD}/@v1.2.0/files/evil.html`);
    assertEquals(viewer.status, 200);
    assertIncludes(viewer.html, "&lt;script&gt;alert(4)&lt;/script&gt;");
    assertOk(!viewer.html.includes("<script>alert"));
    const binary = await getPage(s.url, `/alice/${MOD}/@v1.2.0/files/bin.dat`);
    assertIncludes(binary.html, "This file is not text");

    const raw = async (path: string) => {
      const res = await fetch(`${s.url}/alice/${MOD}/@v1.2.0/raw/${path}`);
      return { h: res.headers, body: new Uint8Array(await res.arrayBuffer()), status: res.status };
    };
    const html = await raw("evil.html");
    assertEquals(html.h.get("content-type"), "application/octet-stream");
    assertMatch(html.h.get("content-disposition") ?? "", /^attachment; /);
    assertEquals(new TextDecoder().decode(html.body), "<script>alert(4)</script>\n");
    const svg = await raw("logo.svg");
    assertEquals(svg.h.get("content-type"), "application/octet-stream");
    assertMatch(svg.h.get("content-disposition") ?? "", /^attachment; /);
    const go = await raw("sub/a.go");
    assertEquals(go.h.get("content-type"), "text/plain; charset=utf-8");
    assertEquals(new TextDecoder().decode(go.body), "package sub\n");
    const png = await raw("img.png");
    assertEquals(png.h.get("content-type"), "image/png");
    assertEquals(png.body, PNG);
    const bin = await raw("bin.dat");
    assertEquals(bin.h.get("content-type"), "application/octet-stream");
    assertMatch(
      bin.h.get("content-disposition") ?? "",
      /^attachment; .*filename\*=UTF-8''bin\.dat/,
    );
    assertEquals(bin.body, new Uint8Array([1, 0, 2, 0, 3]));
    const head = await fetch(`${s.url}/alice/${MOD}/@v1.2.0/raw/sub/a.go`, { method: "HEAD" });
    assertEquals([head.status, head.headers.get("content-length")], [200, "12"]);
    await head.body?.cancel();
    const image = await getPage(s.url, `/alice/${MOD}/@v1.2.0/files/img.png`);
    assertIncludes(
      image.html,
      `<img src="/alice/example.com/m/@v1.2.0/raw/img.png" alt="img.png">`,
    );
    for (const r of [html, svg, go, png, bin]) {
      assertEquals(r.h.get("x-content-type-options"), "nosniff");
      assertIncludes(r.h.get("content-security-policy") ?? "", "sandbox");
    }
  } finally {
    await s.close();
  }
});

Deno.test("web module page: go.mod requires link to modules the owner hosts; downloads chart as SVG", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("alice");
    const dep = await moduleZip("example.com/dep", "v1.0.0", {
      "go.mod": "module example.com/dep\n",
    });
    assertEquals((await s.upload("alice", dep, auth)).status, 201);
    const zip = await moduleZip("example.com/app", "v1.0.0", {
      "go.mod": "module example.com/app\n\nrequire (\n\texample.com/dep v1.0.0\n" +
        "\tgolang.org/x/mod v0.7.0\n)\n",
    });
    assertEquals((await s.upload("alice", zip, auth)).status, 201);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${s.proxy("alice")}/example.com/app/@v/v1.0.0.zip`);
      assertEquals(res.status, 200);
      await res.body?.cancel();
    }
    const page = await getPage(s.url, "/alice/example.com/app");
    assertIncludes(page.html, '<a href="/alice/example.com/dep">example.com/dep</a>');
    assertOk(!page.html.includes('href="/alice/golang.org/x/mod"'), "not hosted: no link");
    assertIncludes(page.html, "golang.org/x/mod");
    assertMatch(page.html, /<svg[^>]* role="img"/);
    assertMatch(page.html, /<td>v1\.0\.0<\/td><td>3<\/td>/);
  } finally {
    await s.close();
  }
});

Deno.test("web owner page: modules in pages of 200 by path, with next and first-page links", async () => {
  const s = await startTestServer();
  try {
    const auth = await s.user("alice");
    const total = MAX_OWNER_PAGE_MODULES + 3;
    const path = (i: number) => `example.com/m${String(i).padStart(3, "0")}`;
    for (let i = 0; i < total; i++) {
      const zip = await moduleZip(path(i), "v1.0.0", { "go.mod": `module ${path(i)}\n` });
      const res = await s.upload("alice", zip, auth);
      assertEquals(res.status, 201, await res.text());
    }
    const first = await getPage(s.url, "/alice");
    assertEquals(first.status, 200);
    const listed = (html: string) =>
      [...html.matchAll(/<td><a href="\/alice\/example\.com\/(m\d{3})">/g)].map((m) => m[1]);
    const one = listed(first.html);
    assertEquals(one.length, MAX_OWNER_PAGE_MODULES);
    assertEquals([one[0], one.at(-1)], ["m000", "m199"]);
    const next = /<a href="(\/alice\?after=[^"]+)">Next 200 modules<\/a>/.exec(first.html);
    assertOk(next, "a next-page link");
    assertEquals(next[1], "/alice?after=example.com%2Fm199");

    const second = await getPage(s.url, next[1]);
    assertEquals(listed(second.html), ["m200", "m201", "m202"]);
    assertIncludes(second.html, '<a href="/alice">First page</a>');
    assertEquals(second.html.includes("Next 200 modules"), false);

    const beyond = await getPage(s.url, "/alice?after=example.com%2Fzzz");
    assertEquals(listed(beyond.html), []);
    assertIncludes(textOf(beyond.html), "No modules after example.com/zzz.");
    // An over-long cursor is ignored (the first page), never a KV key error.
    const long = await getPage(s.url, `/alice?after=${"x".repeat(5000)}`);
    assertEquals([long.status, listed(long.html).length], [200, MAX_OWNER_PAGE_MODULES]);
  } finally {
    await s.close();
  }
});
