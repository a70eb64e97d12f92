/**
 * `export`: one tar archive ({@link ./export_format.ts}) of a store that keeps serving and
 * accepting uploads. Deno KV has no snapshot across `list` batches, so it promises only what
 * it can check: every exported version and cached file is complete and its bytes match the
 * SHA-256 of its record (read while writing); versions published during the export may be
 * missing; one whose chunks vanish mid-export (deleted and reclaimed) is skipped and
 * reported. Owners' checksum logs are cut at the head read FIRST: records, entries and
 * hashes beyond it, and versions of a logged owner that are not in that prefix, are left
 * out, so a restored log is one its clients have seen. Usage counters are recomputed by
 * `import` from the versions it restores.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { readAhead } from "../store/blob_store.ts";
import { type BlobPart, keys, SCHEMA_VERSION } from "../store/keys.ts";
import type {
  CachedFileRecord,
  LoggedVersion,
  LogHead,
  LogMeta,
  VersionRecord,
} from "../store/records.ts";
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  entryNames,
  type ExportManifest,
  type ExportSummary,
  TRANSIENT_PREFIXES,
} from "./export_format.ts";
import { encodeKvValue } from "./kv_value_codec.ts";
import { type ByteSink, TarWriter } from "./tar_stream.ts";

/** Bytes of NDJSON gathered before a metadata part is written. */
const METADATA_PART_BYTES = 4 * 1024 * 1024;

/** What an export did. */
export interface ExportReport extends ExportSummary {
  /** Bytes of blob content written. */
  blobBytes: number;
  /** Versions and cached files left out because they were deleted while exporting. */
  skipped: string[];
  /** Versions and cached files left out because their stored bytes are damaged. */
  damaged: string[];
  /** Bytes of the archive. */
  archiveBytes: number;
}

/** Options of {@link exportStore}. */
export interface ExportOptions {
  /** Called as blob bytes are written. */
  progress?: (blobBytes: number, entries: number) => void;
}

/**
 * Writes the whole store to `sink` as an export archive.
 *
 * @example
 * ```ts
 * const file = await Deno.open("backup.tar", { write: true, createNew: true, mode: 0o600 });
 * const writer = file.writable.getWriter();
 * await exportStore(kv, { write: (b) => writer.write(b) });
 * ```
 */
