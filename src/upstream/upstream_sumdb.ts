/**
 * The upstream checksum database as modyard's pull-through cache uses it: lookups verified
 * as the `go` command verifies them (signed head by the configured key, consistency with the
 * head trusted so far, the record proven by hash tiles), the trusted head kept in KV per
 * database name and moved only forward with a compare-and-set, full tiles (immutable) and
 * verified records cached in KV. Raw reads for the `/sumdb/` passthrough live here too.
 *
 * @module
 */

import { type GoSumLine, MAX_LOOKUP_BYTES, parseGoSumRecord } from "../sumdb/records.ts";
import { lookupPath } from "../sumdb/records.ts";
import { ForkError, verifyLookup } from "../sumdb/lookup_check.ts";
import { NoteError, verifierList, type Verifiers } from "../sumdb/note.ts";
import { newVerifier } from "../sumdb/note_key.ts";
import {
  formatTilePath,
  type Tile,
  TILE_HEIGHT,
  tileDataIndexes,
  tileHashReader,
} from "../sumdb/tile.ts";
import { HASH_SIZE, type Tree } from "../sumdb/tlog.ts";
import { keys } from "../store/keys.ts";
import type { SumdbHeadRecord, SumdbRecordEntry } from "../store/records.ts";
import { ShortLivedCache } from "./short_lived_cache.ts";
import { SingleFlight } from "./single_flight.ts";
import type { SumdbUpstream } from "./sumdb_upstream_config.ts";
import { UpstreamClient, type UpstreamLimits } from "./upstream_client.ts";
import { UpstreamError } from "./upstream_error.ts";
import type { UpstreamEntry } from "./upstream_list.ts";

/** Bytes of a full hash tile of height 8. */
export const FULL_TILE_BYTES = 2 ** TILE_HEIGHT * HASH_SIZE;

/** Largest record text kept in KV (a real one is about 150 bytes). */
const MAX_CACHED_RECORD = 60_000;

/** Attempts of the compare-and-set on the trusted head before giving up (503). */
const HEAD_ATTEMPTS = 8;

/** Milliseconds the answer of the first upstream's `supported` probe is reused. */
export const SUPPORTED_TTL_MS = 5 * 60_000;

/**
 * The upstream database answered 404/410 to a lookup: it does not know the module version.
 * A 502 for pull-through fills (nothing unverifiable is stored); `upstreamReason` is the
 * upstream's own answer, for callers that report the absence as such.
 */
export class NotInSumdbError extends UpstreamError {
  /** Creates the error. */
  constructor(message: string, readonly upstreamReason: string) {
    super(502, message);
    this.name = "NotInSumdbError";
  }
}

/** The client of one upstream checksum database. */
export class UpstreamSumdb {
  /** The database name. */
  readonly name: string;
  /** Base URL (the explicit URL, or the first upstream proxy's `/sumdb/<name>`). */
  readonly base: string;
  /** Whether the base was configured explicitly (then `supported` needs no probe). */
  readonly explicit: boolean;
  readonly #client: UpstreamClient;
  readonly #verifiers: Promise<Verifiers>;
  readonly #flights = new SingleFlight();
  #supported: { value: Promise<boolean>; until: number } | undefined;
  readonly #recent = new ShortLivedCache();

