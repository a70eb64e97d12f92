// Provenance: an upload may carry `X-Modyard-Origin` (VCS, URL, Subdir, Ref, Hash); its shape
// is validated (400 otherwise), it is stored with the version and answered in `.info` as
// `Origin` and in the packages API as `origin`; `.info` without it is byte-identical to
// before. `publish` from a git checkout sends it (credentials stripped from the remote URL),
// and the real `go` command prints the Origin it received.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { git } from "./helpers/git.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";
import { runMain, startTestServer, type TestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";
import { encodeOriginHeader, parseOriginHeader, stripCredentials } from "../src/registry/origin.ts";

const SHA1 = "0123456789abcdef0123456789abcdef01234567";
const SHA256 = "ab".repeat(32);

// [header value, accepted?]
const headers: [string, boolean][] = [
  [`{"VCS":"git","URL":"https://github.com/o/r","Hash":"${SHA1}"}`, true],
  [`{"VCS":"git","URL":"http://git.example/o/r.git","Hash":"${SHA256}"}`, true],
  [`{"VCS":"git","URL":"ssh://git@git.example/o/r.git","Hash":"${SHA1}"}`, true],
  [`{"VCS":"git","URL":"git@github.com:o/r.git","Hash":"${SHA1}"}`, true],
  [
    `{"VCS":"git","URL":"https://github.com/o/r","Subdir":"a/b","Ref":"refs/tags/a/b/v1.0.0","Hash":"${SHA1}"}`,
    true,
  ],
  [`{"VCS":"git","URL":"https://github.com/o/r","Ref":"refs/heads/main","Hash":"${SHA1}"}`, true],
  // credentials in the URL
  [`{"VCS":"git","URL":"https://user:pw@github.com/o/r","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://ghp_token@github.com/o/r","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"ssh://git:pw@git.example/o/r","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r?access_token=x","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"a.b:pw@host.example:o/r","Hash":"${SHA1}"}`, false],
  // other URL shapes
  [`{"VCS":"git","URL":"file:///srv/r.git","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"/srv/r.git","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://git hub.com/o/r","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","Hash":"${SHA1}"}`, false],
  // VCS, Hash
  [`{"VCS":"hg","URL":"https://github.com/o/r","Hash":"${SHA1}"}`, false],
  [`{"URL":"https://github.com/o/r","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Hash":"${SHA1.toUpperCase()}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Hash":"${SHA1.slice(1)}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r"}`, false],
  // Subdir, Ref
  [`{"VCS":"git","URL":"https://github.com/o/r","Subdir":"../x","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Subdir":"/abs","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Subdir":"a//b","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Subdir":"","Hash":"${SHA1}"}`, false],
  [
    `{"VCS":"git","URL":"https://github.com/o/r","Subdir":"${"a".repeat(1025)}","Hash":"${SHA1}"}`,
    false,
  ],
  [`{"VCS":"git","URL":"https://github.com/o/r","Ref":"v1.0.0","Hash":"${SHA1}"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Ref":"refs/pull/1","Hash":"${SHA1}"}`, false],
  [
    `{"VCS":"git","URL":"https://github.com/o/r","Ref":"refs/tags/${
      "v".repeat(250)
    }","Hash":"${SHA1}"}`,
    false,
  ],
  // not an object of strings with known keys; too long
  [`[]`, false],
  [`null`, false],
  [`not json`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Hash":"${SHA1}","Extra":"x"}`, false],
  [`{"VCS":"git","URL":"https://github.com/o/r","Hash":1}`, false],
  [
    `{"VCS":"git","URL":"https://github.com/${"o".repeat(1000)}","Subdir":"${
      "s".repeat(1000)
    }","Hash":"${SHA1}"}`,
    false,
  ],
];

for (const [value, ok] of headers) {
  Deno.test(`parseOriginHeader(${value.slice(0, 100)}) ${ok ? "accepts" : "refuses"}`, () => {
    let accepted = true;
    try {
      const origin = parseOriginHeader(value);
      assertEquals(origin, JSON.parse(value));
    } catch (err) {
      if (!(err instanceof SyntaxError || err instanceof RangeError)) throw err;
      accepted = false;
    }
    assertEquals(accepted, ok);
  });
}

const urls: [string, string][] = [
  ["https://user:ghp_secret@github.com/o/r.git", "https://github.com/o/r.git"],
  ["https://ghp_token@github.com/o/r", "https://github.com/o/r"],
  ["https://github.com/o/r?token=x#f", "https://github.com/o/r"],
  ["ssh://git:pw@git.example/o/r.git", "ssh://git@git.example/o/r.git"],
  ["git@github.com:o/r.git", "git@github.com:o/r.git"],
];
for (const [input, want] of urls) {
  Deno.test(`stripCredentials(${input})`, () => assertEquals(stripCredentials(input), want));
}

const MOD = "example.com/m";

async function info(server: TestServer, version: string): Promise<Response> {
  return await fetch(`${server.proxy("alice")}/${MOD}/@v/${version}.info`);
}

async function packagesEntry(server: TestServer, module: string, version: string) {
  const res = await fetch(
    `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(module)}/${version}`,
  );
  assertEquals(res.status, 200);
  return await res.json();
}

Deno.test("upload with X-Modyard-Origin: .info and the packages API show it; without, unchanged; malformed, 400", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const origin = {
      VCS: "git",
      URL: "https://git.example/o/r.git",
      Subdir: "m",
      Ref: "refs/tags/m/v1.0.0",
      Hash: SHA1,
    };
    const put = (zip: Uint8Array, header?: string) =>
      fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth, ...(header ? { "x-modyard-origin": header } : {}) },
      });

    // Malformed: 400 with a plain-text reason, nothing published.
    const bad = await put(
      await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }),
      JSON.stringify({ ...origin, URL: "https://me:secret@git.example/o/r.git" }),
    );
    assertEquals(bad.status, 400);
    assertEquals(
      await bad.text(),
      'x-modyard-origin: Origin URL "https://me:secret@git.example/o/r.git" must not contain credentials\n',
    );
    assertEquals((await info(server, "v1.0.0")).status, 404);

    // With the header (fields in another order): .info has exactly that Origin.
    const { Hash, ...rest } = origin;
    let res = await put(
      await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` }),
      JSON.stringify({ Hash, ...rest }),
    );
    assertEquals(res.status, 201, await res.text());
    const entry = await packagesEntry(server, MOD, "v1.0.0");
    res = await info(server, "v1.0.0");
    assertEquals(res.status, 200);
    assertEquals(
      await res.text(),
      `{"Version":"v1.0.0","Time":"${entry.time}","Origin":{"VCS":"git","URL":"https://git.example/o/r.git","Subdir":"m","Ref":"refs/tags/m/v1.0.0","Hash":"${SHA1}"}}\n`,
    );
    assertEquals(entry.origin, origin);

    // Without it (plain curl --upload-file): .info is exactly {"Version","Time"}.
    res = await server.upload(
      "alice",
      await moduleZip(MOD, "v1.1.0", { "go.mod": `module ${MOD}\n` }),
      auth,
    );
    assertEquals(res.status, 201, await res.text());
    const plain = await packagesEntry(server, MOD, "v1.1.0");
    res = await info(server, "v1.1.0");
    assertEquals(await res.text(), `{"Version":"v1.1.0","Time":"${plain.time}"}\n`);
    assertEquals("origin" in plain, false);
    // @latest is the same .info body.
    res = await fetch(`${server.proxy("alice")}/${MOD}/@latest`);
    assertEquals(await res.text(), `{"Version":"v1.1.0","Time":"${plain.time}"}\n`);

    // A non-ASCII URL travels escaped and comes back as sent.
    const unicode = { VCS: "git" as const, URL: "https://git.example/ü/r", Hash: SHA1 };
    res = await put(
      await moduleZip(MOD, "v1.2.0", { "go.mod": `module ${MOD}\n` }),
      encodeOriginHeader(unicode),
    );
    assertEquals(res.status, 201, await res.text());
    assertEquals((await (await info(server, "v1.2.0")).json()).Origin, unicode);
  } finally {
    await server.close();
  }
});

Deno.test("a version deleted and published again with another Origin answers the new .info, not 304 on the old tag", async () => {
  const server = await startTestServer();
  try {
    const auth = await server.user("alice");
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    const put = (hash: string) =>
      fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: {
          authorization: auth,
          "x-modyard-origin": JSON.stringify({
            VCS: "git",
            URL: "https://git.example/r",
            Hash: hash,
          }),
        },
      });
    const first = await put(SHA1);
    assertEquals(first.status, 201, await first.text());
    const old = await info(server, "v1.0.0");
    const oldTag = old.headers.get("etag")!;
    assertEquals((await old.json()).Origin.Hash, SHA1);

    const del = await fetch(`${server.url}/api/v1/packages/alice/go/${MOD}/v1.0.0`, {
      method: "DELETE",
      headers: { authorization: auth },
    });
    assertEquals(del.status, 204, await del.text());
    // The same bytes (the pin allows them) from another commit.
    const other = "f".repeat(40);
    const again = await put(other);
    assertEquals(again.status, 201, await again.text());

    const res = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.info`, {
      headers: { "if-none-match": oldTag },
    });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).Origin.Hash, other);
    const tag = res.headers.get("etag")!;
    assertEquals(tag === oldTag, false);
    const cached = await fetch(`${server.proxy("alice")}/${MOD}/@v/v1.0.0.info`, {
      headers: { "if-none-match": tag },
    });
    await cached.body?.cancel();
    assertEquals(cached.status, 304);
  } finally {
    await server.close();
  }
});

