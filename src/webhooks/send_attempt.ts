/**
 * One delivery attempt: check the target's resolved addresses, POST the signed body with a
 * timeout and without following redirects, and keep at most {@link RESPONSE_EXCERPT_BYTES}
 * of the answer. Never throws: every outcome is an attempt record.
 *
 * @module
 */

import type { DeliveryAttempt } from "../store/records.ts";
import { checkTarget, type Resolver } from "./address_policy.ts";

/** Bytes of a receiver's answer read and kept (the rest is never read). */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Longest error text kept. */
const MAX_ERROR_LENGTH = 300;

/** What one attempt sends. */
export interface OutgoingDelivery {
  /** The webhook URL. */
  url: string;
  /** The JSON body. */
  body: string;
  /** Headers: signature, event, ids. */
  headers: Record<string, string>;
}

/** How attempts are made. */
export interface AttemptOptions {
  /** Milliseconds an attempt may take, answer included. */
  timeoutMs: number;
  /** Whether loopback and private targets may be reached. */
  allowPrivate: boolean;
  /** Resolves host names (checked before the request). */
  resolve: Resolver;
  /** Aborts the attempt (the server is stopping). */
  signal?: AbortSignal;
}

/** Makes one attempt; a 2xx answer is a success, anything else (redirects too) a failure. */
export async function sendAttempt(
  delivery: OutgoingDelivery,
  options: AttemptOptions,
): Promise<DeliveryAttempt> {
  const at = new Date().toISOString();
  const started = performance.now();
  const done = (fields: Omit<DeliveryAttempt, "at" | "durationMs">): DeliveryAttempt => ({
    at,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    await checkTarget(new URL(delivery.url), options.allowPrivate, options.resolve);
    const res = await fetch(delivery.url, {
      method: "POST",
      body: delivery.body,
      headers: delivery.headers,
      redirect: "manual",
      signal,
    });
    const response = await readExcerpt(res);
    if (res.status >= 200 && res.status < 300) return done({ status: res.status, response });
    const error = res.status >= 300 && res.status < 400
      ? `redirect${
        res.headers.has("location") ? " to " + clip(res.headers.get("location")!) : ""
      } not followed`
      : `answered ${res.status}`;
    return done({ status: res.status, response, error });
  } catch (err) {
    const reason = timeout.aborted ? `no answer within ${options.timeoutMs} ms` : describe(err);
    // A URL's path and query may hold a credential (as chat services' hook URLs do): errors,
    // which are kept and logged, name only its origin.
    const origin = URL.canParse(delivery.url) ? new URL(delivery.url).origin : "the URL";
    return done({ status: null, error: clip(reason.split(delivery.url).join(`${origin}/…`)) });
  }
}

/** The first bytes of the answer as text; the rest is cancelled unread. */
async function readExcerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const buffer = new Uint8Array(RESPONSE_EXCERPT_BYTES);
  let n = 0;
  try {
    while (n < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, RESPONSE_EXCERPT_BYTES - n);
      buffer.set(value.subarray(0, take), n);
      n += take;
    }
  } catch {
    // A body cut off midway: keep what came.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(buffer.subarray(0, n));
}

/** An error's message and its cause's (Deno's fetch says only "fetch failed", the cause why). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : "";
  return cause && cause !== err.message ? `${err.message}: ${cause}` : err.message;
}

function clip(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) + "…" : text;
}
