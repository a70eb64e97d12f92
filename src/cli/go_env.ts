/**
 * Reading and writing the user's `go env` settings by running the `go` command found on
 * `PATH` (it honours `GOENV`). Nothing is run without the permission to: the check never
 * prompts.
 *
 * @module
 */

import type { GoEnvValues, GoSetting } from "./go_settings.ts";

/** Why `go` cannot be run, or `null` when it can. */
export function goUnavailable(): string | null {
  const state = Deno.permissions.querySync({ name: "run", command: "go" }).state;
  if (state !== "granted") {
    return "running the go command is not permitted (deno run --allow-run=go)";
  }
  return null;
}

async function go(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await new Deno.Command("go", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (err) {
    return { code: -1, stdout: "", stderr: (err as Error).message };
  }
}

/**
 * The current values of `names` (`go env NAME…`, one per line), or a reason they could not
 * be read.
 */
export async function readGoEnv(names: string[]): Promise<GoEnvValues | string> {
  const why = goUnavailable();
  if (why) return why;
  const out = await go(["env", ...names]);
  if (out.code !== 0) return `go env failed: ${out.stderr.trim() || `exit ${out.code}`}`;
  const lines = out.stdout.split("\n");
  return Object.fromEntries(names.map((n, i) => [n, lines[i] ?? ""]));
}

/**
 * `go env -w NAME=VALUE…` of `settings`; resolves to `null`, or to the reason it failed.
 * The go command's own warnings (an OS environment variable that overrides the file) are
 * returned in `warnings`.
 */
export async function writeGoEnv(
  settings: GoSetting[],
): Promise<{ error: string | null; warnings: string }> {
  const why = goUnavailable();
  if (why) return { error: why, warnings: "" };
  const out = await go(["env", "-w", ...settings.map((s) => `${s.name}=${s.value}`)]);
  if (out.code !== 0) {
    return { error: `go env -w failed: ${out.stderr.trim() || `exit ${out.code}`}`, warnings: "" };
  }
  return { error: null, warnings: out.stderr.trim() };
}
