// The single-file artifact: `deno task bundle`'s command writes one JavaScript file with
// every dependency inside (and the README renderer's worker beside it); started with nothing
// but those files, the store directory and narrow permissions, it serves, publishes, answers
// its own CLI commands, renders a README page, and the real `go` command installs a program
// through it.
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { goPrerequisites, goSandbox, outputWithin } from "./helpers/go.ts";
import { basic, freePort, waitUntilHealthy } from "./helpers/server.ts";
import { exitCodeWithin } from "./helpers/signals.ts";
import { moduleZip } from "./helpers/zip.ts";

const REPO = new URL("..", import.meta.url).pathname;

/**
 * The bundle task's commands from deno.json (`deno …` joined by `&&`), writing into `dir`
 * instead of dist/: the server (`dist/modyard.js`) and the README renderer's worker.
 */
async function bundleCommands(dir: string): Promise<string[][]> {
  const config = JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`));
  const task = String(config.tasks.bundle);
  assertOk(task.includes("dist/modyard.js"), `the bundle task does not write dist/modyard.js`);
  assertOk(task.includes("dist/readme_worker.js"), `the bundle task writes no README worker`);
  return task.split("&&").map((command) => {
    const words = command.trim().split(/\s+/);
    assertEquals(words[0], "deno");
    return words.slice(1).map((w) => w.startsWith("dist/") ? `${dir}/${w.slice(5)}` : w);
  });
}

/** `deno run` with the permissions the README gives the bundle: the store directory only. */
function bundleRun(dir: string, bundle: string, args: string[]): string[] {
  return [
    "run",
    "--unstable-kv",
    "--allow-net",
    "--allow-env",
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    bundle,
    ...args,
  ];
}

Deno.test({
  name:
    "the bundle alone serves an empty store: CLI user and token, a PUT upload, and go install through it",
  ignore: !goPrerequisites([]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "modyard-bundle-" });
    const bundle = `${dir}/modyard.js`;
    const kvPath = `${dir}/s.kv`;
    let server: Deno.ChildProcess | undefined;
    const go = await goSandbox("off");
    try {
      for (const args of await bundleCommands(dir)) {
        const built = await outputWithin(
          Deno.execPath(),
          { args, cwd: REPO, stdout: "piped", stderr: "piped" },
          120_000,
          "deno bundle",
        );
        assertEquals(built.code, 0, new TextDecoder().decode(built.stderr));
      }
      const size = (await Deno.stat(bundle)).size;
      console.log(`bundle: ${size} bytes`);
      assertOk(size > 100_000 && size < 5_000_000, `bundle of ${size} bytes`);
      // Every dependency inside: the only imports left are the runtime's own node: modules.
      const source = await Deno.readTextFile(bundle);
      const imported = [...source.matchAll(/^\s*import\s[^;]*?\sfrom\s+["']([^"']+)["']/gm)]
        .map((m) => m[1]).filter((s) => !s.startsWith("node:"));
      assertEquals(imported, []);

      const cli = async (args: string[]) => {
        const out = await outputWithin(
          Deno.execPath(),
          {
            args: bundleRun(dir, bundle, [...args, "--kv", kvPath]),
            cwd: dir,
            stdout: "piped",
            stderr: "piped",
          },
          60_000,
          `bundle ${args.join(" ")}`,
        );
        const stderr = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 0, stderr);
        return new TextDecoder().decode(out.stdout);
      };
      await cli(["user", "create", "alice"]);
      const token = (await cli(["token", "create", "alice", "--scope", "write"])).trim();

      const port = freePort();
      server = new Deno.Command(Deno.execPath(), {
        args: bundleRun(dir, bundle, [
          "serve",
          "--kv",
          kvPath,
          "--port",
          String(port),
          "--hostname",
          "127.0.0.1",
        ]),
        cwd: dir,
        stdout: "null",
        stderr: "inherit",
      }).spawn();
      const url = `http://127.0.0.1:${port}`;
      await waitUntilHealthy(url);

      const zip = await moduleZip("example.com/hello", "v1.0.0", {
        "README.md": "# Hello from the bundle\n\nIt *renders*.<script>alert(1)</script>\n",
        "go.mod": "module example.com/hello\n\ngo 1.19\n",
        "main.go":
          'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from the bundle") }\n',
      });
      const up = await fetch(`${url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("alice", token) },
      });
      const reply = await up.text();
      assertEquals(up.status, 201, reply);
      assertEquals(JSON.parse(reply).module, "example.com/hello");

      const installed = await go.run(
        ["install", "example.com/hello@latest"],
        go.dir,
        { GOPROXY: `${url}/api/packages/alice/go` },
      );
      assertEquals(installed.code, 0, installed.stderr);
      const ran = await outputWithin(
        `${go.dir}/gopath/bin/hello`,
        { stdout: "piped" },
        60_000,
        "hello",
      );
      assertEquals(new TextDecoder().decode(ran.stdout), "hello from the bundle\n");

      // The web UI of the bundle renders the README's Markdown (the bundled worker beside it).
      const page = await fetch(`${url}/alice/example.com/hello/@v1.0.0`);
      const html = await page.text();
      assertEquals(page.status, 200, html.slice(0, 500));
      assertOk(/<h1[^>]*>Hello from the bundle<\/h1>/.test(html), "the README's heading");
      assertOk(html.includes("<em>renders</em>"), "the README's emphasis");
      assertOk(!html.includes("alert(1)"), "the README's script removed");

      server.kill("SIGTERM");
      assertEquals(await exitCodeWithin(server, 15_000), 0);
      server = undefined;
    } finally {
      if (server) {
        server.kill("SIGKILL");
        await server.status;
      }
      await go.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
