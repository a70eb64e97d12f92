/**
 * Every Deno KV key shape modyard uses, in one place so the layout reads in one screen.
 *
 * | key | value |
 * | --- | --- |
 * | `["meta", "schema"]` | layout version (number) |
 * | `["meta", "generation"]` | `Deno.KvU64`, bumped by every change a cache may hold |
 * | `["meta", "first_admin"]` | `{name, time}` of the first admin: the bootstrap token is spent |
 * | `["user", name]` | {@link import("./records.ts").UserRecord} |
 * | `["member", org, user]` | {@link import("./records.ts").MemberRecord} |
 * | `["token", sha256hex]` | {@link import("./records.ts").TokenRecord} |
 * | `["user_token", user, tokenId]` | sha256hex of that token (for listing and revoking) |
 * | `["session", sha256hex]` | a web UI session, under the SHA-256 of its cookie value (expiring) |
 * | `["user_session", user, sha256hex]` | epoch ms a user's session expires (for the per-user cap and sign-out) |
 * | `["upload", blobId]` | {@link import("./records.ts").UploadLease} of an upload in progress |
 * | `["reclaim", blobId]` | {@link import("./blob_store.ts").ReclaimMarker}: chunks to delete |
 * | `["blob", blobId, part, index]` | one chunk (≤ 64,000 bytes) of a blob part (`zip`, `mod`) |
 * | `["version", owner, module, version]` | {@link import("./records.ts").VersionRecord} |
 * | `["pin", owner, module, version]` | {@link import("./records.ts").PinRecord}: the h1 a version is bound to, kept after deletion |
 * | `["module", owner, module]` | `Deno.KvU64`: number of live versions of the module |
 * | `["counter", owner, "bytes" \| "versions" \| "modules"]` | `Deno.KvU64` usage of an owner |
 * | `["quota", owner]` | bytes an owner may store (admin-set; overrides the default) |
 * | `["downloads", owner, module, version]` | `Deno.KvU64` zip downloads |
 * | `["audit", descendingId]` | {@link import("./records.ts").AuditRecord}, newest first |
 * | `["upstream", kind, module, version]` | {@link import("./records.ts").CachedFileRecord}: a pull-through file (`info`, `mod`, `zip`), shared by all owners |
 * | `["upstream_answer", kind, module]` | {@link import("./records.ts").UpstreamAnswerRecord}: last upstream `list`/`latest` answer (inline, or naming its parts) |
 * | `["upstream_answer_part", kind, module, partsId, index]` | `Uint8Array`: one part (≤ 64,000 bytes) of a kept answer too large for its head record |
 * | `["upstream_fill", kind, module, version]` | {@link import("./records.ts").FillLease}: one process fetching that file |
 * | `["meta", "upstream_bytes"]` | `Deno.KvU64` bytes held by the pull-through cache |
 * | `["sumdb_log", owner]` | {@link import("./records.ts").LogMeta}: an owner's own checksum log (name, verifier key, key custody, enabled) |
 * | `["sumdb_key", owner]` | the log's signer key text (`PRIVATE+KEY+…`), when kept in the store; never served |
 * | `["sumdb_head", owner]` | {@link import("./records.ts").LogHead}: the log's tree size and the roots of its complete subtrees |
 * | `["sumdb_record", owner, id]` | record `id`'s text (the two go.sum lines) |
 * | `["sumdb_entry", owner, module, version]` | {@link import("./records.ts").LoggedVersion}: where a module version is in the log |
 * | `["sumdb_hash", owner, level, n]` | the stored hash of node (level, n) of the log: 32 bytes (by node, so a tile is one `list`) |
 * | `["sumdb_upstream_appends", owner, windowStart]` | records the owner's log took from the upstream checksum database in that hour (expiring) |
 * | `["upstream_sumdb_head", name]` | {@link import("./records.ts").SumdbHeadRecord}: the newest verified head of an upstream checksum database |
 * | `["upstream_sumdb_tile", name, level, n]` | `Uint8Array`: a full, authenticated hash tile (height 8, 8,192 bytes, immutable) |
 * | `["upstream_sumdb_record", name, module, version]` | {@link import("./records.ts").SumdbRecordEntry}: a verified record of a module version |
 * | `["webhook", owner, id]` | {@link import("./records.ts").WebhookRecord}: an owner's webhook (URL, events, secret) |
 * | `["webhook_index", owner]` | {@link import("./records.ts").WebhookIndex}: the owner's webhook ids and events (the one key a change reads) |
 * | `["webhook_outbox", eventId]` | {@link import("./records.ts").OutboxEvent}: an event written with the change that caused it, not yet fanned out |
 * | `["webhook_delivery", owner, webhookId, deliveryId]` | {@link import("./records.ts").DeliveryRecord}: one delivery and its attempts (the last 50 per webhook) |
 * | `["webhook_queue", dueMs, owner, webhookId, deliveryId]` | `1`: a delivery due (or leased until) `dueMs` |
 *
 * @module
 */

