/**
 * The integrity scrub: re-reads every stored zip and go.mod (hosted versions and the
 * pull-through cache) chunk by chunk, recomputes SHA-256 and h1 and compares them with the
 * records; finds missing and extra chunks, and blobs nothing refers to (orphans).
 *
 * Orphans are found without a snapshot, which Deno KV does not have across `list` batches:
 * blob ids are listed FIRST, then the references in the order a blob moves through them
 * (upload lease → version or cached record → reclaim marker → gone). A blob that exists when
 * it is listed already has its lease (the lease is written before any chunk), and a blob
 * that changes state while the references are read moves to a kind read later, so a blob in
 * use is always seen at least once; only blobs nothing referred to at any moment remain.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { goModHash1, hash1 } from "../gomod/dirhash.ts";
import { ZipRuleError } from "../gomod/zipcheck.ts";
import { inspectStoredZip } from "../registry/inspect_stored_zip.ts";
import { CHUNK_SIZE, deleteBlob } from "../store/blob_store.ts";
import { type BlobPart, type CachedFileKind, keys } from "../store/keys.ts";
import type { CachedFileRecord, VersionRecord } from "../store/records.ts";

/** What part of the store a scan covers: everything, an owner, a module or one version. */
export interface VerifyScope {
  /** Owner name; absent for the whole store. */
  owner?: string;
  /** Module path within the owner. */
  module?: string;
  /** Version of the module. */
  version?: string;
}

/**
 * Parses `OWNER[/MODULE[@VERSION]]` (the module path may contain slashes; the version follows
 * the last `@`). Throws a `RangeError` for an empty part.
 *
 * @example
 * ```ts
 * parseVerifyScope("alice/example.com/m@v1.0.0");
 * // { owner: "alice", module: "example.com/m", version: "v1.0.0" }
 * ```
 */
export function parseVerifyScope(text: string | undefined): VerifyScope {
  if (text === undefined || text === "") return {};
  const slash = text.indexOf("/");
  if (slash < 0) return { owner: text };
  const owner = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  const at = rest.lastIndexOf("@");
  const module = at < 0 ? rest : rest.slice(0, at);
  const version = at < 0 ? undefined : rest.slice(at + 1);
  if (owner === "" || module === "" || version === "") {
    throw new RangeError(
      `Cannot parse scope ${JSON.stringify(text)}: use OWNER[/MODULE[@VERSION]]`,
    );
  }
  return version === undefined ? { owner, module } : { owner, module, version };
}

/** The kinds of failure a scan reports. */
export type ProblemKind =
  | "sha256 mismatch"
  | "h1 mismatch"
  | "go.mod h1 mismatch"
  | "size mismatch"
  | "missing chunk"
  | "extra chunk"
  | "unreadable zip"
  | "orphaned blob";

/** One failure, naming what it is about (`owner/module@version`, `upstream zip module@version` or `blob ID`). */
export interface VerifyProblem {
  /** What is affected. */
  target: string;
  /** The kind of failure. */
  kind: ProblemKind;
  /** Details (which chunk, which hashes). */
  detail: string;
}

/** A blob nothing refers to. */
export interface OrphanBlob {
  /** Blob id. */
  blobId: string;
  /** Chunks it has (counted when removed, else at least 1). */
  chunks: number;
  /** Bytes (counted when removed). */
  bytes: number;
}

/** What a scan found. */
export interface VerifyReport {
  /** Hosted versions checked. */
  versions: number;
  /** Pull-through files checked. */
  cachedFiles: number;
  /** Bytes read. */
  bytes: number;
  /** Versions deleted while the scan ran (not checked). */
  vanished: string[];
  /** Failures, orphans included. */
  problems: VerifyProblem[];
  /** Orphaned blobs removed by `repair`. */
  removed: OrphanBlob[];
}

