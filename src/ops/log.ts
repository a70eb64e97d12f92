/**
 * Structured log lines on standard output: one per request (time, method, route kind, owner,
 * status, duration, bytes, principal name) and server events (listening, cache full, shutdown),
 * as `text` or `json` (`--log-format`), filtered by `--log-level`.
 *
 * A request answered 2xx/3xx (and a 404/410, which GOPROXY clients ask for as a matter of
 * course) is logged at `info`; a refusal carries its plain-text reason on the same line at
 * `warn` (4xx) or `error` (5xx), so `--log-level warn` keeps exactly the refusals. Credentials
 * never reach a line: a request line names the principal by user name only.
 *
 * @module
 */

import { LineBuffer, type LineBufferOptions, type LineSink, stdoutSink } from "./line_buffer.ts";
import { concatBytes } from "../bytes/concat_bytes.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Line formats. */
export type LogFormat = "text" | "json";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LEVEL_TEXT: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARN",
  error: "ERROR",
};

/** What a request line says. */
export interface RequestLogEntry {
  /** HTTP method. */
  method: string;
  /** Route kind (bounded label, never the raw path). */
  route: string;
  /** The owner the path names, or `""`. */
  owner: string;
  /** Status answered. */
  status: number;
  /** Milliseconds until the response (headers) was ready. */
  ms: number;
  /** Bytes of the response body, as its `Content-Length` declares (0 when unknown). */
  bytes: number;
  /** The authenticated user's name, or `""` for anonymous requests. */
  user: string;
  /** The plain-text reason of a refusal, or `""`. */
  reason: string;
}

/**
 * A request line without its time and duration, as UTF-8: `before + time + head + ms + tail`.
 * Made by {@link Logger.prepare}.
 */
export interface PreparedLine {
  /** Bytes before the time. */
  readonly before: Uint8Array;
  /** Bytes between the time and the duration. */
  readonly head: Uint8Array;
  /** Bytes after the duration, newline included. */
  readonly tail: Uint8Array;
  /** Bytes of the whole line at most. */
  readonly maxBytes: number;
}

/** Settings of a {@link Logger}. */
export interface LoggerOptions extends LineBufferOptions {
  /** `text` (default) or `json`. */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default standard output). */
  sink?: LineSink;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * Writes log lines through a bounded {@link LineBuffer}.
 *
 * @example
 * ```ts
 * const log = new Logger({ format: "json", level: "info" });
 * log.request({ method: "GET", route: "goproxy_info", owner: "alice", status: 200, ms: 0.4,
 *   bytes: 54, user: "", reason: "" });
 * await log.close();
 * ```
 */
