// The publish command's options from the README's "Publishing" section: `--module` for a tree
// without go.mod, which credential wins (`--token-stdin` over `MODYARD_TOKEN` over `.netrc`),
// and symbolic links left out of the zip (directory and git tag alike).
import { configure, Uint8ArrayReader, ZipReader } from "@zip.js/zip.js";
import { assertEquals, assertIncludes, assertMatch } from "./helpers/assert.ts";
import { runMainBounded } from "./helpers/bounded_main.ts";
import { type CliStore, cliStore } from "./helpers/cli_store.ts";
import type { ServerProcess } from "./helpers/server.ts";

configure({ useWebWorkers: false });

/** Entry names of a zip, in archive order. */
async function entryNames(zip: Uint8Array): Promise<string[]> {
  const reader = new ZipReader(new Uint8ArrayReader(zip));
  try {
    return (await reader.getEntries()).map((e) => e.filename);
  } finally {
    await reader.close();
  }
}

/** A store with owner `acme` and its write token, served. */
async function fixture(prefix: string): Promise<{
  s: CliStore;
  server: ServerProcess;
  token: string;
  src: string;
}> {
  const s = await cliStore(prefix);
  await s.ok(["user", "create", "acme"]);
  const token = await s.ok(["token", "create", "acme", "--scope", "write"]);
  const server = await s.serve();
  const src = `${s.dir}/src`;
  await Deno.mkdir(src);
  return { s, server, token, src };
}

/** Runs `main.ts publish …` with no credentials but those given (no ~/.netrc either). */
function publish(
  s: CliStore,
  args: string[],
  credentials: { env?: string; netrc?: string; stdin?: string } = {},
) {
  return runMainBounded(["publish", ...args], {
    cwd: s.dir,
    stdin: credentials.stdin,
    env: {
      MODYARD_TOKEN: credentials.env ?? "",
      NETRC: credentials.netrc ?? `${s.dir}/no-such-netrc`,
      HOME: s.dir,
    },
  });
}