/** How to scan. */
export interface VerifyOptions {
  /** The part of the store to scan (default: all). Orphans are looked for only in full scans. */
  scope?: VerifyScope;
  /** Delete orphaned blobs (only them). */
  repair?: boolean;
  /** Called after each item with the bytes read so far. */
  progress?: (bytes: number, items: number) => void;
}

/**
 * Scans the store as {@link VerifyOptions} say. Never throws for what it finds: every
 * failure is in the report.
 *
 * @example
 * ```ts
 * const report = await verifyStore(kv, { scope: { owner: "alice" } });
 * report.problems.length; // 0 for a sound store
 * ```
 */
export async function verifyStore(kv: Deno.Kv, options: VerifyOptions = {}): Promise<VerifyReport> {
  const scope = options.scope ?? {};
  const full = scope.owner === undefined;
  const report: VerifyReport = {
    versions: 0,
    cachedFiles: 0,
    bytes: 0,
    vanished: [],
    problems: [],
    removed: [],
  };
  const tick = () => options.progress?.(report.bytes, report.versions + report.cachedFiles);
  const blobIds = full ? await listBlobIds(kv) : [];
  const referenced = new Set<string>();
  for await (const e of kv.list<{ deadline: number }>({ prefix: keys.uploads() })) {
    referenced.add(e.key[1] as string);
  }
  for await (const entry of scopedVersions(kv, scope)) {
    const owner = entry.key[1] as string;
    const record = entry.value;
    referenced.add(record.blobId);
    const target = `${owner}/${record.module}@${record.version}`;
    const found = await checkVersion(kv, record, report);
    if (found.length > 0 && (await kv.get(entry.key)).versionstamp !== entry.versionstamp) {
      report.vanished.push(target); // deleted (and reclaimed) under the scan
    } else {
      report.problems.push(...found.map((p) => ({ target, ...p })));
      report.versions++;
    }
    tick();
  }
  if (full) {
    for (const kind of ["info", "mod", "zip"] as CachedFileKind[]) {
      for await (const entry of kv.list<CachedFileRecord>({ prefix: ["upstream", kind] })) {
        const record = entry.value;
        if (record.blobId) referenced.add(record.blobId);
        const target = `upstream ${kind} ${record.module}@${record.version}`;
        const found = await checkCachedFile(kv, kind, record, report);
        if (found.length > 0 && (await kv.get(entry.key)).versionstamp !== entry.versionstamp) {
          report.vanished.push(target);
        } else {
          report.problems.push(...found.map((p) => ({ target, ...p })));
          report.cachedFiles++;
        }
        tick();
      }
    }
    for await (const e of kv.list({ prefix: keys.reclaims() })) referenced.add(e.key[1] as string);
    for (const blobId of blobIds) {
      if (referenced.has(blobId)) continue;
      if (options.repair) {
        report.removed.push({ blobId, ...await deleteBlob(kv, blobId) });
      } else {
        report.problems.push({
          target: `blob ${blobId}`,
          kind: "orphaned blob",
          detail: "no version, cached file, upload lease or reclaim marker refers to it",
        });
      }
    }
  }
  return report;
}

/** Every blob id, one `list` of one chunk per blob (skipping past each blob's chunks). */
async function listBlobIds(kv: Deno.Kv): Promise<string[]> {
  const ids: string[] = [];
  let start: Deno.KvKey | undefined = undefined;
  for (;;) {
    const selector: Deno.KvListSelector = start === undefined
      ? { prefix: keys.blobs() }
      : { prefix: keys.blobs(), start };
    let next: string | null = null;
    for await (const e of kv.list(selector, { limit: 1 })) next = String(e.key[1]);
    if (next === null) return ids;
    ids.push(next);
    // ["blob", id + "\0"] sorts after every ["blob", id, …] key and before the next id.
    start = ["blob", `${next}\0`];
  }
}

