/**
 * `import`: restores an export archive ({@link ./export_format.ts}) into an EMPTY store.
 * Blob entries are written as chunks under an upload lease (so an import that dies leaves
 * chunks the sweeper reclaims), each checked against the record that names it (size, chunk
 * count, SHA-256) before that record is written, in the same commit that drops the lease.
 * Usage counters (per owner and of the pull-through cache) and per-module version counts are
 * recomputed from the records restored. While it runs, `["meta", "import"]` marks the store,
 * so a second import refuses it even if the first one died.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { CHUNK_SIZE, deleteBlob } from "../store/blob_store.ts";
import { type BlobPart, keys, SCHEMA_VERSION } from "../store/keys.ts";
import type { CachedFileRecord, UploadLease, VersionRecord } from "../store/records.ts";
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  entryNames,
  type ExportManifest,
  type ExportSummary,
  TRANSIENT_PREFIXES,
} from "./export_format.ts";
import { decodeKvValue } from "./kv_value_codec.ts";
import { readTar, type TarEntry } from "./tar_stream.ts";

/** Why an import was refused or stopped; the message says what to do. */
export class ImportError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

/** What an import restored. */
export interface ImportReport extends ExportSummary {
  /** Blob bytes written. */
  blobBytes: number;
}

/** Options of {@link importStore}. */
export interface ImportOptions {
  /** Called with the archive bytes read so far. */
  progress?: (archiveBytes: number) => void;
}

/** Key marking an import in progress. */
const IMPORT_MARKER: Deno.KvKey = ["meta", "import"];
/** Chunks per commit (12 × 64,000 bytes stays below the 819,200-byte commit limit). */
const CHUNKS_PER_COMMIT = 12;
/** Largest metadata part accepted (the export writes ~4 MiB parts). */
const MAX_METADATA_PART = 64 * 1024 * 1024;
/** Mutations and bytes per metadata commit, well inside the KV limits. */
const MAX_BATCH_MUTATIONS = 200;
const MAX_BATCH_BYTES = 400_000;

/**
 * Throws {@link ImportError} unless the store holds nothing but its layout version.
 *
 * @example
 * ```ts
 * await requireEmptyStore(kv);
 * ```
 */
export async function requireEmptyStore(kv: Deno.Kv): Promise<void> {
  for await (const e of kv.list({ prefix: [] }, { limit: 2 })) {
    if (e.key.length === 2 && e.key[0] === "meta" && e.key[1] === "schema") continue;
    throw new ImportError(
      `the store is not empty (it holds ${
        JSON.stringify(e.key)
      }, among others); import restores only into an empty store: use a new --kv location`,
    );
  }
}

interface StoredPart {
  sha256: string;
  size: number;
  chunks: number;
}

/**
 * Restores the archive read from `stream` into the empty store `kv`.
 *
 * @example
 * ```ts
 * const file = await Deno.open("backup.tar");
 * await importStore(kv, file.readable);
 * ```
 */
export async function importStore(
  kv: Deno.Kv,
  stream: ReadableStream<Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  await requireEmptyStore(kv);
  const marked = await kv.atomic().check({ key: IMPORT_MARKER, versionstamp: null })
    .set(IMPORT_MARKER, { startedAt: new Date().toISOString() }).commit();
  if (!marked.ok) throw new ImportError("another import into this store is running");
  const report: ImportReport = { entries: 0, versions: 0, cachedFiles: 0, blobs: 0, blobBytes: 0 };
  const parts = new Map<string, StoredPart>(); // `${blobId}.${part}`
  const usedBlobs = new Set<string>();
  const counts = new Counts();
  let manifest: ExportManifest | null = null;
  let summary: ExportSummary | null = null;
  for await (const entry of readTar(stream, options.progress)) {
    if (summary !== null) {
      throw new ImportError(`archive has entry ${entry.name} after its summary`);
    }
    if (manifest === null) {
      if (entry.name !== entryNames.manifest) {
        throw new ImportError(
          `not a modyard export: its first entry is ${JSON.stringify(entry.name)}`,
        );
      }
      manifest = checkManifest(await readJson(entry));
      continue;
    }
    const blob = /^modyard-export\/blobs\/([0-9A-Za-z-]{1,64})\.(zip|mod)$/.exec(entry.name);
    if (blob) {
      parts.set(
        `${blob[1]}.${blob[2]}`,
        await writeBlobPart(kv, blob[1], blob[2] as BlobPart, entry, report),
      );
      report.blobs++;
    } else if (/^modyard-export\/metadata-\d{6}\.ndjson$/.test(entry.name)) {
      await writeMetadata(
        kv,
        await readText(entry, MAX_METADATA_PART),
        parts,
        usedBlobs,
        counts,
        report,
      );
    } else if (entry.name === entryNames.summary) {
      summary = await readJson(entry) as ExportSummary;
    } else {
      throw new ImportError(`archive has an unknown entry ${JSON.stringify(entry.name)}`);
    }
  }
  if (manifest === null) throw new ImportError("the archive is empty");
  if (summary === null) {
    throw new ImportError(
      "the archive is truncated (no summary entry); the store is left partial: remove it",
    );
  }
  if (summary.entries !== report.entries) {
    throw new ImportError(
      `the archive's summary counts ${summary.entries} entries, it holds ${report.entries}`,
    );
  }
  await counts.write(kv);
  // Blobs the export wrote but then left out (their version was deleted under it).
  for (const key of parts.keys()) {
    const blobId = key.slice(0, key.lastIndexOf("."));
    if (usedBlobs.has(blobId)) continue;
    usedBlobs.add(blobId);
    await deleteBlob(kv, blobId);
    await kv.delete(keys.upload(blobId));
  }
  await kv.delete(IMPORT_MARKER);
  return report;
}

