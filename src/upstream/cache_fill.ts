/**
 * Filling the pull-through cache: one immutable file (`.info`, `.mod`, `.zip`) fetched from
 * upstream, checked, and stored with one atomic commit that also counts its bytes against
 * the cache budget. A `.zip` streams into blob chunks under an upload lease (an abandoned
 * fill is swept like an abandoned upload) and is validated with x/mod's zip rules and the
 * anti-bomb rules before it becomes visible; a `.mod` or `.zip` must also match the upstream
 * checksum database's record (when configured). Any refusal stores nothing.
 *
 * @module
 */

import { bumpGeneration } from "../registry/state_cache.ts";
import { createHash } from "node:crypto";
import { MAX_GO_MOD_SIZE, ZipRuleError } from "../gomod/zipcheck.ts";
import { logEvent } from "../ops/log.ts";
import { processMetrics } from "../ops/process_metrics.ts";
import { inspectStoredZip } from "../registry/inspect_stored_zip.ts";
import { ChunkWriter, Lease } from "../store/blob_store.ts";
import { type CachedFileKind, keys } from "../store/keys.ts";
import type { CachedFileRecord } from "../store/records.ts";
import { type UpstreamClient, upstreamPath } from "./upstream_client.ts";
import { FILL_LEASE_OWNER } from "./fill_lease.ts";
import { UpstreamError } from "./upstream_error.ts";

/** Largest accepted `.info` file. */
export const MAX_INFO_SIZE = 16 * 1024;

/** What a fill needs. */
export interface FillContext {
  /** The store. */
  kv: Deno.Kv;
  /** The upstream client. */
  client: UpstreamClient;
  /** Largest accepted zip (the upload limit). */
  maxZipSize: number;
  /** Bytes the cache may hold in total. */
  maxCacheBytes: number;
  /** Upload lease stall timeout for zip chunks. */
  stallMs: number;
  /**
   * Checks the h1 of a `.mod`/`.zip` before it becomes visible (the checksum database);
   * absent: no check (`--sumdb-upstream off`, or a path in `--upstream-nosumdb`).
   */
  verify?: (kind: "mod" | "zip", module: string, version: string, h1: string) => Promise<void>;
}

/** Fetches, checks and stores one file; resolves when it is stored (by us or by a racer). */
export async function fillFile(
  ctx: FillContext,
  kind: CachedFileKind,
  module: string,
  version: string,
): Promise<void> {
  processMetrics.pullThroughFetches++;
  await checkBudget(ctx, 0, `${module}@${version}`);
  if (kind === "info") return await fillInfo(ctx, module, version);
  const lease = await Lease.start(ctx.kv, FILL_LEASE_OWNER, ctx.stallMs);
  try {
    const record = kind === "mod"
      ? await receiveMod(ctx, lease, module, version)
      : await receiveZip(ctx, lease, module, version);
    await commit(ctx, kind, record, lease);
  } catch (err) {
    await lease.abandon().catch(() => {});
    throw err;
  }
}

async function fillInfo(ctx: FillContext, module: string, version: string): Promise<void> {
  const body = await ctx.client.bytes(upstreamPath(module, "info", version), MAX_INFO_SIZE);
  let info: unknown;
  try {
    info = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    throw refused(module, version, "info", "not a JSON object");
  }
  const v = (info as { Version?: unknown } | null)?.Version;
  if (v !== version) {
    throw refused(module, version, "info", `it names version ${JSON.stringify(v)}`);
  }
  const record: CachedFileRecord = {
    module,
    version,
    body,
    size: body.byteLength,
    chunks: 0,
    sha256: createHash("sha256").update(body).digest("hex"),
    h1: "",
    fetchedAt: new Date().toISOString(),
  };
  await commit(ctx, "info", record, null);
}

async function receiveMod(
  ctx: FillContext,
  lease: Lease,
  module: string,
  version: string,
): Promise<CachedFileRecord> {
  const writer = new ChunkWriter(lease, "mod");
  const sha256 = createHash("sha256");
  await ctx.client.stream(upstreamPath(module, "mod", version), MAX_GO_MOD_SIZE, async (piece) => {
    sha256.update(piece);
    await writer.write(piece);
  });
  await writer.close();
  const hex = sha256.digest("hex");
  // The go.sum hash of a go.mod: h1 over the single file name "go.mod".
  const h1 = "h1:" + createHash("sha256").update(`${hex}  go.mod\n`).digest("base64");
  await ctx.verify?.("mod", module, version, h1);
  return {
    module,
    version,
    blobId: lease.blobId,
    size: writer.size,
    chunks: writer.chunks,
    sha256: hex,
    h1,
    fetchedAt: new Date().toISOString(),
  };
}