function scopedVersions(
  kv: Deno.Kv,
  scope: VerifyScope,
): AsyncIterable<Deno.KvEntry<VersionRecord>> {
  const { owner, module, version } = scope;
  if (owner !== undefined && module !== undefined && version !== undefined) {
    return (async function* () {
      const entry = await kv.get<VersionRecord>(keys.version(owner, module, version));
      if (entry.value !== null) yield entry as Deno.KvEntry<VersionRecord>;
    })();
  }
  const prefix = owner === undefined
    ? ["version"]
    : module === undefined
    ? keys.ownerVersions(owner)
    : keys.moduleVersions(owner, module);
  return kv.list<VersionRecord>({ prefix });
}

type Finding = Omit<VerifyProblem, "target">;

/** A hosted version: zip bytes, zip h1, go.mod bytes and go.mod h1 against its record. */
async function checkVersion(
  kv: Deno.Kv,
  record: VersionRecord,
  report: VerifyReport,
): Promise<Finding[]> {
  const found: Finding[] = [];
  const zip = await checkPart(kv, record.blobId, "zip", record.chunks, record.size, report, found);
  if (zip.sha256 !== null && zip.sha256 !== record.sha256) {
    found.push({
      kind: "sha256 mismatch",
      detail: `zip has sha256 ${zip.sha256}, the record says ${record.sha256}`,
    });
  }
  if (zip.complete) {
    const inspection = await zipHashes(kv, record.blobId, record.size, found);
    if (inspection && inspection.h1 !== record.h1) {
      found.push({
        kind: "h1 mismatch",
        detail: `zip has ${inspection.h1}, the record says ${record.h1}`,
      });
    }
    if (inspection && inspection.goModH1 !== record.goModH1) {
      found.push({
        kind: "go.mod h1 mismatch",
        detail: `the zip's go.mod has ${inspection.goModH1}, the record says ${record.goModH1}`,
      });
    }
  }
  const mod = await checkPart(
    kv,
    record.blobId,
    "mod",
    record.modChunks,
    record.modSize,
    report,
    found,
  );
  const modH1 = record.modChunks === 0
    ? goModHash1(new TextEncoder().encode(`module ${record.module}\n`))
    : mod.sha256 === null
    ? null
    : hash1([{ name: "go.mod", sha256: mod.sha256 }]);
  if (modH1 !== null && modH1 !== record.goModH1) {
    found.push({
      kind: "go.mod h1 mismatch",
      detail: `.mod has ${modH1}, the record says ${record.goModH1}`,
    });
  }
  await checkExtraParts(kv, record.blobId, ["zip", "mod"], found);
  return found;
}

/** A pull-through file: its bytes and hash against its record. */
async function checkCachedFile(
  kv: Deno.Kv,
  kind: CachedFileKind,
  record: CachedFileRecord,
  report: VerifyReport,
): Promise<Finding[]> {
  const found: Finding[] = [];
  if (kind === "info" || !record.blobId) {
    const body = record.body ?? new Uint8Array();
    report.bytes += body.byteLength;
    const sha256 = createHash("sha256").update(body).digest("hex");
    if (sha256 !== record.sha256) {
      found.push({
        kind: "sha256 mismatch",
        detail: `has sha256 ${sha256}, the record says ${record.sha256}`,
      });
    }
    return found;
  }
  const part: BlobPart = kind === "zip" ? "zip" : "mod";
  const read = await checkPart(kv, record.blobId, part, record.chunks, record.size, report, found);
  if (read.sha256 !== null && read.sha256 !== record.sha256) {
    found.push({
      kind: "sha256 mismatch",
      detail: `has sha256 ${read.sha256}, the record says ${record.sha256}`,
    });
  }
  if (kind === "mod" && read.sha256 !== null) {
    const h1 = hash1([{ name: "go.mod", sha256: read.sha256 }]);
    if (h1 !== record.h1) {
      found.push({ kind: "h1 mismatch", detail: `has ${h1}, the record says ${record.h1}` });
    }
  }
  if (kind === "zip" && read.complete) {
    const inspection = await zipHashes(kv, record.blobId, record.size, found);
    if (inspection && inspection.h1 !== record.h1) {
      found.push({
        kind: "h1 mismatch",
        detail: `has ${inspection.h1}, the record says ${record.h1}`,
      });
    }
  }
  await checkExtraParts(kv, record.blobId, [part], found);
  return found;
}

