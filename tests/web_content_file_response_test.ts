import { detectFileKind, isActiveDocument, isText } from "../src/web/content/file_kind.ts";
import {
  attachment,
  RAW_FILE_CSP,
  rawFileResponse,
  SNIFF_BYTES,
} from "../src/web/content/file_response.ts";
import { fileView, VIEWER_MAX_BYTES } from "../src/web/content/file_view.ts";
import { readZipFile, storedZip, streamZipFile } from "../src/web/content/zip_files.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { openContentStore } from "./helpers/web_content_store.ts";
import { randomBytes } from "./helpers/zip.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Real image files on a Debian machine (with a fallback of the format's magic bytes). */
async function realFile(path: string, fallback: Uint8Array): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch {
    return fallback;
  }
}

const PNG = await realFile(
  "/usr/share/gitweb/static/git-logo.png",
  Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13),
);
const GIF = await realFile(
  "/usr/share/gocode/src/golang.org/x/tools/godoc/static/images/treeview-gray.gif",
  enc("GIF89a\x01\x00\x01\x00"),
);
const JPEG = await realFile(
  "/usr/share/doc/nodejs/thin-white-stripe.jpg",
  Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16),
);
const WEBP = Uint8Array.of(...enc("RIFF"), 26, 0, 0, 0, ...enc("WEBPVP8L"), 13, 0, 0, 0, 0x2f);
const HTML = await realFile(
  "/usr/share/gocode/src/golang.org/x/net/html/testdata/go1.html",
  enc("<!DOCTYPE html><script>alert(1)</script>"),
);
const SVG = enc('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>');
const GO = enc('package main\n\nfunc main() { println("héllo") }\n');

/** Every raw answer's safety headers. */
function assertSafetyHeaders(res: Response, what: string): void {
  assertEquals(res.headers.get("x-content-type-options"), "nosniff", what);
  assertEquals(res.headers.get("content-security-policy"), RAW_FILE_CSP, what);
  assertOk(RAW_FILE_CSP.includes("sandbox") && RAW_FILE_CSP.includes("default-src 'none'"));
  assertEquals(res.headers.get("cross-origin-resource-policy"), "same-origin", what);
}

Deno.test("raw files: type from the bytes, safety headers, whole content streamed from the store", async () => {
  const store = await openContentStore();
  try {
    const big = enc("x".repeat(SNIFF_BYTES * 3 + 17) + "\n");
    const files: Record<string, Uint8Array> = {
      "go.mod": enc("module example.com/assets\n"),
      "main.go": GO,
      "img/logo.png": PNG,
      "img/tree.gif": GIF,
      "img/photo.jpg": JPEG,
      "img/pic.webp": WEBP,
      "img/not-a-png.png": enc("just text, not an image\n"),
      "img/html.png": enc("<html><script>alert(1)</script></html>"),
      "img/png-named.txt": PNG,
      "web/go1.html": HTML,
      "web/logo.svg": SVG,
      "web/disguised.txt": enc("\n  <svg onload=alert(1)>"),
      "bin/noise.bin": randomBytes(200_000),
      "bin/zero.txt": enc("text\0with a NUL"),
      "big.txt": big,
      "empty": new Uint8Array(0),
    };
    const record = await store.publishFiles("example.com/assets", "v1.0.0", files);
    const source = storedZip(store.kv, record);
    const want: Record<string, [string, string | null]> = {
      "main.go": ["text/plain; charset=utf-8", null],
      "img/logo.png": ["image/png", null],
      "img/tree.gif": ["image/gif", null],
      "img/photo.jpg": ["image/jpeg", null],
      "img/pic.webp": ["image/webp", null],
      "img/not-a-png.png": ["text/plain; charset=utf-8", null],
      "img/html.png": [
        "application/octet-stream",
        `attachment; filename="html.png"; filename*=UTF-8''html.png`,
      ],
      "img/png-named.txt": ["image/png", null],
      "web/go1.html": [
        "application/octet-stream",
        `attachment; filename="go1.html"; filename*=UTF-8''go1.html`,
      ],
      "web/logo.svg": [
        "application/octet-stream",
        `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`,
      ],
      "web/disguised.txt": [
        "application/octet-stream",
        `attachment; filename="disguised.txt"; filename*=UTF-8''disguised.txt`,
      ],
      "bin/noise.bin": [
        "application/octet-stream",
        `attachment; filename="noise.bin"; filename*=UTF-8''noise.bin`,
      ],
      "bin/zero.txt": [
        "application/octet-stream",
        `attachment; filename="zero.txt"; filename*=UTF-8''zero.txt`,
      ],
      "big.txt": ["text/plain; charset=utf-8", null],
      "empty": ["text/plain; charset=utf-8", null],
    };
    for (const [path, [type, disposition]] of Object.entries(want)) {
      const res = await rawFileResponse((await streamZipFile(source, path))!);
      assertEquals(res.status, 200, path);
      assertEquals(res.headers.get("content-type"), type, path);
      assertEquals(res.headers.get("content-disposition"), disposition, path);
      assertEquals(res.headers.get("content-length"), String(files[path].length), path);
      assertSafetyHeaders(res, path);
      assertEquals(new Uint8Array(await res.arrayBuffer()), files[path], `${path} body`);
    }
    const head = await rawFileResponse((await streamZipFile(source, "img/logo.png"))!, {
      head: true,
    });
    assertEquals(head.body, null);
    assertEquals(head.headers.get("content-type"), "image/png");
    assertEquals(head.headers.get("content-length"), String(PNG.length));
  } finally {
    store.close();
  }
});