  /** Creates the client; `proxies` is the upstream GOPROXY list (its first entry is used). */
  constructor(
    private readonly kv: Deno.Kv,
    config: SumdbUpstream,
    proxies: readonly UpstreamEntry[],
    limits: UpstreamLimits,
  ) {
    this.name = config.name;
    this.explicit = config.url !== null;
    this.base = config.url ?? `${proxies[0].url}/sumdb/${config.name}`;
    this.#client = new UpstreamClient([{ url: this.base, fallThroughOnError: false }], limits, {
      sameHostRedirects: true,
    });
    this.#verifiers = newVerifier(config.vkey).then((v) => verifierList(v));
  }

  /**
   * The go.sum lines the database holds for `module@version`, proven against a signed head
   * consistent with every head trusted before; looked up once per version (then from KV).
   * Throws {@link UpstreamError} (502 for every refusal, with the reason;
   * {@link NotInSumdbError} when the database does not know the version).
   */
  async record(module: string, version: string): Promise<GoSumLine[]> {
    const key = keys.sumdbRecord(this.name, module, version);
    const cached = (await this.kv.get<SumdbRecordEntry>(key)).value;
    if (cached) return parseGoSumRecord(cached.text);
    return await this.#flights.run(`${module}@${version}`, async () => {
      const what = `${module}@${version}`;
      let body: Uint8Array;
      try {
        body = await this.#client.bytes(lookupPath(module, version), MAX_LOOKUP_BYTES);
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        if (err.status === 404 || err.status === 410) {
          throw new NotInSumdbError(
            `${what}: refused: the checksum database ${this.name} does not know this module version ` +
              `(${err.message}); modyard stores nothing it cannot verify — list the path in ` +
              `--upstream-nosumdb / MODYARD_UPSTREAM_NOSUMDB to fetch it unverified`,
            err.message,
          );
        }
        throw new UpstreamError(
          err.status,
          `${what}: refused: the checksum database ${this.name} could not be asked: ${err.message}`,
        );
      }
      const { lines, id, text, treeSize } = await this.#verify(what, body);
      if (text.byteLength <= MAX_CACHED_RECORD) {
        const entry: SumdbRecordEntry = { id, text, treeSize, verifiedAt: Date.now() };
        await this.kv.set(key, entry);
      }
      return lines;
    });
  }

  /** Verifies a lookup answer and moves the trusted head forward (compare-and-set). */
  async #verify(
    what: string,
    body: Uint8Array,
  ): Promise<{ lines: GoSumLine[]; id: number; text: Uint8Array; treeSize: number }> {
    const fetched = new Map<string, Uint8Array>();
    for (let attempt = 0; attempt < HEAD_ATTEMPTS; attempt++) {
      const head = await this.kv.get<SumdbHeadRecord>(keys.sumdbHead(this.name));
      const trusted: Tree | null = head.value ? { n: head.value.n, hash: head.value.hash } : null;
      let verified;
      try {
        verified = await verifyLookup(
          body,
          await this.#verifiers,
          (tiles) => this.#readTiles(tiles, fetched),
          trusted,
        );
      } catch (err) {
        throw this.#refusal(what, err, trusted);
      }
      const latest = verified.latest;
      if (trusted === null || latest.n > trusted.n) {
        const record: SumdbHeadRecord = { n: latest.n, hash: latest.hash, storedAt: Date.now() };
        const res = await this.kv.atomic().check(head).set(keys.sumdbHead(this.name), record)
          .commit();
        // Another process moved the head: verify again against the head it stored.
        if (!res.ok) continue;
      }
      await this.#storeFullTiles(fetched);
      return { lines: verified.lines, id: verified.id, text: verified.text, treeSize: latest.n };
    }
    throw new UpstreamError(
      503,
      `${what}: the trusted head of checksum database ${this.name} kept changing; try again`,
    );
  }

  #refusal(what: string, err: unknown, trusted: Tree | null): UpstreamError {
    if (err instanceof UpstreamError) {
      return new UpstreamError(
        err.status === 404 || err.status === 410 ? 502 : err.status,
        `${what}: refused: a tile of checksum database ${this.name} could not be read: ${err.message}`,
      );
    }
    if (err instanceof ForkError) {
      const message = `${what}: refused: checksum database ${this.name} is inconsistent with ` +
        `the head modyard trusts (tree ${trusted?.n}), kept: ${err.message}`;
      console.error(`pull-through: SECURITY: ${message}`);
      return new UpstreamError(502, message);
    }
    if (err instanceof NoteError) {
      return new UpstreamError(
        502,
        `${what}: refused: the signed tree head of checksum database ${this.name} does not ` +
          `verify with the configured key: ${err.message}`,
      );
    }
    if (err instanceof Error) {
      return new UpstreamError(
        502,
        `${what}: refused: checksum database ${this.name} did not prove the record: ${err.message}`,
      );
    }
    throw err;
  }

  /**
   * Tile data for a plan: full tiles from `fetched` or KV (stored only once authenticated),
   * the rest from the upstream; a partial tile the upstream no longer serves is cut from its
   * full tile, as the `go` command does.
   */
  async #readTiles(tiles: Tile[], fetched: Map<string, Uint8Array>): Promise<Uint8Array[]> {
    return await Promise.all(tiles.map(async (t) => {
      const full = fetched.get(`${t.l}/${t.n}`) ?? (await this.#storedTile(t.l, t.n));
      if (full) return full.slice(0, t.w * HASH_SIZE);
      const data = await this.#fetchHashTile(t);
      if (data.byteLength === FULL_TILE_BYTES) fetched.set(`${t.l}/${t.n}`, data);
      return data.slice(0, t.w * HASH_SIZE);
    }));
  }

  async #storedTile(level: number, n: number): Promise<Uint8Array | null> {
    return (await this.kv.get<Uint8Array>(keys.sumdbTile(this.name, level, n))).value;
  }

  async #fetchHashTile(t: Tile): Promise<Uint8Array> {
    try {
      return await this.#client.bytes(formatTilePath(t), t.w * HASH_SIZE);
    } catch (err) {
      if (!(err instanceof UpstreamError) || err.status !== 404 || t.w === 2 ** t.h) throw err;
    }
    const full = await this.#client.bytes(
      formatTilePath({ ...t, w: 2 ** t.h }),
      FULL_TILE_BYTES,
    );
    return full;
  }

  async #storeFullTiles(tiles: Map<string, Uint8Array>): Promise<void> {
    for (const [at, data] of tiles) {
      if (data.byteLength !== FULL_TILE_BYTES) continue;
      const [level, n] = at.split("/").map(Number);
      await this.kv.set(keys.sumdbTile(this.name, level, n), data);
    }
  }

  /**
   * A full hash tile for the passthrough: from KV, else from the upstream. A fetched tile is
   * stored when it can be authenticated against the trusted head (`stored: true`); otherwise
   * it is returned unstored (the `go` command checks tiles itself).
   */
  async fullTile(t: Tile): Promise<{ data: Uint8Array; stored: boolean }> {
    const kept = await this.#storedTile(t.l, t.n);
    if (kept) return { data: kept, stored: true };
    const data = await this.#client.bytes(formatTilePath(t), FULL_TILE_BYTES);
    if (data.byteLength !== FULL_TILE_BYTES) return { data, stored: false };
    const head = (await this.kv.get<SumdbHeadRecord>(keys.sumdbHead(this.name))).value;
    // Complete in the trusted tree: its hashes can be read through tiles proven by the head.
    if (!head || (t.n + 1) * 2 ** (TILE_HEIGHT * (t.l + 1)) > head.n) {
      return { data, stored: false };
    }
    const fetched = new Map([[`${t.l}/${t.n}`, data]]);
    try {
      await tileHashReader(
        { n: head.n, hash: head.hash },
        TILE_HEIGHT,
        (tiles) => this.#readTiles(tiles, fetched),
      )(tileDataIndexes(t));
    } catch {
      return { data, stored: false };
    }
    await this.#storeFullTiles(fetched);
    return { data, stored: true };
  }

  /** The raw answer of the upstream database for `path` (`lookup/…`). */
  async raw(path: string, maxBytes: number): Promise<Uint8Array> {
    return await this.#client.bytes(path, maxBytes);
  }

  /**
   * The raw answer for a path that changes or may be replaced (`latest`, partial tiles),
   * reused for a few seconds per process ({@link ShortLivedCache}).
   */
  async recent(path: string, maxBytes: number): Promise<Uint8Array> {
    return await this.#recent.get(path, () => this.#client.bytes(path, maxBytes));
  }

  /**
   * Whether the database is reachable through modyard: an explicit URL is; otherwise the
   * first upstream proxy must answer 200 to `/sumdb/<name>/supported` (reused for
   * {@link SUPPORTED_TTL_MS}).
   */
  supported(now = Date.now()): Promise<boolean> {
    if (this.explicit) return Promise.resolve(true);
    if (!this.#supported || this.#supported.until <= now) {
      const value = this.#client.bytes("supported", 4096).then(() => true, (err) => {
        if (err instanceof UpstreamError) return false;
        throw err;
      });
      this.#supported = { value, until: now + SUPPORTED_TTL_MS };
    }
    return this.#supported.value;
  }
}
