/**
 * Publishing a module version: stream the upload into KV chunks under a lease while a scan
 * digests its entries as they pass (src/registry/zip_prescan.ts), validate the stored
 * archive through a KV-backed zip reader (reading back only the central directory, the
 * local headers and whatever the scan could not vouch for), and make it visible with one
 * atomic commit that checks the version is still absent.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { ZipRuleError } from "../gomod/zipcheck.ts";
import { ChunkWriter, Lease } from "../store/blob_store.ts";
import {
  addPublishAppend,
  loggedH1Conflict,
  publishLogKeys,
  type PublishLogValues,
} from "../sumdb_log/publish_append.ts";
import { keys } from "../store/keys.ts";
import type { PinRecord, VersionRecord } from "../store/records.ts";
import { type Actor, audit } from "./audit.ts";
import { inspectStoredZip } from "./inspect_stored_zip.ts";
import type { Origin } from "./origin.ts";
import { ZipPrescan } from "./zip_prescan.ts";
import { bumpGeneration } from "./state_cache.ts";
import { addWebhookEvent, webhookIndexKey } from "../webhooks/outbox.ts";
import type { WebhookIndex } from "../store/records.ts";

/** Why a publish was refused: the HTTP status and a plain-text reason. */
export class PublishError extends Error {
  /** Creates the error. */
  constructor(readonly status: 400 | 404 | 409 | 413, message: string) {
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
  /** Bytes an owner may store when no per-owner quota is set; 0 for no limit. */
  defaultQuota: number;
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
 * refusals; on any failure, every chunk written for the upload is deleted. An `origin`
 * (already validated) is stored with the version.
 */
export async function publishModule(
  kv: Deno.Kv,
  owner: string,
  actor: Actor,
  body: ReadableStream<Uint8Array> | null,
  limits: PublishLimits,
  origin?: Origin,
): Promise<PublishResult> {
  const publisher = actor.name;
  const lease = await Lease.start(kv, owner, limits.stallMs);
  try {
    const zip = new ChunkWriter(lease, "zip");
    const sha256 = createHash("sha256");
    const scan = new ZipPrescan();
    if (body) await receive(body, zip, sha256, scan, limits.maxZipSize);
    await zip.close();
    await scan.close();
    if (zip.size === 0) throw new PublishError(400, "empty upload: the body must be a module zip");

    const analysis = await analyseZip(kv, lease, zip.size, scan);
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
      ...(origin ? { origin } : {}),
    };
    await commitVersion(kv, lease, owner, record, actor, limits.defaultQuota);
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

/**
 * The final commit: the version appears with its pin, counters, audit entry and, when the
 * owner has a checksum log, its log record, or not at all. It checks that the version is
 * absent, that a pin (kept from an earlier publication) and the log name the same content,
 * that the owner's quota holds, and that the lease is still ours; concurrent changes to the
 * module, counters or log make it retry.
 */
async function commitVersion(
  kv: Deno.Kv,
  lease: Lease,
  owner: string,
  record: VersionRecord,
  actor: Actor,
  defaultQuota: number,
): Promise<void> {
  const { module, version } = record;
  const versionKey = keys.version(owner, module, version);
  const item = { module, version, h1: record.h1, goModH1: record.goModH1 };
  for (;;) {
    const [existing, pin, moduleCount, quota, bytes, logMeta, logHead, logged, hooks] = await kv
      .getMany<
        [
          VersionRecord,
          PinRecord,
          Deno.KvU64,
          number,
          Deno.KvU64,
          ...PublishLogValues,
          WebhookIndex,
        ]
      >([
        versionKey,
        keys.pin(owner, module, version),
        keys.module(owner, module),
        keys.quota(owner),
        keys.counter(owner, "bytes"),
        ...publishLogKeys(owner, module, version),
        webhookIndexKey(owner),
      ]);
    if (existing.value) throw conflict(owner, record, existing.value.h1);
    const loggedH1 = loggedH1Conflict(logged.value, item);
    if (loggedH1 !== null) {
      throw new PublishError(
        409,
        `${module}@${version} is in the checksum database of ${owner} with ${loggedH1}; ` +
          `this upload has ${record.h1}. A logged version's content never changes.`,
      );
    }
    if (pin.value && pin.value.h1 !== record.h1) {
      throw new PublishError(
        409,
        `${module}@${version} was published by ${owner} before with ${pin.value.h1} and is pinned to it; ` +
          `this upload has ${record.h1}. A version's content never changes (go.sum files record it).`,
      );
    }
    const limit = quota.value ?? defaultQuota;
    const used = Number(bytes.value?.value ?? 0n);
    if (limit > 0 && used + record.size > limit) {
      throw new PublishError(
        413,
        `storage quota of ${owner} exceeded: ${used} bytes used + ${record.size} bytes of this upload > quota of ${limit} bytes`,
      );
    }
    const pinned: PinRecord = {
      h1: record.h1,
      goModH1: record.goModH1,
      pinnedAt: pin.value?.pinnedAt ?? record.time,
    };
    const firstOfModule = (moduleCount.value?.value ?? 0n) === 0n;
    const res = await lease.finish((op) => {
      op.check({ key: versionKey, versionstamp: null }).check(pin).check(moduleCount)
        .set(versionKey, record)
        .set(keys.pin(owner, module, version), pinned)
        .sum(keys.module(owner, module), 1n)
        .sum(keys.counter(owner, "versions"), 1n)
        .sum(keys.counter(owner, "bytes"), BigInt(record.size));
      if (limit > 0) op.check(bytes);
      if (firstOfModule) op.sum(keys.counter(owner, "modules"), 1n);
      addPublishAppend(op, owner, [logMeta, logHead, logged], item);
      audit(op, actor, "publish", `${owner}/${module}@${version}`, { h1: record.h1 });
      addWebhookEvent(op, hooks, {
        owner,
        event: "publish",
        actor: actor.name,
        fields: { module, version, h1: record.h1, gomod_h1: record.goModH1, sha256: record.sha256 },
      });
      return bumpGeneration(op);
    });
    if (res.ok) return;
  }
}

function conflict(owner: string, record: VersionRecord, storedH1: string): PublishError {
  return new PublishError(
    409,
    `${record.module}@${record.version} is already published by ${owner} with ${storedH1}; ` +
      `a published version never changes (this upload has ${record.h1})`,
  );
}

/**
 * Streams the request body into the chunk writer, the hash and the entry scan, enforcing
 * the size limit.
 */
async function receive(
  body: ReadableStream<Uint8Array>,
  zip: ChunkWriter,
  sha256: ReturnType<typeof createHash>,
  scan: ZipPrescan,
  maxZipSize: number,
): Promise<void> {
  const reader = body.getReader();
  // The scan of one piece (a large entry inflates off the main thread) overlaps the
  // receiving of the next; at most one piece waits for it.
  let scanning = Promise.resolve();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      throw new PublishError(400, `the upload was interrupted: ${(err as Error).message}`);
    }
    if (next.done) return await scanning;
    if (zip.size + next.value.byteLength > maxZipSize) {
      await reader.cancel().catch(() => {});
      throw new PublishError(
        413,
        `module zip is too large (more than ${maxZipSize} bytes; limit is ${maxZipSize} bytes)`,
      );
    }
    const piece = next.value;
    sha256.update(piece);
    await zip.write(piece);
    const previous = scanning;
    scanning = previous.then(() => scan.write(piece));
    await previous;
  }
}

async function analyseZip(kv: Deno.Kv, lease: Lease, size: number, scan: ZipPrescan) {
  let inspection;
  try {
    inspection = await inspectStoredZip(kv, lease.blobId, size, {
      scanned: (headerOffset) => scan.lookup(headerOffset),
    });
  } catch (err) {
    if (err instanceof ZipRuleError) throw new PublishError(400, err.message);
    throw err;
  }
  let modChunks = 0;
  if (inspection.goMod) {
    const mod = new ChunkWriter(lease, "mod");
    await mod.write(inspection.goMod);
    await mod.close();
    modChunks = mod.chunks;
  }
  return { ...inspection, modSize: inspection.goMod?.length ?? 0, modChunks };
}