/** A git repository with a root module (tag v1.0.0) and a subdirectory module (sub/v0.1.0). */
async function makeRepo(): Promise<{ repo: string; hash: string }> {
  const repo = await Deno.makeTempDir({ prefix: "modyard-origin-" });
  await git(repo, "init", "-q");
  await Deno.writeTextFile(`${repo}/go.mod`, `module ${MOD}\n\ngo 1.19\n`);
  await Deno.writeTextFile(`${repo}/m.go`, 'package m\n\nconst Name = "m"\n');
  await Deno.mkdir(`${repo}/sub`);
  await Deno.writeTextFile(`${repo}/sub/go.mod`, `module ${MOD}/sub\n`);
  await Deno.writeTextFile(`${repo}/sub/sub.go`, "package sub\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "first");
  await git(repo, "tag", "v1.0.0");
  await git(repo, "tag", "sub/v0.1.0");
  await git(repo, "remote", "add", "origin", "https://bob:hunter2@git.example/team/m.git");
  return { repo, hash: await git(repo, "rev-parse", "HEAD") };
}

Deno.test("publish from a git checkout sends the Origin: remote without credentials, Subdir, tag Ref, HEAD's hash", async () => {
  const server = await startTestServer();
  const { repo, hash } = await makeRepo();
  try {
    const auth = await server.user("alice");
    const token = atob(auth.slice("Basic ".length)).split(":")[1];
    const env = { MODYARD_TOKEN: token };
    const args = ["publish", "--url", server.url, "--owner", "alice"];

    let r = await runMain(args, { cwd: repo, env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await (await info(server, "v1.0.0")).json()).Origin, {
      VCS: "git",
      URL: "https://git.example/team/m.git",
      Ref: "refs/tags/v1.0.0",
      Hash: hash,
    });

    r = await runMain(args, { cwd: `${repo}/sub`, env });
    assertEquals(r.code, 0, r.stderr);
    const sub = await fetch(`${server.proxy("alice")}/${MOD}/sub/@v/v0.1.0.info`);
    assertEquals((await sub.json()).Origin, {
      VCS: "git",
      URL: "https://git.example/team/m.git",
      Subdir: "sub",
      Ref: "refs/tags/sub/v0.1.0",
      Hash: hash,
    });
    assertEquals((await packagesEntry(server, `${MOD}/sub`, "v0.1.0")).origin.Subdir, "sub");

    // An explicit version that no tag names: no Ref; the dry run says what would be sent.
    r = await runMain([...args, "--version", "v1.0.1", "--dry-run"], { cwd: repo, env });
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(
      r.stdout,
      `origin: {"VCS":"git","URL":"https://git.example/team/m.git","Hash":"${hash}"}\n`,
    );
    r = await runMain([...args, "--version", "v1.0.1"], { cwd: repo, env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await (await info(server, "v1.0.1")).json()).Origin, {
      VCS: "git",
      URL: "https://git.example/team/m.git",
      Hash: hash,
    });

    // No remote: published without an Origin, .info as before.
    await git(repo, "remote", "remove", "origin");
    r = await runMain([...args, "--version", "v1.0.2"], { cwd: repo, env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(Object.keys(await (await info(server, "v1.0.2")).json()), ["Version", "Time"]);
  } finally {
    await Deno.remove(repo, { recursive: true });
    await server.close();
  }
});

Deno.test({
  name: "go mod download -json (the real go command) prints the Origin modyard answered",
  ignore: !goPrerequisites([]),
  async fn() {
    const server = await startTestServer();
    const go = await goSandbox(server.proxy("alice"));
    const { repo, hash } = await makeRepo();
    try {
      const auth = await server.user("alice");
      const token = atob(auth.slice("Basic ".length)).split(":")[1];
      const r = await runMain(["publish", "--url", server.url, "--owner", "alice"], {
        cwd: repo,
        env: { MODYARD_TOKEN: token },
      });
      assertEquals(r.code, 0, r.stderr);
      const dl = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir);
      assertEquals(dl.code, 0, dl.stderr);
      const out = JSON.parse(dl.stdout);
      assertEquals(out.Origin, {
        VCS: "git",
        URL: "https://git.example/team/m.git",
        Ref: "refs/tags/v1.0.0",
        Hash: hash,
      });
      assertEquals(out.Version, "v1.0.0");
    } finally {
      await go.cleanup();
      await Deno.remove(repo, { recursive: true });
      await server.close();
    }
  },
});