Deno.test("publish --module: a tree without go.mod is published under that path; .mod answers `module <path>`", async () => {
  const { s, server, token, src } = await fixture("modyard-pubmod-");
  try {
    await Deno.mkdir(`${src}/sub`);
    await Deno.writeTextFile(`${src}/lib.go`, "package nomod\n");
    await Deno.writeTextFile(`${src}/sub/x.go`, "package sub\n");
    const mod = "example.com/nomod";
    const common = [src, "--module", mod, "--version", "v1.0.0"];

    const dry = await publish(s, [...common, "--dry-run"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertIncludes(dry.stdout, `${mod}@v1.0.0\n\nincluded:\n  lib.go\n  sub/x.go\n\nexcluded:\n\n`);

    const out = await publish(s, [...common, "--url", server.url, "--owner", "acme"], {
      env: token,
    });
    assertEquals(out.code, 0, out.stderr);
    const goModSum = /\/go\.mod (h1:\S+)\n/.exec(out.stdout)?.[1];
    assertMatch(out.stdout, new RegExp(`^published\\n${mod} v1\\.0\\.0 h1:\\S+\\n`));

    const base = `${server.url}/api/packages/acme/go/${mod}/@v`;
    const modRes = await fetch(`${base}/v1.0.0.mod`);
    assertEquals([modRes.status, await modRes.text()], [200, `module ${mod}\n`]);
    const zip = new Uint8Array(await (await fetch(`${base}/v1.0.0.zip`)).arrayBuffer());
    assertEquals(await entryNames(zip), [`${mod}@v1.0.0/lib.go`, `${mod}@v1.0.0/sub/x.go`]);
    // The go.mod hash the command printed is the server's, computed over `module <path>\n`.
    const api = await fetch(
      `${server.url}/api/v1/packages/acme/go/${encodeURIComponent(mod)}/v1.0.0`,
    );
    assertEquals((await api.json()).gomod_h1, goModSum);

    // Without --module there is no module path; with a go.mod, --module must agree with it.
    const none = await publish(s, [src, "--version", "v1.0.1", "--dry-run"]);
    assertEquals(none.code, 2);
    assertIncludes(none.stderr, "no module path: the directory has no go.mod; pass --module");
    const bad = await publish(s, [
      src,
      "--module",
      "example.com/../x",
      "--version",
      "v1.0.1",
      "--dry-run",
    ]);
    assertEquals(bad.code, 1, bad.stderr);
    assertIncludes(bad.stderr, "example.com/../x");
    await Deno.writeTextFile(`${src}/go.mod`, "module example.com/declared\n");
    const disagree = await publish(s, [...common, "--dry-run"]);
    assertEquals(disagree.code, 1);
    assertIncludes(
      disagree.stderr,
      `--module ${mod} disagrees with go.mod, which says example.com/declared`,
    );
    const agree = await publish(s, [
      src,
      "--module",
      "example.com/declared",
      "--version",
      "v1.0.0",
      "--dry-run",
    ]);
    assertEquals(agree.code, 0, agree.stderr);
    for (const o of [none, bad, disagree]) assertEquals(o.stderr.includes("    at "), false);
  } finally {
    await s.cleanup();
  }
});

Deno.test("publish credentials: --token-stdin over MODYARD_TOKEN over .netrc; only the winner is ever sent", async () => {
  const { s, server, token, src } = await fixture("modyard-pubcred-");
  try {
    const mod = "example.com/cred";
    await Deno.writeTextFile(`${src}/go.mod`, `module ${mod}\n`);
    const wrong = (n: number) => `myd_${String(n).repeat(40).slice(0, 40)}`;
    const netrc = async (secret: string) => {
      const path = `${s.dir}/netrc-${crypto.randomUUID()}`;
      await Deno.writeTextFile(path, `machine 127.0.0.1 login acme password ${secret}\n`);
      return path;
    };
    const run = (version: string, c: { env?: string; netrc?: string; stdin?: string }) =>
      publish(
        s,
        [
          src,
          "--version",
          version,
          "--url",
          server.url,
          "--owner",
          "acme",
          ...(c.stdin === undefined ? [] : ["--token-stdin"]),
        ],
        c,
      );

    // [what, version, credentials, exit code]: each source wins over every one after it, so a
    // valid token behind an invalid winner is never tried (exit 4), and vice versa.
    const cases: [string, string, { env?: string; netrc?: string; stdin?: string }, number][] = [
      ["stdin valid, env and netrc wrong", "v1.0.0", {
        stdin: `${token}\n`,
        env: wrong(1),
        netrc: await netrc(wrong(2)),
      }, 0],
      ["stdin wrong, env and netrc valid", "v1.0.1", {
        stdin: `${wrong(3)}\n`,
        env: token,
        netrc: await netrc(token),
      }, 4],
      ["env valid, netrc wrong", "v1.0.1", { env: token, netrc: await netrc(wrong(4)) }, 0],
      ["env wrong, netrc valid", "v1.0.2", { env: wrong(5), netrc: await netrc(token) }, 4],
      ["netrc valid alone", "v1.0.2", { netrc: await netrc(token) }, 0],
      ["netrc wrong alone", "v1.0.3", { netrc: await netrc(wrong(6)) }, 4],
      ["nothing", "v1.0.3", {}, 4],
    ];
    for (const [what, version, credentials, code] of cases) {
      const out = await run(version, credentials);
      assertEquals(out.code, code, `${what}: ${out.stderr}`);
      if (code === 0) assertIncludes(out.stdout, `published\n${mod} ${version} h1:`, what);
      else if (what === "nothing") assertIncludes(out.stderr, "no credentials", what);
      else assertIncludes(out.stderr, "refused (401)", what);
    }
    const list = await fetch(`${server.url}/api/packages/acme/go/${mod}/@v/list`);
    assertEquals(await list.text(), "v1.0.0\nv1.0.1\nv1.0.2\n");
  } finally {
    await s.cleanup();
  }
});

Deno.test("publish leaves symbolic links out: named in --dry-run's excluded list, absent from the zip (directory and git tag)", async () => {
  const { s, server, token, src } = await fixture("modyard-pubsym-");
  try {
    const mod = "example.com/sym";
    await Deno.mkdir(`${src}/real`);
    await Deno.mkdir(`${s.dir}/outside`);
    await Deno.writeTextFile(`${src}/go.mod`, `module ${mod}\n\ngo 1.19\n`);
    await Deno.writeTextFile(`${src}/a.go`, "package sym\n");
    await Deno.writeTextFile(`${src}/real/r.go`, "package real\n");
    await Deno.writeTextFile(`${s.dir}/outside/secret.go`, "package outside\n");
    await Deno.symlink("a.go", `${src}/link.go`); // to a file inside
    await Deno.symlink("real", `${src}/linkdir`); // to a directory inside
    await Deno.symlink("../outside", `${src}/out`); // to a directory outside the tree
    await Deno.symlink("missing.go", `${src}/dangling.go`);
    const included = ["a.go", "go.mod", "real/r.go"];
    const excluded = ["dangling.go", "link.go", "linkdir", "out"];
    const entries = included.map((f) => `${mod}@v1.0.0/${f}`);
    const dryRunText = `${mod}@v1.0.0\n\nincluded:\n${included.map((f) => `  ${f}\n`).join("")}\n` +
      `excluded:\n${excluded.map((f) => `  ${f}: not a regular file\n`).join("")}\n`;

    // From the directory.
    const dry = await publish(s, [src, "--version", "v1.0.0", "--dry-run"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertIncludes(dry.stdout, dryRunText);
    const outZip = `${s.dir}/out.zip`;
    const written = await publish(s, [src, "--version", "v1.0.0", "--out", outZip]);
    assertEquals(written.code, 0, written.stderr);
    assertEquals(await entryNames(await Deno.readFile(outZip)), entries);

    // From a git tag: committed symlinks (mode 120000) are left out the same way.
    const git = async (...args: string[]) => {
      const out = await new Deno.Command("git", {
        args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
        cwd: src,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(20_000),
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout);
    };
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-q", "-m", "tree with symlinks");
    await git("tag", "v1.0.0");
    assertEquals(
      (await git("ls-files", "-s")).split("\n").filter((l) => l.startsWith("120000")).length,
      4,
    );
    const gitDry = await publish(s, [src, "--dry-run"]);
    assertEquals(gitDry.code, 0, gitDry.stderr);
    assertIncludes(gitDry.stdout, dryRunText);
    const up = await publish(s, [src, "--url", server.url, "--owner", "acme"], { env: token });
    assertEquals(up.code, 0, up.stderr);
    const served = await fetch(`${server.url}/api/packages/acme/go/${mod}/@v/v1.0.0.zip`);
    const zip = new Uint8Array(await served.arrayBuffer());
    assertEquals(await entryNames(zip), entries);
    // Same files, same bytes: the tag's zip is the directory's zip.
    assertEquals(zip, await Deno.readFile(outZip));
  } finally {
    await s.cleanup();
  }
});
