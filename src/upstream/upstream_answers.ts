/**
 * The pull-through cache's `list` and `@latest` answers: reused for the TTL, asked again
 * after it, and served stale (marked) when the upstream fails. What the cache keeps outlives
 * the upstream: when the upstream answers 404/410 for a module some of whose versions are
 * cached, the answer comes from those versions instead.
 *
 * A kept answer up to {@link INLINE_LIMIT} bytes lives inside its head record; a larger one
 * (up to the accepted 1 MiB) in immutable parts of ≤ 64,000 bytes under a fresh id, written
 * first, and made visible by one atomic commit of the head record that names them. A reader
 * therefore sees the old answer or the new one, never a mix; parts the head no longer names
 * are deleted after the switch (a reader caught in between reads the head again).
 *
 * @module
 */

import { compareVersions, isPseudoVersion, latestVersion } from "../gomod/version.ts";
import { canonicalVersion, isValidVersion } from "../gomod/version.ts";
import { keys } from "../store/keys.ts";
import type { CachedFileRecord, UpstreamAnswerRecord } from "../store/records.ts";
import { upstreamPath } from "./upstream_client.ts";
import type { PullThroughAnswer } from "./pull_through.ts";
import type { SingleFlight } from "./single_flight.ts";
import type { UpstreamClient } from "./upstream_client.ts";
import { UpstreamError } from "./upstream_error.ts";

/** Largest accepted `list` body (all of it is kept). */
export const MAX_LIST_SIZE = 1024 * 1024;
/** Largest body kept inside the head record; larger ones go to parts. */
export const INLINE_LIMIT = 60_000;
/** Bytes per part (a KV value is at most 65,536 bytes). */
export const PART_SIZE = 64_000;
/** Parts per atomic commit: 12 × 64,000 stays below the 819,200-byte commit limit. */
const PARTS_PER_COMMIT = 12;
/** Cached versions read to answer for a module the upstream no longer has. */
export const MAX_KEPT_VERSIONS = 10_000;
/** Parts no head names, older than this, are a crashed writer's: deleted by the next write. */
const ORPHAN_AGE_MS = 10 * 60_000;
const MAX_LATEST_SIZE = 16 * 1024;

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json";

type AnswerKind = "list" | "latest";

interface LoadedAnswer {
  body: Uint8Array;
  fetchedAt: number;
  head: Deno.KvEntry<UpstreamAnswerRecord>;
}

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
  async read(kind: AnswerKind, module: string): Promise<PullThroughAnswer> {
    const cached = await loadAnswer(this.kv, kind, module);
    const contentType = kind === "list" ? TEXT : JSON_TYPE;
    const answer = (body: Uint8Array, stale: boolean) => ({
      body,
      size: body.byteLength,
      contentType,
      stale,
    });
    if (cached && Date.now() - cached.fetchedAt < this.ttlSeconds * 1000) {
      return answer(cached.body, false);
    }
    let body: Uint8Array;
    try {
      body = await this.flights.run(`${kind}\0${module}`, async () => {
        const raw = await this.client.bytes(
          upstreamPath(module, kind),
          kind === "list" ? MAX_LIST_SIZE : MAX_LATEST_SIZE,
        );
        const checked = kind === "list" ? cleanList(raw) : checkLatest(raw, module);
        await storeAnswer(this.kv, kind, module, checked, cached);
        return checked;
      });
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      const gone = err.status === 404 || err.status === 410;
      // Gone upstream: what the cache keeps of the module, never the upstream's old list
      // (it may name versions nobody fetched, which now exist nowhere).
      if (gone || !cached) {
        const kept = await keptAnswer(this.kv, kind, module);
        if (kept) return answer(kept, true);
        throw err;
      }
      return answer(cached.body, true);
    }
    return answer(body, false);
  }
}

/**
 * The kept answer of `kind` for `module`, whole, or `null`. Retries when a writer replaced
 * it (and deleted its parts) while it was being read.
 */
export async function loadAnswer(
  kv: Deno.Kv,
  kind: AnswerKind,
  module: string,
): Promise<LoadedAnswer | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const head = await kv.get<UpstreamAnswerRecord>(keys.upstreamAnswer(kind, module));
    const record = head.value;
    if (record === null) return null;
    if (record.body) {
      return {
        body: record.body,
        fetchedAt: record.fetchedAt,
        head: head as Deno.KvEntry<UpstreamAnswerRecord>,
      };
    }
    if (!record.parts) return null;
    const { id, count, size } = record.parts;
    const body = new Uint8Array(size);
    let at = 0;
    let whole = true;
    for (let first = 0; first < count && whole; first += 10) {
      const partKeys = [];
      for (let i = first; i < Math.min(count, first + 10); i++) {
        partKeys.push(keys.upstreamAnswerPart(kind, module, id, i));
      }
      for (const part of await kv.getMany<Uint8Array[]>(partKeys)) {
        if (part.value === null || at + part.value.byteLength > size) {
          whole = false;
          break;
        }
        body.set(part.value, at);
        at += part.value.byteLength;
      }
    }
    if (whole && at === size) {
      return {
        body,
        fetchedAt: record.fetchedAt,
        head: head as Deno.KvEntry<UpstreamAnswerRecord>,
      };
    }
  }
  return null;
}