function checkManifest(value: unknown): ExportManifest {
  const m = value as ExportManifest;
  if (m?.format !== ARCHIVE_FORMAT || m.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw new ImportError(
      `not a modyard export archive of format version ${ARCHIVE_FORMAT_VERSION}`,
    );
  }
  if (m.schema !== SCHEMA_VERSION) {
    throw new ImportError(
      `the archive holds a store of layout version ${m.schema}; this modyard reads version ${SCHEMA_VERSION}`,
    );
  }
  return m;
}

async function readText(entry: TarEntry, max: number): Promise<string> {
  if (entry.size > max) {
    throw new ImportError(`archive entry ${entry.name} is larger than ${max} bytes`);
  }
  const out = new Uint8Array(entry.size);
  let offset = 0;
  for await (const piece of entry.content()) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(out);
}

async function readJson(entry: TarEntry): Promise<unknown> {
  try {
    return JSON.parse(await readText(entry, 1024 * 1024));
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(`archive entry ${entry.name} is not JSON`);
  }
}

/** Streams one blob part into chunks under an upload lease; returns its size and hash. */
async function writeBlobPart(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  entry: TarEntry,
  report: ImportReport,
): Promise<StoredPart> {
  const now = Date.now();
  const lease: UploadLease = { owner: "(import)", deadline: now + 3_600_000, startedAt: now };
  await kv.set(keys.upload(blobId), lease);
  const hash = createHash("sha256");
  let pending = new Uint8Array(CHUNK_SIZE);
  let fill = 0;
  let batch: Uint8Array[] = [];
  let chunks = 0;
  const commit = async () => {
    if (batch.length === 0) return;
    const op = kv.atomic();
    batch.forEach((c, i) => op.set(keys.blobChunk(blobId, part, chunks + i), c));
    chunks += batch.length;
    batch = [];
    await commitOrThrow(op, `chunks of blob ${blobId}`);
  };
  for await (const piece of entry.content()) {
    hash.update(piece);
    report.blobBytes += piece.byteLength;
    let offset = 0;
    while (offset < piece.byteLength) {
      const n = Math.min(CHUNK_SIZE - fill, piece.byteLength - offset);
      pending.set(piece.subarray(offset, offset + n), fill);
      fill += n;
      offset += n;
      if (fill === CHUNK_SIZE) {
        batch.push(pending);
        pending = new Uint8Array(CHUNK_SIZE);
        fill = 0;
        if (batch.length === CHUNKS_PER_COMMIT) await commit();
      }
    }
  }
  if (fill > 0) batch.push(pending.slice(0, fill));
  await commit();
  return { sha256: hash.digest("hex"), size: entry.size, chunks };
}

async function commitOrThrow(op: Deno.AtomicOperation, what: string): Promise<void> {
  const res = await op.commit();
  if (!res.ok) {
    throw new ImportError(
      `could not write ${what}: a check failed (is a server writing to this store?)`,
    );
  }
}

