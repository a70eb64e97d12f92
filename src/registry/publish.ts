/**
 * Publishing a module version: stream the upload into KV chunks under a lease, validate
 * the stored archive through a KV-backed zip reader, hash it, and make it visible with one
 * atomic commit that checks the version is still absent.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { configure, type Entry, ZipReader } from "@zip.js/zip.js";
import { goModHash1, hash1, type HashedFile } from "../gomod/dirhash.ts";
import { parseModFile } from "../gomod/modfile.ts";
import {
  checkZipEntries,
  identifyModule,
  MAX_GO_MOD_SIZE,
  type ModuleId,
  ZipRuleError,
} from "../gomod/zipcheck.ts";
import { ChunkWriter, Lease } from "../store/blob_store.ts";
import { keys } from "../store/keys.ts";
import { KvBlobReader } from "../store/kv_zip_reader.ts";
import type { VersionRecord } from "../store/records.ts";
import { bumpGeneration } from "./state_cache.ts";

configure({ useWebWorkers: false });

/** Why a publish was refused: the HTTP status and a plain-text reason. */
export class PublishError extends Error {
  /** Creates the error. */
  constructor(readonly status: 400 | 409 | 413, message: string) {
    super(message);
    this.name = "PublishError";
  }
}

/** Limits that apply to one upload. */
export interface PublishLimits {
  /** Largest accepted zip, in bytes. */
  maxZipSize: number;
  /** How long an upload may make no progress before a sweeper may reclaim it. */
  stallMs: number;
}

/** What a successful publish reports (the 201 body). */
export interface PublishResult {
  /** Module path. */
  module: string;
  /** Version. */
  version: string;
  /** Zip size in bytes. */
  size: number;
  /** Hex SHA-256 of the zip. */
  sha256: string;
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod. */
  gomod_h1: string;
  /** The two go.sum lines, newline-terminated. */
  gosum: string;
}

/**
 * Publishes the zip streamed in `body` for `owner`. Throws {@link PublishError} for
 * refusals; on any failure, every chunk written for the upload is deleted.
 */
export async function publishModule(
  kv: Deno.Kv,
  owner: string,
  publisher: string,
  body: ReadableStream<Uint8Array> | null,
  limits: PublishLimits,
): Promise<PublishResult> {
  const lease = await Lease.start(kv, owner, limits.stallMs);
  try {
    const zip = new ChunkWriter(lease, "zip");
    const sha256 = createHash("sha256");
    if (body) await receive(body, zip, sha256, limits.maxZipSize);
    await zip.close();
    if (zip.size === 0) throw new PublishError(400, "empty upload: the body must be a module zip");

    const analysis = await analyseZip(kv, lease, zip.size);
    const { id } = analysis;
    const record: VersionRecord = {
      module: id.path,
      version: id.version,
      blobId: lease.blobId,
      size: zip.size,
      chunks: zip.chunks,
      modSize: analysis.modSize,
      modChunks: analysis.modChunks,
      sha256: sha256.digest("hex"),
      h1: analysis.h1,
      goModH1: analysis.goModH1,
      goVersion: analysis.goVersion,
      retract: analysis.retract,
      time: new Date().toISOString(),
      publisher,
    };
    const versionKey = keys.version(owner, id.path, id.version);
    const res = await lease.finish((op) =>
      bumpGeneration(op.check({ key: versionKey, versionstamp: null }).set(versionKey, record))
    );
    if (!res.ok) {
      const existing = await kv.get<VersionRecord>(versionKey);
      throw new PublishError(
        409,
        `${id.path}@${id.version} is already published by ${owner} with ${
          existing.value?.h1 ?? "another content"
        }; a published version never changes (this upload has ${record.h1})`,
      );
    }
    return {
      module: id.path,
      version: id.version,
      size: record.size,
      sha256: record.sha256,
      h1: record.h1,
      gomod_h1: record.goModH1,
      gosum:
        `${id.path} ${id.version} ${record.h1}\n${id.path} ${id.version}/go.mod ${record.goModH1}\n`,
    };
  } catch (err) {
    await lease.abandon().catch(() => {});
    throw err;
  }
}

/** Streams the request body into the chunk writer and the hash, enforcing the size limit. */
async function receive(
  body: ReadableStream<Uint8Array>,
  zip: ChunkWriter,
  sha256: ReturnType<typeof createHash>,
  maxZipSize: number,
): Promise<void> {
  const reader = body.getReader();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      throw new PublishError(400, `the upload was interrupted: ${(err as Error).message}`);
    }
    if (next.done) return;
    if (zip.size + next.value.byteLength > maxZipSize) {
      await reader.cancel().catch(() => {});
      throw new PublishError(
        413,
        `module zip is too large (more than ${maxZipSize} bytes; limit is ${maxZipSize} bytes)`,
      );
    }
    sha256.update(next.value);
    await zip.write(next.value);
  }
}

