// The README's "Permissions of the tasks" against deno.json and against what the commands
// need: `start` stays narrow (its store directory, and reading the README renderer's worker
// modules; runs nothing); `cli` has more, because
// `publish` reads and writes trees anywhere and runs git — and with only `start`'s permissions
// publish is refused with a one-line reason.
import { assertEquals, assertIncludes } from "./helpers/assert.ts";
import { MAIN_TS } from "./helpers/server.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const tasks: Record<string, string> =
  JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
const readme = await Deno.readTextFile(`${ROOT}/README.md`);

/** The permission flags of a task's command line, in order. */
function permissions(task: string): string[] {
  return tasks[task].split(/\s+/).filter((a) => a === "-A" || a.startsWith("--allow-"));
}

/** The cells of the README's permission table row for a task. */
function readmeRow(task: string): string[] {
  const section = readme.slice(readme.indexOf("### Permissions of the tasks"));
  const row = section.split("\n").find((l) => l.startsWith(`| \`${task}\``));
  if (!row) throw new Error(`no README permission row for ${task}`);
  return row.split("|").slice(1, -1).map((c) => c.trim());
}

const START = [
  "--allow-net",
  "--allow-env",
  "--allow-read=./data,./src/web/content", // the store; the README renderer's worker
  "--allow-write=./data",
];

Deno.test("the start task (and the compiled binary) writes only ./data, reads it and the README worker's modules, runs nothing", () => {
  assertEquals(permissions("start"), START);
  assertEquals(permissions("compile"), START);
  assertIncludes(tasks.start, "main.ts serve");
});

Deno.test("the README's permission table states the start and cli tasks' flags as deno.json has them", () => {
  for (const task of ["start", "cli"]) {
    assertEquals(readmeRow(task)[1], `\`${permissions(task).join(" ")}\``, task);
  }
  assertEquals(permissions("cli").includes("--allow-run=git,go"), true); // publish; login --apply
  assertIncludes(readmeRow("cli")[2], "git");
});

/** A git work tree with a tagged module (the files publish packs from a tag). */
async function taggedTree(dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/go.mod`, "module example.com/perm\n");
  await Deno.writeTextFile(`${dir}/perm.go`, "package perm\n");
  for (
    const args of [["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "v1"], ["tag", "v1.0.0"]]
  ) {
    const out = await new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  }
}

/** Runs `deno run FLAGS main.ts publish DIR --dry-run` (30 s at most). */
async function dryRun(flags: string[], dir: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, MAIN_TS, "publish", dir, "--dry-run"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("publish works with the cli task's permissions, and is refused with a reason under start's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-perm-" });
  try {
    await taggedTree(dir);
    const cli = await dryRun(permissions("cli"), dir);
    assertEquals(cli.code, 0, cli.stderr);
    assertIncludes(cli.stdout, "example.com/perm@v1.0.0\n\nincluded:\n  go.mod\n  perm.go\n");

    const start = await dryRun(permissions("start"), dir);
    assertEquals([start.code, start.stdout], [2, ""]);
    assertEquals(
      start.stderr,
      `cannot read ${dir}: no permission (run publish with the cli task, or add --allow-read)\n`,
    );

    // Reading without running git would pack a work tree as a plain directory (untracked files
    // included): refused instead.
    const noGit = await dryRun(
      permissions("cli").filter((f) => !f.startsWith("--allow-run=")),
      dir,
    );
    assertEquals([noGit.code, noGit.stdout], [2, ""]);
    assertEquals(
      noGit.stderr,
      "publish needs permission to run git (run it with the cli task, or add --allow-run=git)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
