/**
 * Measures what answers kept in the reply cache really hold, against what the cache counts
 * for them. Run with `--v8-flags=--expose-gc`; prints one JSON line per kind of answer:
 * `{ kind, real, counted }`, bytes per entry (heap and external memory after full GCs).
 *
 * ```
 * deno run -A --v8-flags=--expose-gc tests/helpers/reply_cache_memory.ts [ENTRIES]
 * ```
 *
 * @module
 */

import { StateCache } from "../../src/registry/state_cache.ts";
import { ReplyCache } from "../../src/http/reply_cache.ts";
import { RequestObserver } from "../../src/ops/request_observer.ts";
import { HttpMetrics } from "../../src/ops/http_metrics.ts";
import { Logger } from "../../src/ops/log.ts";
import type { Reply } from "../../src/http/responses.ts";

const entries = Number(Deno.args[0] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

function heldBytes(): number {
  gc!();
  gc!();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

/** Kinds of kept answers: how each is made, and a request the cache then answers. */
const KINDS: Record<string, (i: number) => { path: string; reply: Reply; ask?: Request }> = {
  "404": (i) => ({
    path: `/api/packages/alice/go/example.com/m${i}/@v/list`,
    reply: {
      status: 404,
      body: `example.com/m${i}: no such module of alice\n`,
      contentType: "text/plain; charset=utf-8",
      policy: { kind: "none" },
    },
  }),
  "info, after a 304": (i) => {
    const etag = `h1:${"y".repeat(40)}${i}=`;
    const path = `/api/packages/alice/go/example.com/m${i}/@v/v1.0.0.info`;
    return {
      path,
      reply: {
        status: 200,
        body: JSON.stringify({ Version: "v1.0.0", Time: "2026-01-01T00:00:00Z", N: i }),
        contentType: "application/json",
        policy: { kind: "immutable", etag, isPrivate: false },
      },
      ask: new Request(`http://h${path}`, { headers: { "if-none-match": `"${etag}"` } }),
    };
  },
};

const kv = await Deno.openKv(":memory:");
try {
  for (const [kind, make] of Object.entries(KINDS)) {
    const state = new StateCache(kv, { reply: 1e12, reply404: 1e12 });
    const observer = new RequestObserver(new HttpMetrics(), new Logger({ level: "info" }), false);
    const replies = ReplyCache.observed(state, observer);
    await state.get("warm", "up", () => Promise.resolve(0)); // a poll: the cache is fresh
    const epoch = state.freshEpoch();
    const before = heldBytes();
    for (let i = 0; i < entries; i++) {
      const { path, reply, ask } = make(100_000 + i);
      const key = `${path}\n`;
      replies.remember(key, reply, Date.now() + 3_600_000, epoch, {
        route: "goproxy",
        owner: "alice",
        user: "",
      });
      if (ask) {
        const hit = replies.respond(key, ask);
        if (hit?.response.status !== 304) throw new Error(`${kind}: no 304 from the cache`);
        await hit.response.body?.cancel();
      }
    }
    const real = (heldBytes() - before) / entries;
    const counted = (state.bytesIn("reply") + state.bytesIn("reply404")) / entries;
    console.log(JSON.stringify({ kind, real: Math.round(real), counted: Math.round(counted) }));
    state.close();
  }
} finally {
  kv.close();
}