interface ZipAnalysis {
  id: ModuleId;
  h1: string;
  goModH1: string;
  goVersion: string;
  retract: VersionRecord["retract"];
  modSize: number;
  modChunks: number;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeName(raw: Uint8Array): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

async function analyseZip(kv: Deno.Kv, lease: Lease, size: number): Promise<ZipAnalysis> {
  const reader = new ZipReader(new KvBlobReader(kv, lease.blobId, "zip", size), {
    useWebWorkers: false,
    checkCrc32: true,
    strictness: "strict",
    // Names are judged by the Go rules on the raw bytes, below, not by zip.js.
    filenameValidation: "tolerant",
  });
  let entries: Entry[];
  try {
    entries = await reader.getEntries();
  } catch (err) {
    throw new PublishError(400, `not a valid zip file: ${(err as Error).message}`);
  }
  try {
    const infos = entries.map((e) => ({
      name: decodeName(e.rawFilename),
      size: e.uncompressedSize,
    }));
    const id = identifyModule(infos);
    const checked = checkZipEntries(id, infos);
    const prefix = `${id.path}@${id.version}/`;
    const hashed: HashedFile[] = [];
    let goMod: Uint8Array | null = null;
    for (const [i, entry] of entries.entries()) {
      const name = infos[i].name!;
      if (entry.directory) throw new ZipRuleError(`${name}: directory entries are not allowed`);
      if (entry.encrypted) throw new ZipRuleError(`${name}: encrypted entries are not allowed`);
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        throw new ZipRuleError(
          `${name}: compression method ${entry.compressionMethod} is not allowed (only stored and deflate)`,
        );
      }
      const keep = name === prefix + "go.mod";
      const { sha256, content } = await hashEntry(entry, name, keep);
      hashed.push({ name, sha256 });
      if (keep) goMod = content;
    }
    const h1 = hash1(hashed);
    const modText = goMod ?? new TextEncoder().encode(`module ${id.path}\n`);
    let goVersion = "", retract: VersionRecord["retract"] = [];
    if (goMod) {
      let parsed;
      try {
        parsed = parseModFile(new TextDecoder().decode(goMod));
      } catch (err) {
        throw new ZipRuleError(`${prefix}go.mod: ${(err as Error).message}`);
      }
      if (parsed.module !== id.path) {
        throw new ZipRuleError(
          `${prefix}go.mod: module line says ${JSON.stringify(parsed.module)}, but the zip is for ${
            JSON.stringify(id.path)
          }`,
        );
      }
      goVersion = parsed.go;
      retract = parsed.retract;
    }
    let modChunks = 0;
    if (checked.hasGoMod) {
      const mod = new ChunkWriter(lease, "mod");
      await mod.write(modText);
      await mod.close();
      modChunks = mod.chunks;
    }
    return {
      id,
      h1,
      goModH1: goModHash1(modText),
      goVersion,
      retract,
      modSize: checked.hasGoMod ? modText.length : 0,
      modChunks,
    };
  } catch (err) {
    if (err instanceof ZipRuleError) throw new PublishError(400, err.message);
    if (err instanceof PublishError) throw err;
    if (err instanceof Error && err.name !== "LeaseLostError") {
      throw new PublishError(400, `invalid module zip: ${err.message}`);
    }
    throw err;
  } finally {
    await reader.close();
  }
}

async function hashEntry(
  entry: Entry,
  name: string,
  keep: boolean,
): Promise<{ sha256: string; content: Uint8Array | null }> {
  if (entry.directory) throw new ZipRuleError(`${name}: directory entries are not allowed`);
  const hash = createHash("sha256");
  const declared = entry.uncompressedSize;
  const kept: Uint8Array[] = [];
  let total = 0;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      total += chunk.byteLength;
      if (total > declared) {
        throw new ZipRuleError(
          `${name}: entry inflates to more than its declared size of ${declared} bytes`,
        );
      }
      hash.update(chunk);
      if (keep) kept.push(chunk.slice());
    },
  });
  try {
    await entry.getData(sink);
  } catch (err) {
    if (err instanceof ZipRuleError) throw err;
    throw new ZipRuleError(`${name}: cannot read entry: ${(err as Error).message}`);
  }
  if (total !== declared) {
    throw new ZipRuleError(`${name}: entry has ${total} bytes but declares ${declared}`);
  }
  if (keep && total > MAX_GO_MOD_SIZE) {
    throw new ZipRuleError(`${name}: go.mod file too large (max size is ${MAX_GO_MOD_SIZE} bytes)`);
  }
  let content: Uint8Array | null = null;
  if (keep) {
    content = new Uint8Array(total);
    let offset = 0;
    for (const c of kept) {
      content.set(c, offset);
      offset += c.length;
    }
  }
  return { sha256: hash.digest("hex"), content };
}