/**
 * Keeps `body` as the answer of `kind` for `module`. An unchanged body only renews its time;
 * a small one goes into the head record; a large one into parts made visible by one atomic
 * commit of the head. Parts the head no longer names are deleted afterwards.
 */
export async function storeAnswer(
  kv: Deno.Kv,
  kind: AnswerKind,
  module: string,
  body: Uint8Array,
  previous: LoadedAnswer | null,
): Promise<void> {
  const key = keys.upstreamAnswer(kind, module);
  const now = Date.now();
  if (previous && sameBytes(previous.body, body)) {
    // A racer that replaced it meanwhile wrote an answer at least as fresh: keep that one.
    await kv.atomic().check(previous.head).set(key, { ...previous.head.value, fetchedAt: now })
      .commit();
    return;
  }
  let record: UpstreamAnswerRecord;
  if (body.byteLength <= INLINE_LIMIT) {
    record = { body, fetchedAt: now };
  } else {
    const id = `${now.toString(36).padStart(9, "0")}-${crypto.randomUUID()}`;
    const count = Math.ceil(body.byteLength / PART_SIZE);
    for (let first = 0; first < count; first += PARTS_PER_COMMIT) {
      const op = kv.atomic();
      for (let i = first; i < Math.min(count, first + PARTS_PER_COMMIT); i++) {
        op.set(
          keys.upstreamAnswerPart(kind, module, id, i),
          body.subarray(i * PART_SIZE, (i + 1) * PART_SIZE),
        );
      }
      const res = await op.commit();
      if (!res.ok) throw new Error(`Cannot store parts of the ${kind} answer of ${module}`);
    }
    record = { parts: { id, count, size: body.byteLength }, fetchedAt: now };
  }
  let replaced: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await kv.get<UpstreamAnswerRecord>(key);
    const res = await kv.atomic().check(head).set(key, record).commit();
    if (res.ok) {
      replaced = head.value?.parts?.id;
      break;
    }
  }
  await deleteUnnamedParts(kv, kind, module, record.parts?.id, replaced, now);
}

/**
 * Deletes the parts of the answer the head named before (`replaced`), and those of writers
 * that never switched the head (they crashed) once they are older than {@link ORPHAN_AGE_MS}:
 * a younger id the head does not name may be a live writer's, about to switch it.
 */
async function deleteUnnamedParts(
  kv: Deno.Kv,
  kind: AnswerKind,
  module: string,
  ours: string | undefined,
  replaced: string | undefined,
  now: number,
): Promise<void> {
  const named = (await kv.get<UpstreamAnswerRecord>(keys.upstreamAnswer(kind, module))).value
    ?.parts?.id;
  const doomed: Deno.KvKey[] = [];
  // Bounded: 1 MiB of live parts is 17 keys; more only after many crashed writes.
  for await (
    const e of kv.list({ prefix: keys.upstreamAnswerParts(kind, module) }, { limit: 1000 })
  ) {
    const id = e.key[3] as string;
    if (id === ours || id === named) continue;
    if (id === replaced || now - parseInt(id.slice(0, 9), 36) > ORPHAN_AGE_MS) doomed.push(e.key);
  }
  for (let i = 0; i < doomed.length; i += 100) {
    const op = kv.atomic();
    for (const k of doomed.slice(i, i + 100)) op.delete(k);
    await op.commit();
  }
}

/**
 * The answer the cache's own files give for a module the upstream no longer answers for:
 * `list` names the canonical, non-pseudo versions whose `.info` is cached (a version the list
 * names can be resolved); `@latest` is the `.info` of the newest of them (release, else
 * pre-release, else pseudo-version). `null` when no `.info` of the module is cached.
 */
export async function keptAnswer(
  kv: Deno.Kv,
  kind: AnswerKind,
  module: string,
): Promise<Uint8Array | null> {
  const versions: string[] = [];
  for await (
    const e of kv.list<CachedFileRecord>(
      { prefix: keys.upstreamFiles("info", module) },
      { limit: MAX_KEPT_VERSIONS },
    )
  ) {
    versions.push(e.key[3] as string);
  }
  if (versions.length === 0) return null;
  if (kind === "list") {
    const listed = versions.filter((v) => !isPseudoVersion(v)).sort(compareVersions);
    return new TextEncoder().encode(listed.map((v) => v + "\n").join(""));
  }
  const newest = latestVersion(versions)!;
  const info = await kv.get<CachedFileRecord>(keys.upstreamFile("info", module, newest));
  return info.value?.body ?? null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
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
