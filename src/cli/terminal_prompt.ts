/**
 * Questions on a terminal: prompts go to standard error, answers come from standard input;
 * a secret is read in raw mode, so it is never echoed. Callers ask only when
 * `Deno.stdin.isTerminal()`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Thrown when the user ends the prompt (Ctrl-C, or end of input before Enter). */
export class PromptCancelled extends Error {
  /** Creates the error. */
  constructor() {
    super("cancelled");
    this.name = "PromptCancelled";
  }
}

function say(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** Reads one line (cooked mode: the terminal echoes and edits it). */
export async function promptLine(question: string): Promise<string> {
  say(question);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  while (true) {
    const n = await Deno.stdin.read(buf);
    if (n === null) {
      if (bytes.length === 0) throw new PromptCancelled();
      break;
    }
    if (buf[0] === 0x0a) break;
    bytes.push(buf[0]);
  }
  return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
}

/**
 * Reads a secret without echo: raw mode, Enter ends it, Backspace removes the last
 * character, Ctrl-C or Ctrl-D (on an empty answer) cancels. The terminal mode is restored
 * whatever happens.
 */
export async function promptSecret(question: string): Promise<string> {
  say(question);
  const chars: string[] = [];
  const decoder = new TextDecoder();
  const buf = new Uint8Array(64);
  Deno.stdin.setRaw(true);
  try {
    while (true) {
      const n = await Deno.stdin.read(buf);
      if (n === null) throw new PromptCancelled();
      for (const b of buf.subarray(0, n)) {
        if (b === 0x0d || b === 0x0a) return chars.join("");
        if (b === 0x03 || (b === 0x04 && chars.length === 0)) throw new PromptCancelled();
        if (b === 0x7f || b === 0x08) {
          chars.pop();
          continue;
        }
        if (b < 0x20) continue;
        // The decoder keeps the first bytes of a multi-byte character until it is whole.
        chars.push(...decoder.decode(new Uint8Array([b]), { stream: true }));
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    say("\n");
  }
}

/** Asks a yes/no question; only `y` or `yes` (any case) is yes. */
export async function confirm(question: string): Promise<boolean> {
  return /^\s*y(es)?\s*$/i.test(await promptLine(question));
}
