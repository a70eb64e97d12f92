/**
 * Answering from the owners' checksum logs, as x/mod's sumdb server does: `supported`,
 * `latest` (the signed head of the current tree), `lookup/<module>@<version>` and tiles.
 * Access control is the caller's (the owner's rules, as for its GOPROXY files); every
 * answer here is for a reader already admitted.
 *
 * Ed25519 signatures are deterministic, so every process signing the same tree writes the
 * same note: two servers on one store never sign two different trees of one size, because
 * the store holds one tree per size (appends check the head's versionstamp).
 *
 * @module
 */

import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import { signNote } from "../sumdb/note.ts";
import type { Signer } from "../sumdb/note_key.ts";
import { formatLookup, formatTree } from "../sumdb/records.ts";
import { parseTilePath, type Tile } from "../sumdb/tile.ts";
import { formatHash } from "../sumdb/tlog.ts";
import { headTree } from "./log_head.ts";
import type { LoggedVersion, LogHead, LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";
import { loadSigner } from "./log_signer.ts";
import { readDataTile, readHashTile, tileInTree } from "./log_tiles.ts";

/** Options of {@link ChecksumLogs}. */
export interface ChecksumLogsOptions {
  /** Directory of signer key files, for logs whose key is kept outside the store. */
  keyDir?: string;
  /** Signer keys of such logs given directly (`MODYARD_SUMDB_SIGNER_KEYS`), tried first. */
  envKeys?: readonly string[];
  /** Bytes of full (immutable) tiles kept in memory; default 16 MiB. */
  tileCacheBytes?: number;
}

/** Owners whose signers and latest signed heads are kept in memory. */
const MAX_OWNERS_CACHED = 1024;

/** A map that forgets its oldest entry beyond `max` entries. */
class BoundedMap<V> extends Map<string, V> {
  constructor(readonly max: number) {
    super();
  }
  override set(key: string, value: V): this {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value!);
    return this;
  }
}

/** The owners' checksum logs, with per-process caches of signers, heads and full tiles. */
export class ChecksumLogs {
  readonly #kv: Deno.Kv;
  readonly #keyDir: string | undefined;
  readonly #envKeys: readonly string[];
  readonly #signers = new BoundedMap<Promise<Signer>>(MAX_OWNERS_CACHED);
  readonly #heads = new BoundedMap<{ n: number; root: string; note: string }>(MAX_OWNERS_CACHED);
  readonly #tiles = new Map<string, Uint8Array>();
  readonly #tileBudget: number;
  #tileBytes = 0;

  /** Creates the service over a store. */
  constructor(kv: Deno.Kv, options: ChecksumLogsOptions = {}) {
    this.#kv = kv;
    this.#keyDir = options.keyDir;
    this.#envKeys = options.envKeys ?? [];
    this.#tileBudget = options.tileCacheBytes ?? 16 * 1024 * 1024;
  }

  /** The directory of signer keys kept outside the store, if any. */
  get keyDir(): string | undefined {
    return this.#keyDir;
  }

  /**
   * The name of the owner's enabled log, or `null` without one.
   *
   * @example
   * ```ts
   * await logs.name("alice"); // "registry.example.com/alice"
   * ```
   */
  async name(owner: string): Promise<string | null> {
    const meta = (await this.#kv.get<LogMeta>(keys.logMeta(owner))).value;
    return meta?.enabledAt === undefined ? null : meta.name;
  }

  /**
   * Whether `name` is the name of the owner's enabled log (`supported` answers 200 then;
   * otherwise 404, so the `go` command moves on).
   *
   * @example
   * ```ts
   * await logs.supported("alice", "registry.example.com/alice"); // true
   * ```
   */
  async supported(owner: string, name: string): Promise<boolean> {
    const meta = (await this.#kv.get<LogMeta>(keys.logMeta(owner))).value;
    return meta?.enabledAt !== undefined && meta.name === name;
  }

  /**
   * The signed head of the owner's current tree (the `latest` body), or `null` without an
   * enabled log. Throws `LogKeyError` when the signer key cannot be read.
   *
   * @example
   * ```ts
   * await logs.latest("alice"); // "go.sum database tree\n3\n…=\n\n— registry.example.com/alice …\n"
   * ```
   */
  async latest(owner: string): Promise<string | null> {
    const [meta, head] = await this.#kv.getMany<[LogMeta, LogHead]>([
      keys.logMeta(owner),
      keys.logHead(owner),
    ]);
    if (meta.value?.enabledAt === undefined) return null;
    return await this.#signHead(owner, meta.value, head.value);
  }

