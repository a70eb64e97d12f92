/**
 * Running `git` in a test repository, with a fixed author and committer and the go-command
 * timeout's sibling: a minute per command.
 *
 * @module
 */

import { outputWithin } from "./go.ts";

/**
 * Runs `git ARGS` in `cwd`; returns its trimmed standard output, throws with its standard
 * error when it fails.
 *
 * @example
 * ```ts
 * await git(repo, "init", "-q");
 * const head = await git(repo, "rev-parse", "HEAD");
 * ```
 */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await outputWithin(
    "git",
    {
      args,
      cwd,
      env: {
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
      stdout: "piped",
      stderr: "piped",
    },
    60_000,
    `git ${args[0]}`,
  );
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}
