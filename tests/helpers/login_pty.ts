/**
 * Driving a command on a pseudo-terminal (util-linux `script`), for prompts that only appear
 * on a terminal: answers are typed after the prompt shows, and everything the terminal
 * displayed — echoes included — is captured.
 *
 * @module
 */

/** A command running on a pseudo-terminal. */
export interface PtySession {
  /** What the terminal has displayed so far (with `\r\n` line ends). */
  screen(): string;
  /** Waits until the screen holds `text` (throws after `timeoutMs`, showing the screen). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Types `text`. */
  type(text: string): Promise<void>;
  /** Waits for the exit (killed and thrown after 60 s); the exit code and the screen. */
  finish(): Promise<{ code: number; screen: string }>;
}

/** Whether util-linux `script` is installed (else terminal tests are skipped). */
export function hasScript(): boolean {
  try {
    return Deno.statSync("/usr/bin/script").isFile;
  } catch {
    return false;
  }
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Starts `command` on a pseudo-terminal with `env` added to the environment. */
export function spawnInPty(command: string[], env: Record<string, string>): PtySession {
  const child = new Deno.Command("script", {
    args: ["-qec", command.map(shellQuote).join(" "), "/dev/null"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  let screen = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stdout) screen += decoder.decode(chunk, { stream: true });
  })();
  const writer = child.stdin.getWriter();
  return {
    screen: () => screen,
    async waitFor(text, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (!screen.includes(text)) {
        if (Date.now() > end) {
          throw new Error(
            `${JSON.stringify(text)} never appeared; screen: ${JSON.stringify(screen)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async type(text) {
      await writer.write(new TextEncoder().encode(text));
    },
    async finish() {
      await writer.close().catch(() => {});
      const status = await child.status;
      await reading;
      return { code: status.code, screen };
    },
  };
}