/** The layout version this code reads and writes. */
export const SCHEMA_VERSION = 1;

/** Key builders; each returns a fresh array. */
export const keys = {
  schema: (): Deno.KvKey => ["meta", "schema"],
  generation: (): Deno.KvKey => ["meta", "generation"],
  firstAdmin: (): Deno.KvKey => ["meta", "first_admin"],
  user: (name: string): Deno.KvKey => ["user", name],
  users: (): Deno.KvKey => ["user"],
  member: (org: string, user: string): Deno.KvKey => ["member", org, user],
  members: (org: string): Deno.KvKey => ["member", org],
  allMembers: (): Deno.KvKey => ["member"],
  token: (hash: string): Deno.KvKey => ["token", hash],
  userToken: (user: string, id: string): Deno.KvKey => ["user_token", user, id],
  userTokens: (user: string): Deno.KvKey => ["user_token", user],
  session: (hash: string): Deno.KvKey => ["session", hash],
  userSession: (user: string, hash: string): Deno.KvKey => ["user_session", user, hash],
  userSessions: (user: string): Deno.KvKey => ["user_session", user],
  upload: (blobId: string): Deno.KvKey => ["upload", blobId],
  uploads: (): Deno.KvKey => ["upload"],
  reclaim: (blobId: string): Deno.KvKey => ["reclaim", blobId],
  reclaims: (): Deno.KvKey => ["reclaim"],
  blob: (blobId: string): Deno.KvKey => ["blob", blobId],
  blobChunk: (blobId: string, part: BlobPart, index: number): Deno.KvKey => [
    "blob",
    blobId,
    part,
    index,
  ],
  blobs: (): Deno.KvKey => ["blob"],
  version: (owner: string, module: string, version: string): Deno.KvKey => [
    "version",
    owner,
    module,
    version,
  ],
  moduleVersions: (owner: string, module: string): Deno.KvKey => ["version", owner, module],
  ownerVersions: (owner: string): Deno.KvKey => ["version", owner],
  pin: (owner: string, module: string, version: string): Deno.KvKey => [
    "pin",
    owner,
    module,
    version,
  ],
  modulePins: (owner: string, module: string): Deno.KvKey => ["pin", owner, module],
  module: (owner: string, module: string): Deno.KvKey => ["module", owner, module],
  modules: (owner: string): Deno.KvKey => ["module", owner],
  counter: (owner: string, name: OwnerCounter): Deno.KvKey => ["counter", owner, name],
  counters: (): Deno.KvKey => ["counter"],
  quota: (owner: string): Deno.KvKey => ["quota", owner],
  downloads: (owner: string, module: string, version: string): Deno.KvKey => [
    "downloads",
    owner,
    module,
    version,
  ],
  moduleDownloads: (owner: string, module: string): Deno.KvKey => ["downloads", owner, module],
  audit: (id: string): Deno.KvKey => ["audit", id],
  audits: (): Deno.KvKey => ["audit"],
  upstreamFile: (kind: CachedFileKind, module: string, version: string): Deno.KvKey => [
    "upstream",
    kind,
    module,
    version,
  ],
  upstreamAnswer: (kind: "list" | "latest", module: string): Deno.KvKey => [
    "upstream_answer",
    kind,
    module,
  ],
  upstreamAnswerPart: (
    kind: "list" | "latest",
    module: string,
    id: string,
    index: number,
  ): Deno.KvKey => ["upstream_answer_part", kind, module, id, index],
  upstreamAnswerParts: (kind: "list" | "latest", module: string): Deno.KvKey => [
    "upstream_answer_part",
    kind,
    module,
  ],
  /** Prefix of every cached file of one kind of a module: `upstreamFile(kind, module, …)`. */
  upstreamFiles: (kind: CachedFileKind, module: string): Deno.KvKey => ["upstream", kind, module],
  upstreamFill: (kind: CachedFileKind, module: string, version: string): Deno.KvKey => [
    "upstream_fill",
    kind,
    module,
    version,
  ],
  upstreamBytes: (): Deno.KvKey => ["meta", "upstream_bytes"],
  logMeta: (owner: string): Deno.KvKey => ["sumdb_log", owner],
  logSignerKey: (owner: string): Deno.KvKey => ["sumdb_key", owner],
  logHead: (owner: string): Deno.KvKey => ["sumdb_head", owner],
  logRecord: (owner: string, id: number): Deno.KvKey => ["sumdb_record", owner, id],
  logRecords: (owner: string): Deno.KvKey => ["sumdb_record", owner],
  logEntry: (owner: string, module: string, version: string): Deno.KvKey => [
    "sumdb_entry",
    owner,
    module,
    version,
  ],
  logEntries: (owner: string): Deno.KvKey => ["sumdb_entry", owner],
  logHash: (owner: string, level: number, n: number): Deno.KvKey => [
    "sumdb_hash",
    owner,
    level,
    n,
  ],
  logHashLevel: (owner: string, level: number): Deno.KvKey => ["sumdb_hash", owner, level],
  logUpstreamAppends: (owner: string, windowStart: number): Deno.KvKey => [
    "sumdb_upstream_appends",
    owner,
    windowStart,
  ],
  sumdbHead: (name: string): Deno.KvKey => ["upstream_sumdb_head", name],
  sumdbTile: (name: string, level: number, n: number): Deno.KvKey => [
    "upstream_sumdb_tile",
    name,
    level,
    n,
  ],
  sumdbRecord: (name: string, module: string, version: string): Deno.KvKey => [
    "upstream_sumdb_record",
    name,
    module,
    version,
  ],
  // Webhooks (src/webhooks/).
  webhook: (owner: string, id: string): Deno.KvKey => ["webhook", owner, id],
  webhooks: (owner: string): Deno.KvKey => ["webhook", owner],
  webhookIndex: (owner: string): Deno.KvKey => ["webhook_index", owner],
  webhookOutbox: (eventId: string): Deno.KvKey => ["webhook_outbox", eventId],
  webhookOutboxes: (): Deno.KvKey => ["webhook_outbox"],
  webhookDelivery: (owner: string, webhookId: string, deliveryId: string): Deno.KvKey => [
    "webhook_delivery",
    owner,
    webhookId,
    deliveryId,
  ],
  webhookDeliveries: (owner: string, webhookId: string): Deno.KvKey => [
    "webhook_delivery",
    owner,
    webhookId,
  ],
  webhookQueue: (
    dueMs: number,
    owner: string,
    webhookId: string,
    deliveryId: string,
  ): Deno.KvKey => [
    "webhook_queue",
    dueMs,
    owner,
    webhookId,
    deliveryId,
  ],
  webhookQueueStart: (): Deno.KvKey => ["webhook_queue"],
  webhookQueueUntil: (dueMs: number): Deno.KvKey => ["webhook_queue", dueMs],
};

/** The immutable GOPROXY files the pull-through cache keeps. */
export type CachedFileKind = "info" | "mod" | "zip";

/** The usage counters kept per owner. */
export type OwnerCounter = "bytes" | "versions" | "modules";

/** The parts a blob can have: the module zip and its go.mod. */
export type BlobPart = "zip" | "mod";