export async function exportStore(
  kv: Deno.Kv,
  sink: ByteSink,
  options: ExportOptions = {},
): Promise<ExportReport> {
  const tar = new TarWriter(sink);
  const report: ExportReport = {
    entries: 0,
    versions: 0,
    cachedFiles: 0,
    blobs: 0,
    blobBytes: 0,
    skipped: [],
    damaged: [],
    archiveBytes: 0,
  };
  const manifest: ExportManifest = {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    schema: SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
  };
  await tar.addBytes(entryNames.manifest, json(manifest));

  // The logs' heads first: everything of a log beyond them is left out.
  const heads = new Map<string, Deno.KvEntry<LogHead>>();
  for await (const e of kv.list<LogHead>({ prefix: ["sumdb_head"] })) {
    heads.set(e.key[1] as string, e);
  }
  const logged = new Set<string>();
  for await (const e of kv.list<LogMeta>({ prefix: ["sumdb_log"] })) {
    if (e.value.enabledAt) logged.add(e.key[1] as string);
  }
  const treeSize = (owner: string) => heads.get(owner)?.value.n ?? 0;

  const lines: string[] = [];
  let lineBytes = 0;
  let parts = 0;
  const emit = async (key: Deno.KvKey, value: unknown) => {
    const line = JSON.stringify({ k: encodeKvValue(key), v: encodeKvValue(value) }) + "\n";
    lines.push(line);
    lineBytes += line.length;
    report.entries++;
    if (lineBytes >= METADATA_PART_BYTES) await flush();
  };
  const flush = async () => {
    if (lines.length === 0) return;
    const bytes = new TextEncoder().encode(lines.join(""));
    lines.length = 0;
    lineBytes = 0;
    await tar.addBytes(entryNames.metadata(++parts), bytes);
  };
  const tick = () => options.progress?.(report.blobBytes, report.entries);

  const everything: Deno.KvListSelector[] = [
    { prefix: [], end: ["blob"] },
    { prefix: [], start: ["blob\0"] },
  ];
  for (const selector of everything) {
    for await (const entry of kv.list(selector)) {
      const [kind, a] = entry.key;
      if (typeof kind !== "string" || TRANSIENT_PREFIXES.includes(kind)) continue;
      if (kind === "sumdb_head") {
        const anchored = heads.get(a as string);
        if (anchored) await emit(anchored.key, anchored.value);
        continue;
      }
      if (kind === "sumdb_record" || kind === "sumdb_entry" || kind === "sumdb_hash") {
        if (!withinLog(entry as Deno.KvEntry<unknown>, treeSize(a as string))) continue;
      } else if (kind === "version") {
        const record = entry.value as VersionRecord;
        const owner = a as string;
        const target = `${owner}/${record.module}@${record.version}`;
        if (logged.has(owner)) {
          const e = await kv.get<LoggedVersion>(
            keys.logEntry(owner, record.module, record.version),
          );
          if (e.value === null || e.value.id >= treeSize(owner)) continue; // published during export
        }
        const ok = await exportBlob(kv, tar, entry, record.blobId, target, [
          { part: "zip", size: record.size, chunks: record.chunks, sha256: record.sha256 },
          ...(record.modChunks > 0
            ? [{ part: "mod" as const, size: record.modSize, chunks: record.modChunks }]
            : []),
        ], report);
        tick();
        if (!ok) continue;
        report.versions++;
      } else if (kind === "upstream") {
        const record = entry.value as CachedFileRecord;
        if (record.blobId) {
          const target = `upstream ${String(a)} ${record.module}@${record.version}`;
          const part: BlobPart = a === "zip" ? "zip" : "mod";
          const ok = await exportBlob(kv, tar, entry, record.blobId, target, [
            { part, size: record.size, chunks: record.chunks, sha256: record.sha256 },
          ], report);
          tick();
          if (!ok) continue;
        }
        report.cachedFiles++;
      }
      await emit(entry.key, entry.value);
    }
  }
  await flush();
  const summary: ExportSummary = {
    entries: report.entries,
    versions: report.versions,
    cachedFiles: report.cachedFiles,
    blobs: report.blobs,
  };
  await tar.addBytes(entryNames.summary, json(summary));
  await tar.close();
  report.archiveBytes = tar.written;
  return report;
}

/** Whether a log record, entry or stored hash belongs to the first `n` records of its log. */
function withinLog(entry: Deno.KvEntry<unknown>, n: number): boolean {
  const [kind, , x, y] = entry.key;
  if (kind === "sumdb_record") return typeof x === "number" && x < n;
  if (kind === "sumdb_entry") return (entry.value as LoggedVersion).id < n;
  // ["sumdb_hash", owner, level, k]: the node covers records [k·2^level, (k+1)·2^level).
  return typeof x === "number" && typeof y === "number" && (y + 1) * 2 ** x <= n;
}

interface PartSpec {
  part: BlobPart;
  size: number;
  chunks: number;
  sha256?: string;
}

/**
 * Writes the parts of a record's blob, checking each against the record as it streams.
 * Returns false (and records why) when the record must be left out.
 */
async function exportBlob(
  kv: Deno.Kv,
  tar: TarWriter,
  record: Deno.KvEntry<unknown>,
  blobId: string,
  target: string,
  parts: PartSpec[],
  report: ExportReport,
): Promise<boolean> {
  for (const spec of parts) {
    const hash = createHash("sha256");
    let problem: string | null = null;
    {
      try {
        const written = await tar.add(
          entryNames.blob(blobId, spec.part),
          spec.size,
          async (write) => {
            const reader = readAhead(kv, blobId, spec.part, spec.chunks);
            for (let batch = await reader.next(); batch !== null; batch = await reader.next()) {
              for (const chunk of batch) {
                hash.update(chunk);
                await write(chunk);
                report.blobBytes += chunk.byteLength;
              }
            }
          },
        );
        if (written !== spec.size) problem = `${spec.part} has ${written} bytes, not ${spec.size}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      report.blobs++;
    }
    const digest = problem === null ? hash.digest("hex") : null;
    if (problem === null && spec.sha256 !== undefined && digest !== spec.sha256) {
      problem = `${spec.part} has sha256 ${digest}, the record says ${spec.sha256}`;
    }
    if (problem !== null) {
      const still = await kv.get(record.key);
      if (still.versionstamp !== record.versionstamp) {
        report.skipped.push(`${target} (deleted while exporting)`);
      } else report.damaged.push(`${target}: ${problem}`);
      return false;
    }
  }
  return true;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n");
}
