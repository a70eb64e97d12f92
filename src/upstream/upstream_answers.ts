/**
 * The pull-through cache's `list` and `@latest` answers: reused for the TTL, asked again
 * after it, and served stale (marked) when the upstream fails.
 *
 * @module
 */

import { canonicalVersion, isValidVersion } from "../gomod/version.ts";
import { keys } from "../store/keys.ts";
import type { UpstreamAnswerRecord } from "../store/records.ts";
import { upstreamPath } from "./cache_fill.ts";
import type { PullThroughAnswer } from "./pull_through.ts";
import type { SingleFlight } from "./single_flight.ts";
import type { UpstreamClient } from "./upstream_client.ts";
import { UpstreamError } from "./upstream_error.ts";

/** Largest accepted `list` body and largest kept in KV (one value). */
const MAX_LIST_SIZE = 1024 * 1024;
const MAX_STORED_ANSWER = 60_000;
const MAX_LATEST_SIZE = 16 * 1024;

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

/** `list` and `@latest` of upstream modules, cached for a TTL. */
export class UpstreamAnswers {
  /** Creates the reader over the store, the upstream client and the process's flights. */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly client: UpstreamClient,
    private readonly flights: SingleFlight,
    private readonly ttlSeconds: number,
  ) {}

  /** `list` or `@latest`: fresh within the TTL, else asked again, else stale. Throws {@link UpstreamError}. */
  async read(kind: "list" | "latest", module: string): Promise<PullThroughAnswer> {
    const key = keys.upstreamAnswer(kind, module);
    const cached = (await this.kv.get<UpstreamAnswerRecord>(key)).value;
    const contentType = kind === "list" ? TEXT : JSON_TYPE;
    if (cached && Date.now() - cached.fetchedAt < this.ttlSeconds * 1000) {
      return { body: cached.body, size: cached.body.byteLength, contentType, stale: false };
    }
    let body: Uint8Array;
    try {
      body = await this.flights.run(`${kind}\0${module}`, async () => {
        const raw = await this.client.bytes(
          upstreamPath(module, kind),
          kind === "list" ? MAX_LIST_SIZE : MAX_LATEST_SIZE,
        );
        const checked = kind === "list" ? cleanList(raw) : checkLatest(raw, module);
        if (checked.byteLength <= MAX_STORED_ANSWER) {
          await this.kv.set(
            key,
            { body: checked, fetchedAt: Date.now() } satisfies UpstreamAnswerRecord,
          );
        }
        return checked;
      });
    } catch (err) {
      const outage = err instanceof UpstreamError && err.status !== 404 && err.status !== 410;
      if (outage && cached) {
        return { body: cached.body, size: cached.body.byteLength, contentType, stale: true };
      }
      throw err;
    }
    return { body, size: body.byteLength, contentType, stale: false };
  }
}

/** The canonical, non-empty lines of an upstream list, newline-terminated. */
function cleanList(raw: Uint8Array): Uint8Array {
  const lines = new TextDecoder().decode(raw).split("\n").map((l) => l.trim())
    .filter((v) => v !== "" && isValidVersion(v) && canonicalVersion(v) === v);
  return new TextEncoder().encode(lines.map((v) => v + "\n").join(""));
}

function checkLatest(raw: Uint8Array, module: string): Uint8Array {
  let info: { Version?: unknown } | null = null;
  try {
    info = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch { /* refused below */ }
  const v = info?.Version;
  if (typeof v !== "string" || !isValidVersion(v) || canonicalVersion(v) !== v) {
    throw new UpstreamError(
      502,
      `upstream @latest of ${module} refused: not an info object with a canonical version`,
    );
  }
  return raw;
}
