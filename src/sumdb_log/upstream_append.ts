/**
 * Public modules in an owner's own checksum log. The `go` command sends every lookup to its
 * one `GOSUMDB`, public modules included, so a lookup the owner's log cannot answer is
 * filled from the upstream checksum database: the record is fetched and verified there
 * (signed head, consistency with the trusted head, inclusion by tiles: {@link UpstreamSumdb}),
 * then appended to the owner's log as the same two go.sum lines.
 *
 * Appends are bounded per owner: at most `perWindow` in each clock-aligned window, counted
 * in the same atomic commit as the append (so two processes on one store share the bound),
 * under the KV key `["sumdb_upstream_appends", owner, windowStart]` (one number, expiring
 * after two windows).
 *
 * @module
 */

import { bumpGeneration } from "../registry/state_cache.ts";
import { goSumHashes } from "../sumdb/records.ts";
import { SingleFlight } from "../upstream/single_flight.ts";
import { UpstreamError } from "../upstream/upstream_error.ts";
import { NotInSumdbError, type UpstreamSumdb } from "../upstream/upstream_sumdb.ts";
import { addAppend, itemText, type LogItem } from "./append.ts";
import type { LoggedVersion, LogHead, LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";

/** How many upstream records an owner's log may take, per window. */
export interface UpstreamAppendLimits {
  /** Appends per window and owner. */
  perWindow: number;
  /** Window length in seconds (windows are aligned to multiples of it since the epoch). */
  windowSeconds: number;
}

/**
 * Defaults: 2,000 appends per owner per clock hour (a cold build of a large project looks up
 * a few hundred to about a thousand module versions; at most 4,000 within any 60 minutes,
 * across two windows).
 */
export const DEFAULT_UPSTREAM_APPEND_LIMITS: UpstreamAppendLimits = {
  perWindow: 2_000,
  windowSeconds: 3_600,
};

/** Commit attempts of one append before giving up (503); each failure means a rival append. */
const APPEND_ATTEMPTS = 32;

/** The part of {@link UpstreamSumdb} used here (verified records). */
export type RecordSource = Pick<UpstreamSumdb, "name" | "record">;

/**
 * The KV key counting an owner's appends from upstream in the window starting at
 * `windowStart` (milliseconds since the epoch).
 *
 * @example
 * ```ts
 * appendCountKey("alice", 1_700_000_000_000); // ["sumdb_upstream_appends", "alice", 1700000000000]
 * ```
 */
export function appendCountKey(owner: string, windowStart: number): Deno.KvKey {
  return keys.logUpstreamAppends(owner, windowStart);
}

/**
 * Appends verified records of the upstream checksum database to owners' logs, once per
 * module version (single-flight in this process; the head's versionstamp check and a
 * re-read of the entry across processes), within {@link UpstreamAppendLimits}.
 */
export class UpstreamAppends {
  readonly #flights = new SingleFlight();

  /** Creates the service; `now` is the clock (tests). */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly sumdb: RecordSource,
    readonly limits: UpstreamAppendLimits = DEFAULT_UPSTREAM_APPEND_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Appends the upstream's record of `module@version` to the owner's log (unless it is
   * there already) and returns its entry. Callers decide that the path may be looked up
   * upstream at all. Throws {@link UpstreamError}: 404 when the upstream database does not
   * know the version, 429 (with `retryAfter`) beyond the owner's bound, 502 for a record
   * that does not verify or lacks a line, 502/503/504 when the database cannot be asked.
   *
   * @example
   * ```ts
   * const appends = new UpstreamAppends(kv, pullThrough.sumdb!);
   * const { id } = await appends.append("alice", "rsc.io/quote", "v1.5.2");
   * ```
   */
  append(owner: string, module: string, version: string): Promise<LoggedVersion> {
    return this.#flights.run(
      `${owner}\0${module}\0${version}`,
      () => this.#append(owner, module, version),
    );
  }

  async #append(owner: string, module: string, version: string): Promise<LoggedVersion> {
    const entryKey = keys.logEntry(owner, module, version);
    const logged = (await this.kv.get<LoggedVersion>(entryKey)).value;
    if (logged) return logged; // appended by another process meanwhile
    this.#admit(owner, (await this.kv.get<number>(this.#countKey(owner))).value ?? 0);
    const item = await this.#item(module, version);
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const countKey = this.#countKey(owner);
      const [meta, head, entry, count] = await this.kv.getMany<
        [LogMeta, LogHead, LoggedVersion, number]
      >([keys.logMeta(owner), keys.logHead(owner), entryKey, countKey]);
      if (entry.value) return entry.value;
      if (meta.value?.enabledAt === undefined) {
        throw new UpstreamError(404, `${owner} has no enabled checksum log`);
      }
      const used = count.value ?? 0;
      this.#admit(owner, used);
      const op = this.kv.atomic().check(meta).check(entry).check(count);
      const { ids } = addAppend(op, owner, head, [item]);
      op.set(countKey, used + 1, { expireIn: 2 * this.limits.windowSeconds * 1000 });
      // Cached answers of the log (its `latest`, a 404 for this version) are stale now.
      bumpGeneration(op);
      if ((await op.commit()).ok) return { id: ids[0], text: itemText(item) };
    }
    throw new UpstreamError(
      503,
      `${module}@${version}: the checksum log of ${owner} kept changing while appending; try again`,
    );
  }

  /** The record of the upstream database as a log item; both lines required. */
  async #item(module: string, version: string): Promise<LogItem> {
    let lines;
    try {
      lines = await this.sumdb.record(module, version);
    } catch (err) {
      if (err instanceof NotInSumdbError) {
        throw new UpstreamError(
          404,
          `${module}@${version}: checksum database ${this.sumdb.name} does not know this ` +
            `module version (${err.upstreamReason})`,
        );
      }
      throw err;
    }
    const { zip, mod } = goSumHashes(lines, module, version);
    if (zip === null || mod === null) {
      const missing = zip === null ? `${module} ${version}` : `${module} ${version}/go.mod`;
      throw new UpstreamError(
        502,
        `${module}@${version}: refused: the record of checksum database ${this.sumdb.name} ` +
          `has no line "${missing} h1:…"; a record is logged only with both go.sum lines`,
      );
    }
    return { module, version, h1: zip, goModH1: mod };
  }

  #windowMs(): number {
    return this.limits.windowSeconds * 1000;
  }

  #countKey(owner: string): Deno.KvKey {
    const windowMs = this.#windowMs();
    return appendCountKey(owner, Math.floor(this.now() / windowMs) * windowMs);
  }

  /** Throws a 429 when the owner's window is used up. */
  #admit(owner: string, used: number): void {
    if (used < this.limits.perWindow) return;
    const windowMs = this.#windowMs();
    const end = (Math.floor(this.now() / windowMs) + 1) * windowMs;
    const wait = Math.max(1, Math.ceil((end - this.now()) / 1000));
    throw new UpstreamError(
      429,
      `the checksum log of ${owner} took ${this.limits.perWindow} module versions from ` +
        `checksum database ${this.sumdb.name} in the last ${this.limits.windowSeconds} s, ` +
        `its limit; try again in ${wait} s`,
      wait,
    );
  }
}
