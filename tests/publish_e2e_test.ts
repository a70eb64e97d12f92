// Publish a directory with the command, then `go install` it through modyard; exit codes 3
// (already published, with both hashes) and 4 (auth); credentials from MODYARD_TOKEN,
// --token-stdin and .netrc.
import { assertEquals, assertIncludes, assertMatch } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox, outputWithin } from "./helpers/go.ts";
import { MAIN_TS, runCli, runMain, spawnServer } from "./helpers/server.ts";

function publish(args: string[], env: Record<string, string> = {}, stdin?: string) {
  return runMain(["publish", ...args], { env, stdin });
}

/** A server over a fresh store with owner acme and its write token, and a source dir. */
async function fixture(prefix: string) {
  const dir = await Deno.makeTempDir({ prefix });
  const kvPath = `${dir}/modyard.kv`;
  await runCli(kvPath, ["user", "create", "acme"]);
  const token = (await runCli(kvPath, ["token", "create", "acme", "--scope", "write"])).stdout
    .trim();
  const server = await spawnServer(kvPath);
  const src = `${dir}/src`;
  await Deno.mkdir(src);
  return {
    dir,
    src,
    token,
    server,
    async cleanup() {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: "modyard publish, then go install through modyard; 409 → exit 3, bad credentials → exit 4",
  ignore: !goPrerequisites([]),
  async fn() {
    const { dir, src, token, server, cleanup } = await fixture("modyard-pub-");
    const go = await goSandbox(`${server.url}/api/packages/acme/go`);
    try {
      await Deno.writeTextFile(`${src}/go.mod`, "module acme.example.com/greet\n\ngo 1.19\n");
      await Deno.writeTextFile(
        `${src}/main.go`,
        'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("greetings") }\n',
      );
      const args = (
        version: string,
      ) => [src, "--url", server.url, "--owner", "acme", "--version", version, "--allow-dirty"];
      const common = args("v1.0.0");

      const first = await publish(common, { MODYARD_TOKEN: token });
      assertEquals(first.code, 0, first.stderr);
      assertIncludes(first.stdout, "published\nacme.example.com/greet v1.0.0 h1:");
      assertIncludes(first.stderr, "uploading: "); // plain progress lines when not on a terminal

      const install = await go.run(["install", "acme.example.com/greet@v1.0.0"], go.dir, {
        GOFLAGS: "",
      });
      assertEquals(install.code, 0, install.stderr);
      const ran = await outputWithin(
        `${go.dir}/gopath/bin/greet`,
        { stdout: "piped" },
        60_000,
        "the installed greet program",
      );
      assertEquals(new TextDecoder().decode(ran.stdout), "greetings\n");
      const sum = JSON.parse(
        (await go.run(["mod", "download", "-json", "acme.example.com/greet@v1.0.0"], go.dir))
          .stdout,
      ).Sum;
      assertIncludes(first.stdout, `acme.example.com/greet v1.0.0 ${sum}\n`);

      // Same version, other content: exit 3 with the stored and the local h1.
      await Deno.writeTextFile(
        `${src}/main.go`,
        'package main\n\nfunc main() { println("changed") }\n',
      );
      const again = await publish(common, { NETRC: "/dev/null" }, token + "\n");
      assertEquals(again.code, 4, "--token-stdin not given: stdin is not read");
      assertIncludes(again.stderr, "no credentials");
      const conflict = await publish([...common, "--token-stdin"], {}, token + "\n");
      assertEquals(conflict.code, 3, conflict.stderr);
      assertIncludes(conflict.stderr, `stored: ${sum}`);
      assertIncludes(conflict.stderr, "local:  h1:");

      // Credentials from .netrc; a wrong one is exit 4.
      await Deno.writeTextFile(`${dir}/netrc`, `machine 127.0.0.1 login acme password ${token}\n`);
      const viaNetrc = await publish(args("v1.0.1"), {
        NETRC: `${dir}/netrc`,
      });
      assertEquals(viaNetrc.code, 0, viaNetrc.stderr);
      const denied = await publish(args("v1.0.2"), {
        MODYARD_TOKEN: "myd_0000000000000000000000000000000000000000",
      });
      assertEquals(denied.code, 4);
      assertIncludes(denied.stderr, "refused (401): invalid credentials");
    } finally {
      await go.cleanup();
      await cleanup();
    }
  },
});

Deno.test({
  name: "publish on a terminal draws a progress bar (bytes, percent, rate)",
  ignore: !goPrerequisites([]),
  async fn() {
    const { src, token, server, cleanup } = await fixture("modyard-tty-");
    try {
      await Deno.writeTextFile(`${src}/go.mod`, "module acme.example.com/tty\n");
      await Deno.writeFile(`${src}/blob.bin`, new Uint8Array(2 * 1024 * 1024));
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        MAIN_TS,
        "publish",
        src,
        "--url",
        server.url,
        "--owner",
        "acme",
        "--version",
        "v1.0.0",
      ]
        .map((a) => `'${a}'`).join(" ");
      // script(1) gives the command a pseudo-terminal, as an interactive user has.
      const out = await outputWithin(
        "script",
        {
          args: ["-qec", command, "/dev/null"],
          env: { MODYARD_TOKEN: token },
          stdout: "piped",
          stderr: "piped",
        },
        120_000,
        "publish under script(1)",
      );
      const text = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, text);
      assertMatch(text, /\r\[=+\s*\] \d+\.\d\/\d+\.\d MiB 100% [\d.]+ MB\/s/);
      assertIncludes(text, "published");
    } finally {
      await cleanup();
    }
  },
});
