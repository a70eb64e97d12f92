/**
 * A bounded, batching writer of log lines: lines are collected in memory and written in one
 * piece every {@link LineBufferOptions.intervalMs} or once {@link LineBufferOptions.flushBytes}
 * are waiting, so a request costs one array push rather than one write. When the sink cannot
 * keep up and {@link LineBufferOptions.maxBytes} are waiting, new lines are dropped and counted:
 * memory stays bounded whatever the load.
 *
 * @module
 */

import { afterDelay } from "./web_timer.ts";

/** Where batches go: resolves once the bytes are written. */
export type LineSink = (bytes: Uint8Array) => Promise<void>;

/** Sizes and timing of a {@link LineBuffer}. */
export interface LineBufferOptions {
  /** Milliseconds a line may wait for its batch (default 50). */
  intervalMs?: number;
  /** Bytes waiting that start a write at once (default 64 KiB). */
  flushBytes?: number;
  /** Bytes that may wait at most; lines beyond are dropped (default 4 MiB). */
  maxBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Lines waiting for the sink.
 *
 * @example
 * ```ts
 * const out = new LineBuffer((bytes) => Deno.stdout.write(bytes).then(() => {}));
 * out.push("hello\n");
 * await out.flush();
 * ```
 */
export class LineBuffer {
  #lines: string[] = [];
  #bytes = 0;
  /** Cancels the pending delayed write, if one is scheduled. */
  #timer: (() => void) | undefined;
  #writing: Promise<void> | null = null;
  #intervalMs: number;
  #flushBytes: number;
  #maxBytes: number;
  /** Lines dropped because the sink fell behind (or failed). */
  dropped = 0;

  /** Creates a buffer writing to `sink`. */
  constructor(private readonly sink: LineSink, options: LineBufferOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 50;
    this.#flushBytes = options.flushBytes ?? 64 * 1024;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  }

  /** Queues one line (which ends in a newline); drops it when the buffer is full. */
  push(line: string): void {
    // UTF-16 length: a bound on the encoded bytes of ASCII lines, close enough for others.
    if (this.#bytes + line.length > this.#maxBytes) {
      this.dropped++;
      return;
    }
    this.#lines.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= this.#flushBytes) this.#start();
    else if (this.#timer === undefined && this.#writing === null) {
      // Not setTimeout: the first log line is written while the server starts (web_timer.ts).
      this.#timer = afterDelay(this.#intervalMs, () => this.#start());
    }
  }

  /** Writes everything queued so far; resolves when it is written. Clears the timer. */
  async flush(): Promise<void> {
    while (this.#lines.length > 0 || this.#writing !== null) {
      this.#start();
      await this.#writing;
    }
  }

  #start(): void {
    if (this.#timer !== undefined) {
      this.#timer();
      this.#timer = undefined;
    }
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#lines.length > 0) {
      const lines = this.#lines;
      this.#lines = [];
      this.#bytes = 0;
      try {
        await this.sink(encoder.encode(lines.join("")));
      } catch {
        this.dropped += lines.length;
      }
    }
  }
}

/** A sink writing every byte to standard output. */
export function stdoutSink(): LineSink {
  return async (bytes) => {
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  };
}