export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly #min: number;
  readonly #buffer: LineBuffer;
  readonly #clock: Clock;
  /** Whether request lines at `info` are written (checked before building one). */
  readonly infoEnabled: boolean;

  /** Creates a logger. */
  constructor(options: LoggerOptions = {}) {
    this.format = options.format ?? "text";
    this.level = options.level ?? "info";
    this.#min = RANK[this.level];
    this.infoEnabled = this.#min <= RANK.info;
    this.#buffer = new LineBuffer(options.sink ?? stdoutSink(), options);
    this.#clock = new Clock(options.now ?? Date.now);
  }

  /** Lines dropped because standard output fell behind. */
  get dropped(): number {
    return this.#buffer.dropped;
  }

  /** Whether lines at `level` are written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  /** The line of one answered request, at the level its status calls for. */
  request(entry: RequestLogEntry): void {
    const line = this.prepare(entry);
    if (line !== null) this.write(line, entry.ms);
  }

  /**
   * Everything of a request line but its time and duration, built once for answers that
   * repeat (the reply cache keeps one per cached answer): `null` when its level is not
   * written. {@link write} completes it; {@link request} is the two in one.
   */
  prepare(entry: Omit<RequestLogEntry, "ms">): PreparedLine | null {
    const level = requestLevel(entry.status);
    if (RANK[level] < this.#min) return null;
    if (this.format === "json") {
      const field = (name: string, value: string | number) =>
        `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
      return preparedLine(
        '{"time":"',
        `"${field("level", level)}${field("msg", "request")}${field("method", entry.method)}${
          field("route", entry.route)
        }${field("owner", entry.owner)}${field("status", entry.status)},"duration_ms":`,
        `${field("bytes", entry.bytes)}${field("user", entry.user)}${
          entry.reason ? field("reason", entry.reason) : ""
        }}\n`,
      );
    }
    return preparedLine(
      "",
      ` ${LEVEL_TEXT[level]} ${entry.method} ${entry.route} owner=${
        textValue(entry.owner || "-")
      } status=${entry.status} ms=`,
      ` bytes=${entry.bytes} user=${textValue(entry.user || "-")}${
        entry.reason ? ` reason=${JSON.stringify(entry.reason)}` : ""
      }\n`,
    );
  }

  /** Writes a prepared request line with the current time and a duration of `ms`. */
  write(line: PreparedLine, ms: number): void {
    const buffer = this.#buffer;
    if (!buffer.beginLine(line.maxBytes)) return;
    buffer.bytes(line.before);
    buffer.bytes(this.#clock.isoBytes());
    buffer.bytes(line.head);
    buffer.millis(ms);
    buffer.bytes(line.tail);
    buffer.endLine();
  }

  /** A server event (`listening`, `shutting down`, `cache full`, …) with optional fields. */
  event(level: LogLevel, message: string, fields: Record<string, string | number> = {}): void {
    if (RANK[level] < this.#min) return;
    const time = this.#clock.iso();
    if (this.format === "json") {
      this.#buffer.push(JSON.stringify({ time, level, msg: message, ...fields }) + "\n");
      return;
    }
    let line = `${time} ${LEVEL_TEXT[level]} ${message.replaceAll("\n", "\\n")}`;
    for (const [k, v] of Object.entries(fields)) line += ` ${k}=${textValue(String(v))}`;
    this.#buffer.push(line + "\n");
  }

  /** Writes every queued line. */
  flush(): Promise<void> {
    return this.#buffer.flush();
  }

  /** Writes every queued line (on shutdown); the logger stays usable. */
  close(): Promise<void> {
    return this.#buffer.flush();
  }
}

/**
 * The level of a request line: `error` for 5xx, `warn` for other refusals, `info` for
 * answers and for 404/410 (the "not here, ask the next proxy" of GOPROXY clients).
 */
export function requestLevel(status: number): LogLevel {
  if (status >= 500) return "error";
  if (status >= 400 && status !== 404 && status !== 410) return "warn";
  return "info";
}

/** A value as it stands in a text line: bare when plain, else JSON-quoted. */
function textValue(value: string): string {
  return PLAIN.test(value) ? value : JSON.stringify(value);
}

const PLAIN = /^[\w.@/:+-]+$/;

/**
 * ISO 8601 time of `ms`, cached for the millisecond: at tens of thousands of lines a second,
 * most lines share their millisecond with the one before.
 */
class Clock {
  #ms = -1;
  #text = "";
  #bytes = new Uint8Array(0);

  constructor(private readonly now: () => number) {}

  iso(): string {
    const ms = this.now();
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.#text = new Date(ms).toISOString();
      this.#bytes = utf8.encode(this.#text);
    }
    return this.#text;
  }

  /** {@link iso} as UTF-8. */
  isoBytes(): Uint8Array {
    this.iso();
    return this.#bytes;
  }
}

/** Room for an ISO time ("+275760-09-13T00:00:00.000Z" at most) and a duration. */
const TIME_AND_DURATION_BYTES = 64;

const utf8 = new TextEncoder();

/** A {@link PreparedLine} of its three texts. */
function preparedLine(before: string, head: string, tail: string): PreparedLine {
  // One buffer for the three: each cached answer keeps a line, and every separate
  // ArrayBuffer costs its own allocation outside the heap.
  const parts = [utf8.encode(before), utf8.encode(head), utf8.encode(tail)];
  const all = concatBytes(parts);
  const [b, h] = [parts[0].byteLength, parts[1].byteLength];
  return {
    before: all.subarray(0, b),
    head: all.subarray(b, b + h),
    tail: all.subarray(b + h),
    maxBytes: all.byteLength + TIME_AND_DURATION_BYTES,
  };
}

let processLogger: Logger | null = null;

/**
 * Makes `logger` the one that code without an app at hand (the pull-through cache fill)
 * writes to; `null` goes back to `console`.
 */
export function setProcessLogger(logger: Logger | null): void {
  processLogger = logger;
}

/** Logs a server event through the process logger, or `console` when none is set. */
export function logEvent(
  level: LogLevel,
  message: string,
  fields: Record<string, string | number> = {},
): void {
  if (processLogger) return processLogger.event(level, message, fields);
  const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${v}`).join("");
  if (level === "error") console.error(message + extra);
  else if (level === "warn") console.warn(message + extra);
  else console.log(message + extra);
}