async function receiveZip(
  ctx: FillContext,
  lease: Lease,
  module: string,
  version: string,
): Promise<CachedFileRecord> {
  const writer = new ChunkWriter(lease, "zip");
  const sha256 = createHash("sha256");
  const what = `${module}@${version}`;
  const used = await checkBudget(ctx, 0, what);
  await ctx.client.stream(upstreamPath(module, "zip", version), ctx.maxZipSize, async (piece) => {
    if (used + writer.size + piece.byteLength > ctx.maxCacheBytes) throw full(ctx, what);
    sha256.update(piece);
    await writer.write(piece);
  });
  await writer.close();
  if (writer.size === 0) throw refused(module, version, "zip", "it is empty");
  let inspection;
  try {
    inspection = await inspectStoredZip(ctx.kv, lease.blobId, writer.size, {
      goModPolicy: false,
    });
  } catch (err) {
    if (err instanceof ZipRuleError) throw refused(module, version, "zip", err.message);
    throw err;
  }
  if (inspection.id.path !== module || inspection.id.version !== version) {
    throw refused(
      module,
      version,
      "zip",
      `its entries are for ${inspection.id.path}@${inspection.id.version}`,
    );
  }
  await ctx.verify?.("zip", module, version, inspection.h1);
  return {
    module,
    version,
    blobId: lease.blobId,
    size: writer.size,
    chunks: writer.chunks,
    sha256: sha256.digest("hex"),
    h1: inspection.h1,
    fetchedAt: new Date().toISOString(),
  };
}

/**
 * Makes the file visible and counts its bytes, unless it is there already (a racer won) or
 * the budget would be exceeded (503).
 */
async function commit(
  ctx: FillContext,
  kind: CachedFileKind,
  record: CachedFileRecord,
  lease: Lease | null,
): Promise<void> {
  const key = keys.upstreamFile(kind, record.module, record.version);
  const what = `${record.module}@${record.version}`;
  for (;;) {
    const [existing, bytes] = await ctx.kv.getMany<[CachedFileRecord, Deno.KvU64]>([
      key,
      keys.upstreamBytes(),
    ]);
    if (existing.value) {
      await lease?.abandon();
      return;
    }
    const used = Number(bytes.value?.value ?? 0n);
    if (used + record.size > ctx.maxCacheBytes) throw full(ctx, what);
    const build = (op: Deno.AtomicOperation) =>
      bumpGeneration(
        op.check({ key, versionstamp: null }).check(bytes).set(key, record)
          .sum(keys.upstreamBytes(), BigInt(record.size)),
      );
    const res = lease ? await lease.finish(build) : await build(ctx.kv.atomic()).commit();
    // A racer changed the byte counter (or stored the file): read again. A failed finish()
    // leaves the upload lease in place, so it can be retried.
    if (res.ok) {
      processMetrics.pullThroughFills++;
      return;
    }
  }
}

async function checkBudget(ctx: FillContext, extra: number, what: string): Promise<number> {
  const used = Number((await ctx.kv.get<Deno.KvU64>(keys.upstreamBytes())).value?.value ?? 0n);
  if (used + extra >= ctx.maxCacheBytes) throw full(ctx, what);
  return used;
}

function full(ctx: FillContext, what: string): UpstreamError {
  const message =
    `${what}: the pull-through cache is full (limit ${ctx.maxCacheBytes} bytes, --upstream-cache-max-bytes); ` +
    `cached modules are never evicted silently, so new ones cannot be fetched`;
  processMetrics.pullThroughFull++;
  logEvent("warn", `pull-through: ${message}`);
  return new UpstreamError(503, message);
}

function refused(module: string, version: string, kind: string, why: string): UpstreamError {
  return new UpstreamError(502, `upstream ${kind} of ${module}@${version} refused: ${why}`);
}
