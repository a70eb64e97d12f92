/**
 * `main.ts` subprocesses that cannot hang a test: each run has a deadline after which the
 * child is killed and the test fails saying so.
 *
 * @module
 */

import { MAIN_TS } from "./server.ts";

/** What a finished `main.ts` run gave back. */
export interface MainResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@linkcode runMainBounded}. */
export interface BoundedOptions {
  /** Text written to standard input (then closed); without it, stdin is `/dev/null`. */
  stdin?: string;
  /** Extra environment variables (the rest is inherited). */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Milliseconds before the child is killed and the run counts as hung (default 30,000). */
  timeoutMs?: number;
}

/**
 * Runs `deno run -A main.ts ...args`; throws if it has not exited within `timeoutMs`.
 *
 * @example
 * ```ts
 * const out = await runMainBounded(["user", "list", "--kv", "/tmp/m.kv"]);
 * out.code; // 0
 * ```
 */
export async function runMainBounded(
  args: string[],
  options: BoundedOptions = {},
): Promise<MainResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, ...args],
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.stdin));
      await w.close();
    }
    const out = await child.output();
    const result = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
    if (timedOut) {
      throw new Error(
        `main.ts ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr: ${result.stderr}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}
