/**
 * A webhook receiver on loopback for tests: records every request (headers and body), answers
 * as the test says, and checks signatures by recomputing the HMAC itself.
 *
 * @module
 */

import { freePort } from "./server.ts";

/** One request the receiver got. */
export interface Received {
  /** Request headers (lowercase names). */
  headers: Record<string, string>;
  /** The raw body text. */
  body: string;
  /** The body parsed as JSON. */
  json: Record<string, unknown>;
}

/** A running receiver. */
export interface Receiver {
  /** Its URL (`http://127.0.0.1:PORT/hook`). */
  url: string;
  /** Its port. */
  port: number;
  /** Everything received so far. */
  received: Received[];
  /** Resolves once `n` requests have arrived (throws after `timeoutMs`, default 10 s). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Starts a receiver on `port` (default: a free one). `answer` makes each response (default
 * 200 `ok`).
 */
export function startReceiver(
  options: { port?: number; answer?: (r: Received) => Response } = {},
): Receiver {
  const port = options.port ?? freePort();
  const received: Received[] = [];
  const server = Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    const body = await request.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body);
    } catch { /* kept as text */ }
    const r: Received = { headers: Object.fromEntries(request.headers), body, json };
    received.push(r);
    return options.answer?.(r) ?? new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    async waitFor(n, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > end) {
          throw new Error(`receiver got ${received.length} of ${n} deliveries in ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      return received;
    },
    close: () => server.shutdown(),
  };
}

/** The hex HMAC-SHA256 of `body` under `secret`, computed here (not by modyard's code). */
export async function expectedSignature(secret: string, body: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return "sha256=" + Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