Deno.test("raw files: download names are encoded safely (RFC 6266)", () => {
  assertEquals(
    attachment("plain.bin"),
    `attachment; filename="plain.bin"; filename*=UTF-8''plain.bin`,
  );
  assertEquals(
    attachment('a"b\\c ü;%.bin'),
    `attachment; filename="a_b_c ___.bin"; filename*=UTF-8''a%22b%5Cc%20%C3%BC%3B%25.bin`,
  );
  assertEquals(
    attachment("x\r\nSet-Cookie: y=1"),
    `attachment; filename="x__Set-Cookie: y=1"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20y%3D1`,
  );
  assertEquals(
    attachment("🙂'(x)*!"),
    `attachment; filename="_'(x)*!"; filename*=UTF-8''%F0%9F%99%82%27%28x%29%2A%21`,
  );
  // Headers accept every value attachment() makes (no CR, LF or non-Latin-1 code point).
  new Headers({ "content-disposition": attachment("\u2028名前\n.bin") });
});

Deno.test("file kind: magic bytes, UTF-8 cut at the end, NULs, documents", () => {
  assertEquals(detectFileKind(PNG, true), { kind: "image", type: "image/png" });
  assertEquals(detectFileKind(GIF, true), { kind: "image", type: "image/gif" });
  assertEquals(detectFileKind(JPEG, true), { kind: "image", type: "image/jpeg" });
  assertEquals(detectFileKind(WEBP, true), { kind: "image", type: "image/webp" });
  assertEquals(detectFileKind(enc("RIFF\0\0\0\0WAVEfmt "), true), { kind: "binary" });
  assertEquals(detectFileKind(enc("GIF87b"), true), { kind: "text" });
  assertEquals(detectFileKind(new Uint8Array(0), true), { kind: "text" });
  const e = enc("aé"); // 61 c3 a9
  assertEquals(isText(e.subarray(0, 2), false), true, "cut inside é");
  assertEquals(isText(e.subarray(0, 2), true), false, "a complete file cannot end inside é");
  assertEquals(isText(Uint8Array.of(0x61, 0xff), false), false);
  assertEquals(isText(Uint8Array.of(0x61, 0xf0, 0x9f, 0x99), false), true, "cut inside 🙂");
  assertEquals(isText(Uint8Array.of(0x61, 0x80, 0x80, 0x80), false), false);
  assertEquals(isText(enc("a\0b"), true), false);
  assertEquals(isActiveDocument("x/page.HTM", enc("hi")), true);
  assertEquals(isActiveDocument("doc.pdf", enc("hi")), true);
  assertEquals(isActiveDocument("notes.txt", enc("\uFEFF  <!doctype HTML>\n<p>x")), true);
  assertEquals(isActiveDocument("notes.txt", enc("<?xml version='1.0'?><x/>")), true);
  assertEquals(isActiveDocument("notes.txt", enc("<b>bold</b> is a tag")), true);
  assertEquals(isActiveDocument("main.go", enc("package main // <html>")), false);
  assertEquals(isActiveDocument("notes.md", enc("<bold> text")), false);
});

Deno.test("file view: text up to the cap, images and binaries named, never decoded", async () => {
  const store = await openContentStore();
  try {
    const long = enc("é".repeat(VIEWER_MAX_BYTES)); // 2 MiB, every character two bytes
    const record = await store.publishFiles("example.com/view", "v1.0.0", {
      "go.mod": enc("module example.com/view\n"),
      "main.go": GO,
      "long.txt": long,
      "odd.txt": enc("é".repeat(10)),
      "logo.png": PNG,
      "noise.bin": randomBytes(1000),
    });
    const source = storedZip(store.kv, record);
    const view = async (p: string) => fileView((await readZipFile(source, p, VIEWER_MAX_BYTES))!);
    assertEquals(await view("main.go"), {
      kind: "text",
      text: new TextDecoder().decode(GO),
      lines: 3,
      truncated: false,
      size: GO.length,
    });
    const longView = await view("long.txt");
    assertEquals(longView.kind, "text");
    if (longView.kind === "text") {
      assertEquals(longView.truncated, true);
      assertEquals(longView.size, 2 * VIEWER_MAX_BYTES);
      assertEquals(longView.text, "é".repeat(VIEWER_MAX_BYTES / 2));
      assertEquals(longView.lines, 1);
    }
    const cut = fileView((await readZipFile(source, "odd.txt", 7))!);
    assertEquals(cut, { kind: "text", text: "ééé", lines: 1, truncated: true, size: 20 });
    assertEquals(await view("logo.png"), { kind: "image", type: "image/png", size: PNG.length });
    assertEquals(await view("noise.bin"), { kind: "binary", size: 1000 });
  } finally {
    store.close();
  }
});
