// Uploads that must be refused, each with its status and the rule named in the reason,
// and proof that nothing of a refused upload stays in the store.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { goModHash1Of, hash1Of, sha256Hex } from "./helpers/h1_oracle.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { buildZip, moduleZip, randomBytes } from "./helpers/zip.ts";

async function countKeys(server: TestServer, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of server.kv.list({ prefix: [prefix] })) n++;
  return n;
}

const longPath = "example.com/" + "a".repeat(1000);
const refusals: [string, () => Promise<Uint8Array>, number, string][] = [
  [
    "not a zip",
    () => Promise.resolve(new TextEncoder().encode("hello, not a zip")),
    400,
    "not a valid zip file",
  ],
  ["an empty body", () => Promise.resolve(new Uint8Array()), 400, "empty upload"],
  ["a zip with no entries", () => buildZip({}), 400, "no entries"],
  [
    "no path@version/ prefix",
    () => buildZip({ "go.mod": "module example.com/m\n" }),
    400,
    'no zip entry starts with a "module@version/" prefix',
  ],
  [
    "entries with different prefixes",
    () =>
      buildZip({
        "example.com/m@v1.0.0/go.mod": "module example.com/m\n",
        "example.com/n@v1.0.0/a.go": "package a\n",
      }),
    400,
    'example.com/n@v1.0.0/a.go: path does not have prefix "example.com/m@v1.0.0/"',
  ],
  [
    "an uppercase first path element",
    () => moduleZip("Example.com/m", "v1.0.0", { "a.go": "" }),
    400,
    "malformed module path",
  ],
  [
    "a path without a dot",
    () => moduleZip("example/m", "v1.0.0", { "a.go": "" }),
    400,
    "missing dot in first path element",
  ],
  [
    "a shorthand version",
    () => moduleZip("example.com/m", "v1.2", { "a.go": "" }),
    400,
    "is not canonical",
  ],
  [
    "build metadata",
    () => moduleZip("example.com/m", "v1.2.0+build5", { "a.go": "" }),
    400,
    "is not canonical",
  ],
  [
    "a version with a newline",
    () => buildZip({ "example.com/m@v1.0.0\nx/a.go": "" }),
    400,
    "not a semantic version",
  ],
  [
    "a major version that does not fit the path",
    () => moduleZip("example.com/m", "v2.0.0", { "go.mod": "module example.com/m\n" }),
    400,
    "should be v0 or v1, not v2",
  ],
  [
    "+incompatible with a go.mod",
    () => moduleZip("example.com/m", "v2.0.0+incompatible", { "go.mod": "module example.com/m\n" }),
    400,
    "module contains a go.mod file",
  ],
  [
    "a module path over the length limit",
    () => moduleZip(longPath, "v1.0.0", { "a.go": "" }),
    400,
    "module path is too long",
  ],
  [
    "a version over the length limit",
    () => moduleZip("example.com/m", "v1.0.0-" + "a".repeat(300), { "a.go": "" }),
    400,
    "version is too long",
  ],
  [
    "a directory entry",
    () => buildZip({ "example.com/m@v1.0.0/sub/": "", "example.com/m@v1.0.0/a.go": "" }),
    400,
    "directory entries are not allowed",
  ],
  [
    "a nested go.mod",
    () =>
      moduleZip("example.com/m", "v1.0.0", {
        "go.mod": "module example.com/m\n",
        "sub/go.mod": "module example.com/m/sub\n",
      }),
    400,
    "example.com/m@v1.0.0/sub/go.mod: go.mod file not in module root directory",
  ],
  [
    "an uppercase GO.MOD",
    () => moduleZip("example.com/m", "v1.0.0", { "GO.MOD": "module example.com/m\n" }),
    400,
    "go.mod files must have lowercase names",
  ],
  [
    "a case-insensitive collision",
    () => moduleZip("example.com/m", "v1.0.0", { "a.go": "", "A.go": "" }),
    400,
    "case-insensitive file name collision",
  ],
  [
    "an unclean file path",
    () => buildZip({ "example.com/m@v1.0.0/a/../b.go": "" }),
    400,
    "file path is not clean",
  ],
  [
    "a go.mod naming another module",
    () => moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/other\n" }),
    400,
    'module line says "example.com/other"',
  ],
  [
    "a go.mod that does not parse",
    () => moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\nrequire (\n" }),
    400,
    "go.mod:2: unterminated require block",
  ],
];

for (const [what, build, status, reason] of refusals) {
  Deno.test(`upload of ${what} → ${status} naming the rule, nothing stored`, async () => {
    const server = await startTestServer();
    try {
      const auth = await server.user("alice");
      const res = await server.upload("alice", await build(), auth);
      const text = await res.text();
      assertEquals(res.status, status, text);
      assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assertIncludes(text, reason);
      assertEquals(await countKeys(server, "blob"), 0, "chunks left behind");
      assertEquals(await countKeys(server, "upload"), 0, "lease left behind");
      assertEquals(await countKeys(server, "reclaim"), 0, "reclaim marker left behind");
      assertEquals(await countKeys(server, "version"), 0);
    } finally {
      await server.close();
    }
  });
}

Deno.test("authentication and authorisation of uploads: 401 anonymous or wrong, 403 read token or other owner, 404 unknown owner for admins", async () => {
  const server = await startTestServer();
  try {
    const alice = await server.user("alice");
    const reader = await server.user("rita", { scope: "read" });
    const admin = await server.user("root", { admin: true });
    const zip = await moduleZip("example.com/m", "v1.0.0", { "go.mod": "module example.com/m\n" });
    const cases: [string | undefined, string, number, string][] = [
      [undefined, "alice", 401, "authentication required"],
      ["Basic " + btoa("alice:myd_0000"), "alice", 401, "invalid credentials"],
      ["Bearer nonsense", "alice", 401, "invalid credentials"],
      [reader, "rita", 403, "read scope"],
      [alice, "rita", 403, 'may not publish to owner "rita"'],
      // An unknown owner: admins learn it does not exist; others are only refused.
      [admin, "ghost", 404, 'owner "ghost" not found'],
      [alice, "ghost", 403, 'user "alice" may not publish to owner "ghost"'],
    ];
    for (const [auth, owner, status, reason] of cases) {
      const res = await server.upload(owner, zip, auth);
      const text = await res.text();
      assertEquals(res.status, status, `${auth} → ${owner}: ${text}`);
      assertEquals(res.headers.get("content-type"), "text/plain; charset=utf-8");
      assertIncludes(text, reason);
      if (status === 401) {
        assertEquals(res.headers.get("www-authenticate"), 'Basic realm="modyard"');
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("an upload over the size limit → 413, by Content-Length before reading and by counting without one", async () => {
  const server = await startTestServer({ maxZipSize: 1000 });
  try {
    const auth = await server.user("alice");
    const big = await moduleZip("example.com/m", "v1.0.0", { "a.bin": randomBytes(4000) });
    const res = await server.upload("alice", big, auth);
    assertEquals(res.status, 413);
    assertIncludes(await res.text(), "limit is 1000 bytes");
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < big.length; i += 500) c.enqueue(big.slice(i, i + 500));
        c.close();
      },
    });
    const streamed = await fetch(`${server.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: chunks,
      headers: { authorization: auth },
    });
    assertEquals(streamed.status, 413);
    assertIncludes(await streamed.text(), "limit is 1000 bytes");
    assertEquals(await countKeys(server, "blob"), 0);
  } finally {
    await server.close();
  }
});

Deno.test("the 201 reply's sha256, h1, gomod_h1 and gosum equal values computed independently from the upload; the stored zip is byte-for-byte the upload; 409 names the stored h1", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const goMod = "module example.com/m\n\ngo 1.19\n";
    const big = randomBytes(300_000);
    const zip = await moduleZip("example.com/m", "v1.0.0", {
      "go.mod": goMod,
      "big.bin": big,
      "sub/a.go": "package sub\n",
    });
    const prefix = "example.com/m@v1.0.0/";
    const h1 = await hash1Of([
      { name: `${prefix}go.mod`, data: goMod },
      { name: `${prefix}big.bin`, data: big },
      { name: `${prefix}sub/a.go`, data: "package sub\n" },
    ]);
    const gomodH1 = await goModHash1Of(goMod);
    const res = await server.upload("alice", zip, auth);
    const created = await res.json();
    assertEquals(res.status, 201);
    assertEquals(Object.keys(created).sort(), [
      "gomod_h1",
      "gosum",
      "h1",
      "module",
      "sha256",
      "size",
      "version",
    ]);
    assertEquals(created.module, "example.com/m");
    assertEquals(created.version, "v1.0.0");
    assertEquals(created.size, zip.length);
    assertEquals(created.sha256, await sha256Hex(zip));
    assertEquals(created.h1, h1);
    assertEquals(created.gomod_h1, gomodH1);
    assertEquals(
      created.gosum,
      `example.com/m v1.0.0 ${h1}\nexample.com/m v1.0.0/go.mod ${gomodH1}\n`,
    );
    const download = new Uint8Array(
      await (await fetch(`${server.proxy("alice")}/example.com/m/@v/v1.0.0.zip`)).arrayBuffer(),
    );
    assertEquals(download, zip);
    const other = await moduleZip("example.com/m", "v1.0.0", {
      "go.mod": "module example.com/m\n",
    });
    const conflict = await server.upload("alice", other, auth);
    assertEquals(conflict.status, 409);
    assertIncludes(await conflict.text(), h1);
  } finally {
    await server.close();
  }
});

Deno.test("a go.mod larger than one KV value is stored in chunks and served verbatim", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    let mod = "module example.com/bigmod\n\ngo 1.19\n\nrequire (\n";
    for (let i = 0; mod.length < 200_000; i++) mod += `\texample.com/dep${i} v1.0.${i}\n`;
    mod += ")\n";
    const zip = await moduleZip("example.com/bigmod", "v1.0.0", { "go.mod": mod });
    const res = await server.upload("alice", zip, auth);
    assertEquals(res.status, 201, await res.clone().text());
    await res.body?.cancel();
    const served = await (await fetch(`${server.proxy("alice")}/example.com/bigmod/@v/v1.0.0.mod`))
      .text();
    assertEquals(served.length, mod.length);
    assertEquals(served, mod);
  } finally {
    await server.close();
  }
});
