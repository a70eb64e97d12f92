// The publish command in git work trees: the version comes from a tag on HEAD (prefixed
// for a module in a subdirectory), the zip holds exactly the tagged files (never untracked,
// ignored or uncommitted ones), and a dirty tree is refused without --allow-dirty.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { runMain } from "./helpers/server.ts";
import { git } from "./helpers/git.ts";

function publish(cwd: string, ...args: string[]) {
  return runMain(["publish", ...args], { cwd });
}

function included(dryRun: string): string[] {
  return dryRun.split("\nincluded:\n")[1].split("\n\nexcluded:")[0].split("\n").map((l) => l.trim())
    .filter((l) => l);
}

Deno.test("publish from git: tagged files only, prefixed tags for a subdirectory module, dirty trees refused", async () => {
  const repo = await Deno.makeTempDir({ prefix: "modyard-git-" });
  try {
    await git(repo, "init", "-q");
    await Deno.writeTextFile(`${repo}/go.mod`, "module example.com/repo\n\ngo 1.19\n");
    await Deno.writeTextFile(`${repo}/repo.go`, "package repo\n");
    await Deno.writeTextFile(`${repo}/.gitignore`, ".env\nbuild/\n");
    await Deno.mkdir(`${repo}/sub`);
    await Deno.writeTextFile(`${repo}/sub/go.mod`, "module example.com/repo/sub\n");
    await Deno.writeTextFile(`${repo}/sub/sub.go`, "package sub\n");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "first");
    await git(repo, "tag", "v1.2.3");
    await git(repo, "tag", "sub/v0.4.0");

    // Things that must never be published: a secret, build output, an untracked file.
    await Deno.writeTextFile(`${repo}/.env`, "SECRET=hunter2\n");
    await Deno.mkdir(`${repo}/build`);
    await Deno.writeTextFile(`${repo}/build/out.bin`, "binary");

    let r = await publish(repo, "--dry-run");
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(r.stdout, "example.com/repo@v1.2.3");
    assertEquals(included(r.stdout), [".gitignore", "go.mod", "repo.go"]);
    assertIncludes(r.stdout, "sub: directory is in another module");

    r = await publish(`${repo}/sub`, "--dry-run");
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(r.stdout, "example.com/repo/sub@v0.4.0");
    assertEquals(included(r.stdout), ["go.mod", "sub.go"]);

    // An uncommitted edit: refused, and with --allow-dirty the tagged content is still packed.
    await Deno.writeTextFile(`${repo}/repo.go`, "package repo // edited\n");
    await Deno.writeTextFile(`${repo}/untracked.go`, "package repo\n");
    r = await publish(repo, "--dry-run");
    assertEquals(r.code, 1);
    assertIncludes(r.stderr, "uncommitted changes");
    assertIncludes(r.stderr, "repo.go");
    const out = `${repo}/../tagged-${crypto.randomUUID()}.zip`;
    r = await publish(repo, "--allow-dirty", "--out", out);
    assertEquals(r.code, 0, r.stderr);
    const zip = await Deno.readFile(out);
    await Deno.remove(out);
    const { ZipReader, Uint8ArrayReader, TextWriter } = await import("@zip.js/zip.js");
    const entries = await new ZipReader(new Uint8ArrayReader(zip)).getEntries();
    assertEquals(entries.map((e) => e.filename).sort(), [
      "example.com/repo@v1.2.3/.gitignore",
      "example.com/repo@v1.2.3/go.mod",
      "example.com/repo@v1.2.3/repo.go",
    ]);
    const repoGo = entries.find((e) => e.filename.endsWith("repo.go"));
    if (!repoGo || repoGo.directory) throw new Error("repo.go missing");
    assertEquals(await repoGo.getData(new TextWriter()), "package repo\n");

    // --version with --allow-dirty packs the directory as it is (CreateFromDir), .env included
    // — which is why tags are the default.
    r = await publish(repo, "--version", "v1.2.4", "--allow-dirty", "--dry-run");
    assertEquals(r.code, 0, r.stderr);
    assertIncludes(included(r.stdout).join(","), "untracked.go");

    // Not canonical: refused with the reason; no version at all: usage.
    r = await publish(repo, "--version", "v1.2", "--allow-dirty", "--dry-run");
    assertEquals(r.code, 1);
    assertIncludes(r.stderr, 'version "v1.2" is not canonical (should be "v1.2.0")');
    await git(repo, "commit", "-q", "-am", "second");
    r = await publish(repo, "--dry-run", "--allow-dirty");
    assertEquals(r.code, 2);
    assertIncludes(r.stderr, "no tag vX.Y.Z points at HEAD");
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});