/** Writes the entries of one metadata part, checking each record against its blob. */
async function writeMetadata(
  kv: Deno.Kv,
  text: string,
  parts: Map<string, StoredPart>,
  usedBlobs: Set<string>,
  counts: Counts,
  report: ImportReport,
): Promise<void> {
  let op = kv.atomic();
  let mutations = 0;
  let bytes = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let key: Deno.KvKey, value: unknown;
    try {
      const parsed = JSON.parse(line) as { k: unknown; v: unknown };
      key = decodeKvValue(parsed.k) as Deno.KvKey;
      value = decodeKvValue(parsed.v);
    } catch {
      throw new ImportError(
        `archive has a metadata line that does not parse: ${line.slice(0, 80)}`,
      );
    }
    if (!Array.isArray(key) || typeof key[0] !== "string" || TRANSIENT_PREFIXES.includes(key[0])) {
      throw new ImportError(
        `archive has a metadata key that is not exportable: ${line.slice(0, 80)}`,
      );
    }
    report.entries++;
    const [kind, a, b] = key;
    if (kind === "counter" || kind === "module" || (kind === "meta" && a === "upstream_bytes")) {
      counts.keep(key, value); // overwritten by the recomputed values where they differ
      continue;
    }
    if (kind === "meta" && a === "schema") continue;
    if (kind === "version") {
      const record = value as VersionRecord;
      const what = `${String(a)}/${record.module}@${record.version}`;
      checkPart(parts, record.blobId, "zip", record.size, record.chunks, record.sha256, what);
      if (record.modChunks > 0) {
        checkPart(parts, record.blobId, "mod", record.modSize, record.modChunks, undefined, what);
      }
      usedBlobs.add(record.blobId);
      op.delete(keys.upload(record.blobId));
      mutations++;
      counts.version(a as string, record);
      report.versions++;
    } else if (kind === "upstream") {
      const record = value as CachedFileRecord;
      if (record.blobId) {
        const what = `upstream ${String(b)}@${record.version}`;
        const part: BlobPart = a === "zip" ? "zip" : "mod";
        checkPart(parts, record.blobId, part, record.size, record.chunks, record.sha256, what);
        usedBlobs.add(record.blobId);
        op.delete(keys.upload(record.blobId));
        mutations++;
      }
      counts.upstream += BigInt(record.size);
      report.cachedFiles++;
    }
    op.set(key, value);
    mutations++;
    bytes += line.length;
    if (mutations >= MAX_BATCH_MUTATIONS || bytes >= MAX_BATCH_BYTES) {
      await commitOrThrow(op, "metadata");
      op = kv.atomic();
      mutations = 0;
      bytes = 0;
    }
  }
  if (mutations > 0) await commitOrThrow(op, "metadata");
}

function checkPart(
  parts: Map<string, StoredPart>,
  blobId: string,
  part: BlobPart,
  size: number,
  chunks: number,
  sha256: string | undefined,
  what: string,
): void {
  const stored = parts.get(`${blobId}.${part}`);
  const problem = stored === undefined
    ? "is not in the archive"
    : stored.size !== size || stored.chunks !== chunks
    ? `has ${stored.size} bytes in ${stored.chunks} chunks, the record says ${size} in ${chunks}`
    : sha256 !== undefined && stored.sha256 !== sha256
    ? `has sha256 ${stored.sha256}, the record says ${sha256}`
    : null;
  if (problem !== null) {
    throw new ImportError(
      `the archive is damaged: the ${part} of ${what} ${problem}; the store is left partial: remove it`,
    );
  }
}

/** Usage counters recomputed from the records restored. */
class Counts {
  #kept = new Map<string, { key: Deno.KvKey; value: unknown }>();
  #owners = new Map<string, { bytes: bigint; versions: bigint; modules: Map<string, bigint> }>();
  /** Bytes of the pull-through cache. */
  upstream = 0n;

  /** Remembers an exported counter (kept as it was where nothing recomputes it). */
  keep(key: Deno.KvKey, value: unknown): void {
    this.#kept.set(JSON.stringify(key), { key, value });
  }

  /** Counts a restored version. */
  version(owner: string, record: VersionRecord): void {
    let o = this.#owners.get(owner);
    if (!o) this.#owners.set(owner, o = { bytes: 0n, versions: 0n, modules: new Map() });
    o.bytes += BigInt(record.size);
    o.versions++;
    o.modules.set(record.module, (o.modules.get(record.module) ?? 0n) + 1n);
  }

  /** Writes the counters: recomputed ones over the exported ones. */
  async write(kv: Deno.Kv): Promise<void> {
    const out = new Map<string, { key: Deno.KvKey; value: unknown }>();
    for (const [k, v] of this.#kept) {
      // Counters the records decide are set below; a module with no version left has none.
      if (v.key[0] === "module") continue;
      if (v.key[0] === "counter") v.value = new Deno.KvU64(0n);
      out.set(k, v);
    }
    const set = (key: Deno.KvKey, n: bigint) =>
      out.set(JSON.stringify(key), { key, value: new Deno.KvU64(n) });
    for (const [owner, o] of this.#owners) {
      set(keys.counter(owner, "bytes"), o.bytes);
      set(keys.counter(owner, "versions"), o.versions);
      set(keys.counter(owner, "modules"), BigInt(o.modules.size));
      for (const [module, n] of o.modules) set(keys.module(owner, module), n);
    }
    if (this.upstream > 0n || out.has(JSON.stringify(keys.upstreamBytes()))) {
      set(keys.upstreamBytes(), this.upstream);
    }
    let op = kv.atomic();
    let n = 0;
    for (const { key, value } of out.values()) {
      op.set(key, value);
      if (++n % MAX_BATCH_MUTATIONS === 0) {
        await commitOrThrow(op, "counters");
        op = kv.atomic();
      }
    }
    await commitOrThrow(op, "counters");
  }
}
