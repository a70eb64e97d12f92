/**
 * A progress bar on standard error for long operator commands (`verify`, `export`,
 * `import`): drawn only when standard error is a terminal, at most ten times a second, and
 * erased when the work is done, so logs and pipes see only the summary lines.
 *
 * @module
 */

/** Width of the bar in characters. */
const BAR_WIDTH = 30;
/** Fewest milliseconds between two redraws. */
const REDRAW_MS = 100;

/**
 * One progress line: `label [#####-----]  45% 12.0 MiB/26.7 MiB note`. Without a total
 * (0), only the amount done is shown.
 *
 * @example
 * ```ts
 * renderProgress("export", 50, 100, "bytes", "3 versions");
 * // "export [###############---------------]  50% 50 B/100 B 3 versions"
 * ```
 */
export function renderProgress(
  label: string,
  done: number,
  total: number,
  unit: "bytes" | "items",
  note = "",
): string {
  const amount = (n: number) => unit === "bytes" ? formatBytes(n) : String(n);
  const tail = note ? ` ${note}` : "";
  if (total <= 0) return `${label} ${amount(done)}${tail}`;
  const share = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * BAR_WIDTH);
  const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
  const percent = String(Math.floor(share * 100)).padStart(3);
  return `${label} [${bar}] ${percent}% ${amount(done)}/${amount(total)}${tail}`;
}

/**
 * Bytes in binary units with one decimal (`512 B`, `1.5 KiB`, `12.0 MiB`).
 *
 * @example
 * ```ts
 * formatBytes(1536); // "1.5 KiB"
 * ```
 */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${value.toFixed(1)} ${units[i]}`;
}

/** Where a progress bar draws: standard error, or a stand-in in tests. */
export interface ProgressSink {
  /** Whether the sink is a terminal (only then is anything drawn). */
  isTerminal(): boolean;
  /** Writes bytes synchronously. */
  writeSync(bytes: Uint8Array): number;
}

/**
 * A progress bar that redraws itself in place on a terminal and stays silent otherwise.
 *
 * @example
 * ```ts
 * const bar = new ProgressBar("verify", 1000, "bytes");
 * bar.update(500, "2 versions");
 * bar.done();
 * ```
 */
export class ProgressBar {
  #enabled: boolean;
  #last = 0;
  #encoder = new TextEncoder();

  /** Creates a bar; `total` 0 when unknown. */
  constructor(
    readonly label: string,
    public total: number,
    readonly unit: "bytes" | "items",
    readonly sink: ProgressSink = Deno.stderr,
  ) {
    this.#enabled = sink.isTerminal();
  }

  /** Shows `done` (redrawn at most every 100 ms). */
  update(done: number, note = ""): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (now - this.#last < REDRAW_MS) return;
    this.#last = now;
    const line = renderProgress(this.label, done, this.total, this.unit, note);
    this.sink.writeSync(this.#encoder.encode(`\r\x1b[K${line}`));
  }

  /** Erases the bar (the caller prints its summary line after it). */
  done(): void {
    if (this.#enabled) this.sink.writeSync(this.#encoder.encode("\r\x1b[K"));
  }
}