/**
 * Reads a part's chunks in order, 10 per `getMany` (never the whole part in memory), hashing
 * them; reports missing chunks, chunks of the wrong size and chunks past the recorded count.
 * `sha256` is null when a chunk is missing.
 */
async function checkPart(
  kv: Deno.Kv,
  blobId: string,
  part: BlobPart,
  chunks: number,
  size: number,
  report: VerifyReport,
  found: Finding[],
): Promise<{ sha256: string | null; complete: boolean }> {
  const hash = createHash("sha256");
  const missing: number[] = [];
  let total = 0;
  for (let i = 0; i < chunks; i += 10) {
    const batch: Deno.KvKey[] = [];
    for (let j = i; j < Math.min(chunks, i + 10); j++) batch.push(keys.blobChunk(blobId, part, j));
    const entries = await kv.getMany<Uint8Array[]>(batch);
    entries.forEach((e, k) => {
      if (!(e.value instanceof Uint8Array)) {
        missing.push(i + k);
        return;
      }
      hash.update(e.value);
      total += e.value.byteLength;
      report.bytes += e.value.byteLength;
    });
  }
  if (missing.length > 0) {
    found.push({
      kind: "missing chunk",
      detail: `${part} chunk${missing.length > 1 ? "s" : ""} ${missing.slice(0, 10).join(", ")}${
        missing.length > 10 ? ", …" : ""
      } of ${chunks} (blob ${blobId})`,
    });
  } else if (total !== size || (chunks > 0 && Math.ceil(size / CHUNK_SIZE) !== chunks)) {
    found.push({
      kind: "size mismatch",
      detail: `${part} has ${total} bytes in ${chunks} chunks, the record says ${size} bytes`,
    });
  }
  let extra = 0;
  for await (
    const _ of kv.list({
      prefix: keys.blob(blobId).concat(part),
      start: keys.blobChunk(blobId, part, chunks),
    })
  ) {
    extra++;
  }
  if (extra > 0) {
    found.push({
      kind: "extra chunk",
      detail: `${extra} ${part} chunk(s) past the recorded ${chunks} (blob ${blobId})`,
    });
  }
  const ok = missing.length === 0;
  return { sha256: ok ? hash.digest("hex") : null, complete: ok && total === size };
}

/**
 * Chunks of parts a record does not have (e.g. a `mod` part under a cached zip), found with
 * range reads that skip the expected parts' chunks.
 */
async function checkExtraParts(kv: Deno.Kv, blobId: string, parts: BlobPart[], found: Finding[]) {
  const id = keys.blob(blobId);
  const selectors: Deno.KvListSelector[] = [
    { start: id, end: [...id, "mod"] },
    { start: [...id, "mod\0"], end: [...id, "zip"] },
    { prefix: id, start: [...id, "zip\0"] },
  ];
  for (const part of ["mod", "zip"] as BlobPart[]) {
    if (!parts.includes(part)) selectors.push({ prefix: [...id, part] });
  }
  for (const selector of selectors) {
    for await (const e of kv.list(selector, { limit: 10 })) {
      found.push({ kind: "extra chunk", detail: `unexpected chunk ${JSON.stringify(e.key)}` });
    }
  }
}

/** The h1 of a complete stored zip, or what keeps it from being read. */
async function zipHashes(
  kv: Deno.Kv,
  blobId: string,
  size: number,
  found: Finding[],
): Promise<{ h1: string; goModH1: string } | null> {
  try {
    return await inspectStoredZip(kv, blobId, size, { goModPolicy: false });
  } catch (err) {
    const kind = err instanceof ZipRuleError ? "unreadable zip" : "missing chunk";
    found.push({ kind, detail: (err as Error).message });
    return null;
  }
}
