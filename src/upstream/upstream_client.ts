/**
 * The upstream GOPROXY client: walks the upstream list as the `go` command does, with
 * connect and read timeouts, size caps, a cap on concurrent fetches, and redirects followed
 * only to http(s). No credentials or client headers are ever sent.
 *
 * @module
 */

import { escapeCase } from "../gomod/path.ts";
import { FetchLimiter } from "./fetch_limiter.ts";
import { UpstreamError } from "./upstream_error.ts";
import type { UpstreamEntry } from "./upstream_list.ts";
import { concatBytes } from "../bytes/concat_bytes.ts";

/** Timeouts and caps of upstream fetches. */
export interface UpstreamLimits {
  /** Milliseconds until the upstream's response headers must have arrived. */
  connectTimeoutMs: number;
  /** Milliseconds the body may stall between two pieces. */
  readTimeoutMs: number;
  /** Upstream fetches running at once. */
  maxConcurrent: number;
  /** Upstream fetches waiting for a slot before new ones are refused with 503. */
  maxWaiting: number;
}

/** Defaults: 10 s to the headers, 30 s per stalled read, 16 at once, 1,024 waiting. */
export const DEFAULT_UPSTREAM_LIMITS: UpstreamLimits = {
  connectTimeoutMs: 10_000,
  readTimeoutMs: 30_000,
  maxConcurrent: 16,
  maxWaiting: 1024,
};

const MAX_REDIRECTS = 5;

/** Fetches GOPROXY files from the configured upstream list. */
export class UpstreamClient {
  readonly #limiter: FetchLimiter;

  /**
   * Creates a client over `entries` (never empty when used). With `sameHostRedirects`,
   * redirects are followed only to the origin of the URL asked (the checksum-database client:
   * never a host other than the configured one).
   */
  constructor(
    readonly entries: readonly UpstreamEntry[],
    readonly limits: UpstreamLimits,
    readonly options: { sameHostRedirects?: boolean } = {},
  ) {
    this.#limiter = new FetchLimiter(limits.maxConcurrent, limits.maxWaiting);
  }

  /**
   * The body of `path` (the escaped part after the proxy base, e.g. `rsc.io/quote/@v/list`),
   * read whole; refused above `maxBytes`. Throws {@link UpstreamError}.
   */
  async bytes(path: string, maxBytes: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    await this.stream(path, maxBytes, (piece) => {
      parts.push(piece.slice());
      size += piece.byteLength;
      return Promise.resolve();
    });
    return concatBytes(parts, size);
  }

  /**
   * Streams the body of `path` into `sink`, piece by piece, refusing it above `maxBytes`.
   * The list is walked (`,`: next entry on 404/410; `|`: on any error) until the first byte
   * reaches the sink; after that an error ends the fetch.
   */
  stream(
    path: string,
    maxBytes: number,
    sink: (piece: Uint8Array) => Promise<void>,
  ): Promise<void> {
    return this.#limiter.run(async () => {
      let last: UpstreamError | undefined;
      for (const entry of this.entries) {
        const started = { value: false };
        try {
          return await this.#fetchOne(`${entry.url}/${path}`, maxBytes, sink, started);
        } catch (err) {
          if (!(err instanceof UpstreamError) || started.value) throw err;
          last = err;
          if (err.status === 404 || err.status === 410 || entry.fallThroughOnError) continue;
          throw err;
        }
      }
      throw last ?? new UpstreamError(502, "no upstream configured");
    });
  }

  async #fetchOne(
    url: string,
    maxBytes: number,
    sink: (piece: Uint8Array) => Promise<void>,
    started: { value: boolean },
  ): Promise<void> {
    const abort = new AbortController();
    let timedOut = false;
    const arm = (ms: number) =>
      setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, ms);
    let timer = arm(this.limits.connectTimeoutMs);
    const shown = redact(url);
    try {
      let response: Response | undefined;
      let target = url;
      for (let hop = 0;; hop++) {
        try {
          response = await fetch(target, {
            redirect: "manual",
            signal: abort.signal,
            headers: { "user-agent": "modyard-pull-through" },
          });
        } catch (err) {
          if (timedOut) {
            throw new UpstreamError(
              504,
              `upstream ${shown} did not answer within ${this.limits.connectTimeoutMs} ms`,
            );
          }
          throw new UpstreamError(502, `upstream ${shown} unreachable: ${(err as Error).message}`);
        }
        if (response.status < 300 || response.status >= 400 || response.status === 304) break;
        await response.body?.cancel();
        const location = response.headers.get("location");
        let next: URL | undefined;
        try {
          next = location === null ? undefined : new URL(location, target);
        } catch { /* refused below */ }
        if (!next || (next.protocol !== "http:" && next.protocol !== "https:")) {
          throw new UpstreamError(502, `upstream ${shown} redirected to a non-http(s) location`);
        }
        if (this.options.sameHostRedirects && next.origin !== new URL(url).origin) {
          throw new UpstreamError(502, `upstream ${shown} redirected to another host`);
        }
        if (hop + 1 >= MAX_REDIRECTS) {
          throw new UpstreamError(
            502,
            `upstream ${shown} redirected more than ${MAX_REDIRECTS} times`,
          );
        }
        target = next.href;
      }
      if (response.status === 404 || response.status === 410) {
        const reason = await shortReason(response);
        throw new UpstreamError(
          response.status,
          `upstream ${shown} answered ${response.status}${reason}`,
        );
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new UpstreamError(502, `upstream ${shown} answered ${response.status}`);
      }
      const declared = Number(response.headers.get("content-length") ?? "0");
      if (declared > maxBytes) {
        await response.body?.cancel();
        throw tooLarge(shown, maxBytes);
      }
      if (!response.body) return;
      const reader = response.body.getReader();
      let size = 0;
      for (;;) {
        clearTimeout(timer);
        timer = arm(this.limits.readTimeoutMs);
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          if (timedOut) {
            throw new UpstreamError(
              504,
              `upstream ${shown} stalled for ${this.limits.readTimeoutMs} ms while sending`,
            );
          }
          throw new UpstreamError(
            502,
            `upstream ${shown} failed while sending: ${(err as Error).message}`,
          );
        }
        if (next.done) return;
        size += next.value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge(shown, maxBytes);
        }
        started.value = true;
        clearTimeout(timer);
        await sink(next.value);
      }
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }
}

/** Bytes of a 404/410 body quoted in the error (the upstream's reason). */
const MAX_REASON_BYTES = 300;

/** `": <the start of the body, on one line>"` (at most {@link MAX_REASON_BYTES}), or `""`. */
async function shortReason(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_REASON_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    // The reason is optional; the status says enough.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = new TextDecoder().decode(concatBytes(parts, size).subarray(0, MAX_REASON_BYTES))
    .replace(/[\p{Cc}\s]+/gu, " ").trim();
  return text === "" ? "" : `: ${text}`;
}

function tooLarge(url: string, maxBytes: number): UpstreamError {
  return new UpstreamError(502, `upstream ${url} sent more than ${maxBytes} bytes`);
}

/** The URL without user information, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return "(invalid URL)";
  }
}

/** The escaped GOPROXY path of a file of a module version. */
export function upstreamPath(module: string, kind: string, version?: string): string {
  const base = escapeCase(module);
  if (kind === "list") return `${base}/@v/list`;
  if (kind === "latest") return `${base}/@latest`;
  return `${base}/@v/${escapeCase(version!)}.${kind}`;
}
