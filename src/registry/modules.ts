/**
 * Reading published versions: the list of a module, one version, its go.mod and zip.
 * Metadata goes through the state cache; zips stream from the hot-zip cache or from their
 * chunks; download counts are batched in memory.
 *
 * @module
 */

import { compareVersions, isPseudoVersion, latestVersion } from "../gomod/version.ts";
import { blobStream, readBlob, readBlobInto } from "../store/blob_store.ts";
import { keys } from "../store/keys.ts";
import type { PinRecord, VersionRecord } from "../store/records.ts";
import { retractedVersions } from "../gomod/retract.ts";
import { fitsKeyLimits } from "../gomod/zipcheck.ts";
import type { StateCache } from "./state_cache.ts";
import { DownloadCounts } from "./download_counts.ts";
import { ZipCache } from "./zip_cache.ts";

/** go.mod texts up to this size are kept in the per-process cache. */
const CACHED_GO_MOD_LIMIT = 16 * 1024;
/** What a cached version record holds besides its module path (hashes, ids, times). */
const VERSION_RECORD_BYTES = 768;

/** Read access to the versions of modules. */
export class ModuleReader {
  /** Batched download counts (flushed by {@link close}). */
  readonly counts: DownloadCounts;
  /** Hot zips by blob id. */
  readonly zips: ZipCache;

  /**
   * Creates a reader over `kv`, caching metadata through `cache` and up to `zipCacheSize`
   * bytes of zips (0: none).
   */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly cache: StateCache,
    options: { zipCacheSize?: number } = {},
  ) {
    this.counts = new DownloadCounts(kv);
    this.zips = new ZipCache(options.zipCacheSize ?? 0);
  }

  /** All versions of a module of an owner, in semver order (empty when none). */
  versions(owner: string, module: string): Promise<VersionRecord[]> {
    if (!fitsKeyLimits(module)) return Promise.resolve([]);
    return this.cache.get("versions", `${owner}\0${module}`, async () => {
      const out: VersionRecord[] = [];
      for await (
        const e of this.kv.list<VersionRecord>({ prefix: keys.moduleVersions(owner, module) })
      ) {
        out.push(e.value);
      }
      return out.sort((a, b) => compareVersions(a.version, b.version));
    }, (records) => records.length * (VERSION_RECORD_BYTES + 4 * module.length));
  }

  /** One version, or `undefined`. */
  async version(
    owner: string,
    module: string,
    version: string,
  ): Promise<VersionRecord | undefined> {
    return (await this.versions(owner, module)).find((v) => v.version === version);
  }

  /** The `list` body: canonical versions, no pseudo-versions, semver order. */
  async listBody(owner: string, module: string): Promise<string> {
    return (await this.versions(owner, module))
      .filter((v) => !isPseudoVersion(v.version))
      .map((v) => v.version + "\n").join("");
  }

  /** What `@latest` answers, or `undefined` when the module has no versions. */
  async latest(owner: string, module: string): Promise<VersionRecord | undefined> {
    const all = await this.versions(owner, module);
    const best = latestVersion(all.map((v) => v.version));
    return all.find((v) => v.version === best);
  }

  /** The pin of a version (present for every version ever published, deleted or not). */
  pin(owner: string, module: string, version: string): Promise<PinRecord | null> {
    if (!fitsKeyLimits(module, version)) return Promise.resolve(null);
    return this.cache.get("pin", `${owner}\0${module}\0${version}`, async () => {
      return (await this.kv.get<PinRecord>(keys.pin(owner, module, version))).value;
    });
  }

  /** Retracted versions of a module and their rationale, as the `go` command computes them. */
  retracted(owner: string, module: string): Promise<Map<string, string>> {
    return this.cache.get("retracted", `${owner}\0${module}`, async () => {
      return retractedVersions(await this.versions(owner, module));
    }, (m) => [...m].reduce((n, [v, why]) => n + 2 * (v.length + why.length) + 64, 64));
  }

  /** Zip downloads of each version of a module, including this process's unflushed ones. */
  downloads(owner: string, module: string): Promise<Map<string, number>> {
    if (!fitsKeyLimits(module)) return Promise.resolve(new Map());
    return this.counts.withPending(owner, module, async () => {
      const out = new Map<string, number>();
      for await (
        const e of this.kv.list<Deno.KvU64>({ prefix: keys.moduleDownloads(owner, module) })
      ) {
        out.set(e.key[3] as string, Number(e.value.value));
      }
      return out;
    });
  }

  /**
   * Counts one download of a version, in memory (flushed to the store in batches). Returns a
   * promise only when the batch is full and the caller must wait for its flush.
   */
  countDownload(owner: string, record: VersionRecord): Promise<void> | undefined {
    return this.counts.add(owner, record.module, record.version);
  }

  /** The go.mod of a version: stored verbatim, or `module <path>\n` when the zip had none. */
  goMod(record: VersionRecord): Promise<Uint8Array> {
    if (record.modChunks === 0) {
      return Promise.resolve(new TextEncoder().encode(`module ${record.module}\n`));
    }
    const read = () => readBlob(this.kv, record.blobId, "mod", record.modChunks, record.modSize);
    if (record.modSize > CACHED_GO_MOD_LIMIT) return read();
    return this.cache.get("gomod", record.blobId, read, (mod) => mod.byteLength);
  }

  /** The zip of a version: from the hot-zip cache (filling it), else from its stored chunks. */
  zip(record: VersionRecord): ReadableStream<Uint8Array> {
    const { blobId, chunks, size } = record;
    return this.zips.stream(
      blobId,
      size,
      (target, progress) => readBlobInto(this.kv, blobId, "zip", chunks, target, progress),
    ) ?? blobStream(this.kv, blobId, "zip", chunks);
  }

  /** Writes the unflushed download counts to the store (on shutdown). */
  close(): Promise<void> {
    return this.counts.close();
  }
}