  /**
   * The lookup answer for a module version (`<id>\n<record>\n` and the signed head of the
   * current tree), or `null` when the owner has no enabled log or the version is not in it
   * (also for paths and versions longer than the registry accepts).
   *
   * @example
   * ```ts
   * await logs.lookup("alice", "example.com/m", "v1.0.0"); // "0\nexample.com/m v1.0.0 h1:…"
   * ```
   */
  async lookup(owner: string, module: string, version: string): Promise<string | null> {
    if (!fitsKeyLimits(module, version)) return null; // never logged, and too long for a key
    const [meta, head, entry] = await this.#kv.getMany<[LogMeta, LogHead, LoggedVersion]>([
      keys.logMeta(owner),
      keys.logHead(owner),
      keys.logEntry(owner, module, version),
    ]);
    if (meta.value?.enabledAt === undefined || entry.value === null) return null;
    const signed = await this.#signHead(owner, meta.value, head.value);
    return formatLookup(entry.value.id, entry.value.text, signed);
  }

  /**
   * The bytes of tile `path` (`tile/8/L/N[.p/W]`, or `tile/8/data/N[.p/W]` for records), or
   * `null` when the owner has no enabled log or the tile lies beyond its tree (every tree
   * size the log ever had stays servable). Throws `TileError` for a malformed path.
   *
   * @example
   * ```ts
   * await logs.tile("alice", "tile/8/0/000.p/3"); // 96 bytes
   * ```
   */
  async tile(owner: string, path: string): Promise<Uint8Array | null> {
    const t = parseTilePath(path);
    const cacheKey = `${owner}\n${path}`;
    const cached = this.#tiles.get(cacheKey);
    if (cached !== undefined) return cached;
    const [meta, head] = await this.#kv.getMany<[LogMeta, LogHead]>([
      keys.logMeta(owner),
      keys.logHead(owner),
    ]);
    if (meta.value?.enabledAt === undefined || !tileInTree(t, head.value?.n ?? 0)) return null;
    const data = t.l < 0
      ? await readDataTile(this.#kv, owner, t)
      : await readHashTile(this.#kv, owner, t);
    if (isFull(t)) this.#keepTile(cacheKey, data);
    return data;
  }

  #keepTile(key: string, data: Uint8Array): void {
    if (data.length > this.#tileBudget) return;
    this.#tiles.set(key, data);
    this.#tileBytes += data.length;
    for (const [k, v] of this.#tiles) {
      if (this.#tileBytes <= this.#tileBudget) break;
      this.#tiles.delete(k);
      this.#tileBytes -= v.length;
    }
  }

  async #signHead(owner: string, meta: LogMeta, head: LogHead | null): Promise<string> {
    const tree = headTree(head ?? { n: 0, frontier: [] });
    const root = formatHash(tree.hash);
    const cached = this.#heads.get(owner);
    if (cached?.n === tree.n && cached.root === root) return cached.note;
    const signer = await this.#signer(owner, meta);
    const note = await signNote(formatTree(tree), signer);
    const latest = this.#heads.get(owner);
    if (latest === undefined || latest.n <= tree.n) {
      this.#heads.set(owner, { n: tree.n, root, note });
    }
    return note;
  }

  #signer(owner: string, meta: LogMeta): Promise<Signer> {
    const key = `${owner}\n${meta.verifierKey}`;
    let signer = this.#signers.get(key);
    if (signer === undefined) {
      signer = loadSigner(this.#kv, owner, meta, { keyDir: this.#keyDir, envKeys: this.#envKeys });
      this.#signers.set(key, signer);
      signer.catch(() => this.#signers.delete(key)); // a missing key file may appear later
    }
    return signer;
  }
}

/** Whether a tile is full (then immutable: it never changes as the log grows). */
function isFull(t: Tile): boolean {
  return t.w === 2 ** t.h;
}
