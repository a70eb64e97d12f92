// The README's walkthrough, step by step: a module zip made with Info-ZIP's `zip -rD`, uploaded
// with `curl --upload-file`, answers 201 and is served (and installed by the real `go` command);
// the same tree zipped with `zip -r` (directory entries included) is refused with 400 naming them.
import { createHash } from "node:crypto";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { cliStore } from "./helpers/cli_store.ts";
import { goPrerequisites, goSandbox } from "./helpers/go.ts";

const MOD = "example.com/hello";

function onPath(command: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${command}`).isFile) return true;
    } catch { /* next */ }
  }
  return false;
}

/** Whether zip and curl are installed (in CI their absence fails; elsewhere the test skips). */
function zipAndCurl(): boolean {
  const missing = ["zip", "curl"].filter((c) => !onPath(c));
  if (missing.length === 0) return true;
  const message = `missing: ${missing.join(", ")} (apt-get install ${missing.join(" ")})`;
  if (Deno.env.get("CI")) throw new Error(message);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

/** Runs a shell script in `cwd` (20 s at most); returns stdout, failing on a non-zero exit. */
async function sh(script: string, cwd: string): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", script],
    cwd,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `${script}\n${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

/** `curl --user alice:TOKEN --upload-file FILE URL`, as in the README; returns status and body. */
async function curlUpload(file: string, token: string, url: string, cwd: string) {
  const out = await sh(
    `curl -sS --max-time 15 -w '\\n%{http_code}' --user "alice:$TOKEN" --upload-file ${file} ${url}`
      .replace("$TOKEN", token),
    cwd,
  );
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

Deno.test({
  name:
    "walkthrough: a `zip -rD` archive uploaded with curl is 201 and served; `zip -r` is 400 naming the directory entries",
  ignore: !zipAndCurl(),
  async fn() {
    const s = await cliStore("modyard-walkthrough-");
    try {
      const server = await s.serve();
      await s.ok(["user", "create", "alice"]);
      const token = await s.ok([
        "token",
        "create",
        "alice",
        "--scope",
        "write",
        "--label",
        "laptop",
      ]);
      const upload = `${server.url}/api/packages/alice/go/upload`;

      // The README's lines, in a temporary directory instead of /tmp/z.
      const z = `${s.dir}/z`;
      await Deno.mkdir(z);
      await sh(
        [
          "mkdir -p example.com/hello@v1.0.0",
          "printf 'module example.com/hello\\n\\ngo 1.19\\n' > example.com/hello@v1.0.0/go.mod",
          `printf 'package main\\n\\nfunc main() { println("hello") }\\n' > example.com/hello@v1.0.0/main.go`,
          "zip -rD hello.zip example.com",
          "zip -r hello-with-dirs.zip example.com",
        ].join("\n"),
        z,
      );
      const listing = await sh("unzip -Z1 hello-with-dirs.zip", z);
      assertIncludes(listing, "example.com/hello@v1.0.0/\n"); // what -D leaves out
      assertEquals(
        (await sh("unzip -Z1 hello.zip", z)).split("\n").filter((l) => l).sort(),
        [`${MOD}@v1.0.0/go.mod`, `${MOD}@v1.0.0/main.go`],
      );

      // Without -D: refused, naming each directory entry and the fix; nothing stored.
      const base = `${server.url}/api/packages/alice/go/${MOD}/@v`;
      const refused = await curlUpload("hello-with-dirs.zip", token, upload, z);
      assertEquals(refused.status, 400, refused.body);
      assertIncludes(
        refused.body,
        `${MOD}@v1.0.0/: directory entries are not allowed: the go command hashes them but not ` +
          "the extracted tree, so `go mod verify` would fail; rebuild the zip with `zip -D`",
      );
      assertIncludes(refused.body, `example.com/: path does not have prefix "${MOD}@v1.0.0/"`);
      const none = await fetch(`${base}/list`);
      assertEquals([none.status, await none.text()], [404, `${MOD}: not found\n`]);

      // With -D: 201 with the reply the README shows, then served byte for byte.
      const zip = await Deno.readFile(`${z}/hello.zip`);
      const goMod = "module example.com/hello\n\ngo 1.19\n";
      const created = await curlUpload("hello.zip", token, upload, z);
      assertEquals(created.status, 201, created.body);
      const reply = JSON.parse(created.body);
      assertEquals(Object.keys(reply), [
        "module",
        "version",
        "size",
        "sha256",
        "h1",
        "gomod_h1",
        "gosum",
      ]);
      assertEquals([reply.module, reply.version, reply.size], [MOD, "v1.0.0", zip.length]);
      assertEquals(reply.sha256, createHash("sha256").update(zip).digest("hex"));
      assertEquals(
        reply.gosum,
        `${MOD} v1.0.0 ${reply.h1}\n${MOD} v1.0.0/go.mod ${reply.gomod_h1}\n`,
      );
      const get = async (file: string) => {
        const res = await fetch(`${base}/${file}`);
        return [res.status, new Uint8Array(await res.arrayBuffer())] as const;
      };
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      const [listStatus, list] = await get("list");
      assertEquals([listStatus, text(list)], [200, "v1.0.0\n"]);
      const [modStatus, mod] = await get("v1.0.0.mod");
      assertEquals([modStatus, text(mod)], [200, goMod]);
      const [infoStatus, info] = await get("v1.0.0.info");
      assertEquals([infoStatus, JSON.parse(text(info)).Version], [200, "v1.0.0"]);
      const [zipStatus, served] = await get("v1.0.0.zip");
      assertEquals([zipStatus, served], [200, zip]);

      // The walkthrough's last line: the go command installs it, and records the same hashes.
      if (goPrerequisites([])) {
        const go = await goSandbox(`${server.url}/api/packages/alice/go`);
        try {
          const install = await go.run(["install", `${MOD}@latest`], go.dir, { GOFLAGS: "" });
          assertEquals(install.code, 0, install.stderr);
          const ran = await new Deno.Command(`${go.dir}/gopath/bin/hello`, {
            stdout: "piped",
            stderr: "piped",
            signal: AbortSignal.timeout(10_000),
          }).output();
          assertEquals(new TextDecoder().decode(ran.stderr), "hello\n"); // println writes to stderr
          const download = await go.run(["mod", "download", "-json", `${MOD}@v1.0.0`], go.dir);
          assertEquals(download.code, 0, download.stderr);
          const { Sum, GoModSum } = JSON.parse(download.stdout);
          assertEquals([Sum, GoModSum], [reply.h1, reply.gomod_h1]);
          assertOk(Sum.startsWith("h1:"));
        } finally {
          await go.cleanup();
        }
      }
    } finally {
      await s.cleanup();
    }
  },
});
