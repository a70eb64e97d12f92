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
import { concatBytes } from "../bytes/concat_bytes.ts";

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
 * Lines waiting for the sink, kept as bytes: each line is encoded into the current chunk as
 * it is pushed, so no line string outlives its request (strings held until the next write
 * survived young-generation collections and were copied, more than the line itself cost).
 *
 * @example
 * ```ts
 * const out = new LineBuffer((bytes) => Deno.stdout.write(bytes).then(() => {}));
 * out.push("hello\n");
 * await out.flush();
 * ```
 */
export class LineBuffer {
  /** Sealed chunks, oldest first, each filled up to its length. */
  #sealed: Uint8Array[] = [];
  /** The chunk lines are encoded into, and how much of it is used. */
  #chunk: Uint8Array;
  #used = 0;
  /** Where the line being given piece by piece starts in the chunk. */
  #lineStart = 0;
  /** Bytes waiting (sealed chunks and the used part of the current one). */
  #bytes = 0;
  /** Whether a delayed write is scheduled. */
  #timer = false;
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
    this.#chunk = new Uint8Array(this.#flushBytes);
  }

  /** Queues one line (which ends in a newline); drops it when the buffer is full. */
  push(line: string): void {
    // Three bytes per UTF-16 unit is the most UTF-8 takes; the UTF-16 length is exact for
    // ASCII lines, and close enough for others, to count against the bound.
    if (!this.beginLine(3 * line.length, line.length)) return;
    this.text(line);
    this.endLine();
  }

  /**
   * Starts a line of at most `maxBytes` bytes, to be given piece by piece ({@link bytes},
   * {@link text}, {@link millis}) and ended with {@link endLine}, all in one synchronous run.
   * Returns `false`, and counts the line dropped, when `expectedBytes` more would pass the
   * buffer's bound: give nothing then. Pieces cost a copy each, where a line built as one
   * string first is copied twice more.
   */
  beginLine(maxBytes: number, expectedBytes = maxBytes): boolean {
    if (this.#bytes + expectedBytes > this.#maxBytes) {
      this.dropped++;
      return false;
    }
    if (this.#chunk.byteLength - this.#used < maxBytes) {
      if (this.#used > 0) this.#sealed.push(this.#chunk.subarray(0, this.#used));
      this.#chunk = new Uint8Array(Math.max(this.#flushBytes, maxBytes));
      this.#used = 0;
    }
    this.#lineStart = this.#used;
    return true;
  }

  /** Appends bytes to the line begun. */
  bytes(piece: Uint8Array): void {
    this.#chunk.set(piece, this.#used);
    this.#used += piece.byteLength;
  }

  /** Appends text, as UTF-8, to the line begun. */
  text(piece: string): void {
    this.#used += encodeText(piece, this.#chunk, this.#used);
  }

  /**
   * Appends `ms` rounded to the microsecond, written as `String(Math.round(ms * 1000) / 1000)`
   * would be (`0.012`, `12`, `1.5`), without making the string.
   */
  millis(ms: number): void {
    const us = Math.round(ms * 1000);
    if (!(us >= 0 && us <= MAX_PLAIN_MICROS)) return this.text(String(us / 1000));
    const fraction = us % 1000;
    let at = this.#writeDigits((us - fraction) / 1000, 1, this.#used);
    if (fraction !== 0) {
      this.#chunk[at++] = 0x2e; // "."
      let digits = fraction, width = 3;
      while (digits % 10 === 0) {
        digits /= 10;
        width--;
      }
      at = this.#writeDigits(digits, width, at);
    }
    this.#used = at;
  }

  /** Ends the line begun (its last piece ends in a newline) and schedules its write. */
  endLine(): void {
    this.#bytes += this.#used - this.#lineStart;
    if (this.#bytes >= this.#flushBytes) this.#start();
    else this.#schedule();
  }

  /** Makes sure a write starts within the interval (one timer at a time). */
  #schedule(): void {
    if (this.#timer) return;
    // One timer at a time, left to run out even when a full chunk was written meanwhile:
    // under load a write starts every few milliseconds, and a timer made and dropped for
    // each would cost more than the lines (an AbortSignal's timeout makes a DOMException).
    // Not setTimeout: the first log line is written while the server starts (web_timer.ts).
    this.#timer = true;
    afterDelay(this.#intervalMs, () => {
      this.#timer = false;
      if (this.#bytes > 0) this.#start();
    });
  }

  /**
   * Writes the decimal digits of a whole number ≥ 0 at `at`, zero-padded to `minDigits`;
   * returns the end.
   */
  #writeDigits(n: number, minDigits: number, at: number): number {
    let digits = 1;
    for (let x = n; x >= 10; x = (x - x % 10) / 10) digits++;
    const chunk = this.#chunk;
    const end = at + Math.max(digits, minDigits);
    for (let i = end - 1, x = n; i >= at; i--) {
      chunk[i] = 0x30 + x % 10;
      x = (x - x % 10) / 10;
    }
    return end;
  }

  /** Writes everything queued so far; resolves when it is written. */
  async flush(): Promise<void> {
    while (this.#bytes > 0 || this.#writing !== null) {
      this.#start();
      await this.#writing;
    }
  }

  #start(): void {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = null;
    });
  }

  /** Everything waiting as one byte array; the buffer starts a new chunk. */
  #take(): Uint8Array {
    const parts = this.#sealed;
    parts.push(this.#chunk.subarray(0, this.#used));
    const total = this.#bytes;
    this.#sealed = [];
    this.#bytes = 0;
    // The sink may hold the chunk until its write ends: never encode into it again.
    this.#chunk = new Uint8Array(this.#flushBytes);
    this.#used = 0;
    return concatBytes(parts, total);
  }

  async #drain(): Promise<void> {
    do {
      const bytes = this.#take();
      try {
        await this.sink(bytes);
      } catch {
        this.dropped += countLines(bytes);
      }
      // Lines that came during the write go on at once only as a full batch; the rest wait
      // for the interval, else a steady load makes a write every few lines.
    } while (this.#bytes >= this.#flushBytes);
    if (this.#bytes > 0) this.#schedule();
  }
}

/** Durations up to this many microseconds (about 104 days) are written digit by digit. */
const MAX_PLAIN_MICROS = 2 ** 53 / 1000;

/**
 * Encodes `text` as UTF-8 into `into` at `at` (which has room for three bytes per UTF-16
 * unit); returns the bytes written. ASCII is copied in a loop: `TextEncoder.encodeInto` is a
 * call into the runtime, dearer than the copy of a short piece.
 */
function encodeText(text: string, into: Uint8Array, at: number): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      return i + encoder.encodeInto(text.slice(i), into.subarray(at + i)).written;
    }
    into[at + i] = c;
  }
  return n;
}

/** The lines in `bytes` (each ends in a newline). */
function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return n;
}

/** A sink writing every byte to standard output. */
export function stdoutSink(): LineSink {
  return async (bytes) => {
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  };
}
