/**
 * The values stored under the keys of `keys.ts`.
 *
 * @module
 */

import type { Retraction } from "../gomod/modfile.ts";
import type { Origin } from "../registry/origin.ts";

/** A user or organisation: an owner namespace. */
export interface UserRecord {
  /** Owner name. */
  name: string;
  /** `org` for organisations (no credentials of their own; members act for them). */
  kind?: "user" | "org";
  /** ISO time of deletion: the name stays reserved and can no longer sign in or serve. */
  deleted?: string;
  /** Whether the user administers the whole registry. */
  admin: boolean;
  /** Who may read the owner's modules. */
  visibility: "public" | "private";
  /** PBKDF2 hash of the password, when one is set. */
  password?: PasswordHash;
  /** ISO time of creation. */
  createdAt: string;
  /** Whether paths the owner never published are answered from the upstream proxies. */
  pullThrough?: boolean;
  /** GOPRIVATE-style patterns of paths never asked upstream (comma-separated globs). */
  privatePaths?: string;
}

/** A salted PBKDF2-SHA256 password hash. */
export interface PasswordHash {
  /** Algorithm name, for future migrations. */
  algorithm: "PBKDF2-SHA256";
  /** Iteration count. */
  iterations: number;
  /** Base64 salt. */
  salt: string;
  /** Base64 derived key. */
  hash: string;
}

/** An access token, stored under the SHA-256 of its secret. */
export interface TokenRecord {
  /** Short public id, for listing and revoking. */
  id: string;
  /** The user the token acts for. */
  user: string;
  /** What the token may do. */
  scope: "read" | "write";
  /** Free-text label. */
  label: string;
  /** ISO creation time. */
  createdAt: string;
  /** ISO expiry time, when the token expires. */
  expiresAt?: string;
}

/** An upload in progress; its chunks are garbage once `deadline` has passed. */
export interface UploadLease {
  /** Owner the upload is for. */
  owner: string;
  /** Epoch milliseconds after which a sweeper may reclaim the upload. */
  deadline: number;
  /** Epoch milliseconds when the upload started. */
  startedAt: number;
}

/** A published module version. Immutable until deleted. */
export interface VersionRecord {
  /** Module path (case kept). */
  module: string;
  /** Canonical version. */
  version: string;
  /** Blob holding the zip (part `zip`) and go.mod (part `mod`). */
  blobId: string;
  /** Zip size in bytes. */
  size: number;
  /** Number of zip chunks. */
  chunks: number;
  /** go.mod size in bytes (0 when synthesised). */
  modSize: number;
  /** Number of go.mod chunks (0 when the zip has no go.mod). */
  modChunks: number;
  /** Hex SHA-256 of the zip. */
  sha256: string;
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod. */
  goModH1: string;
  /** `go` directive of the go.mod, `""` when none. */
  goVersion: string;
  /** `retract` directives of the go.mod. */
  retract: Retraction[];
  /** ISO publish time. */
  time: string;
  /** User who published. */
  publisher: string;
  /** Where the publisher says the zip came from (`X-Modyard-Origin`), when they said. */
  origin?: Origin;
}

/** The content a version is bound to, forever unless an admin lifts it. */
export interface PinRecord {
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod. */
  goModH1: string;
  /** ISO time of the first publication. */
  pinnedAt: string;
  /** ISO time of deletion, when the version is deleted. */
  deletedAt?: string;
  /** Who deleted it. */
  deletedBy?: string;
}

/** One entry of the audit log. */
export interface AuditRecord {
  /** ISO time. */
  time: string;
  /** User who acted (`cli` for the command line without a user). */
  actor: string;
  /** What happened, e.g. `publish`, `delete`, `pin.clear`, `token.create`. */
  action: string;
  /** What it happened to, e.g. `alice/example.com/m@v1.0.0`. */
  target: string;
  /** Client address, or `cli`. */
  client: string;
  /** Extra facts (hashes, scopes). */
  detail?: Record<string, string>;
}

/** What a member may do in an organisation. */
export type MemberRole = "read" | "write" | "owner";

/** A membership of a user in an organisation. */
export interface MemberRecord {
  /** The member's role. */
  role: MemberRole;
}

/** One immutable file of the pull-through cache (shared by all owners). */
export interface CachedFileRecord {
  /** Module path. */
  module: string;
  /** Canonical version. */
  version: string;
  /** The body itself, for `.info` files (small). */
  body?: Uint8Array;
  /** Blob holding a `.mod` (part `mod`) or `.zip` (part `zip`). */
  blobId?: string;
  /** Size in bytes. */
  size: number;
  /** Number of chunks in the blob (0 for inline bodies). */
  chunks: number;
  /** Hex SHA-256 of the file. */
  sha256: string;
  /** go.sum hash (`.zip`: of the zip; `.mod`: of the go.mod); `""` for `.info`. */
  h1: string;
  /** ISO time it was fetched. */
  fetchedAt: string;
}

/**
 * The last upstream answer for a module's `list` or `@latest`: the body inline when it fits
 * one value, else the parts (`keys.upstreamAnswerPart`) that hold it.
 */
export interface UpstreamAnswerRecord {
  /** The body, when small enough to be kept inline. */
  body?: Uint8Array;
  /** The parts holding a larger body. */
  parts?: { id: string; count: number; size: number };
  /** Epoch milliseconds it was fetched (or found unchanged). */
  fetchedAt: number;
}

/** The claim of one process on fetching one pull-through file. */
export interface FillLease {
  /** Random id of the claiming fill. */
  holder: string;
  /** Epoch milliseconds after which another process may take over. */
  deadline: number;
}

/** The newest head of an upstream checksum database that modyard verified (one per name). */
export interface SumdbHeadRecord {
  /** Tree size. */
  n: number;
  /** Root hash (32 bytes). */
  hash: Uint8Array;
  /** Epoch milliseconds it was stored. */
  storedAt: number;
}

/** A checksum-database record of one module version, proven against a signed head. */
export interface SumdbRecordEntry {
  /** Record id in the log. */
  id: number;
  /** Record text (go.sum lines). */
  text: Uint8Array;
  /** Size of the tree it was proven in. */
  treeSize: number;
  /** Epoch milliseconds it was verified. */
  verifiedAt: number;
}

/** An owner's checksum log: written once by `enableLog`, then only `enabledAt` is added. */
export interface LogMeta {
  /** The log's name (a note key name), e.g. `registry.example.com/alice`. Never changes. */
  name: string;
  /** The verifier key (`<name>+<hash>+<key>`), what users put in `GOSUMDB`. */
  verifierKey: string;
  /** Where the signer key is kept: in the store (`["sumdb_key", owner]`) or in a key directory. */
  custody: "store" | "dir";
  /** ISO time the log was created (its backfill began). */
  createdAt: string;
  /** ISO time the backfill finished and the log began answering; absent while backfilling. */
  enabledAt?: string;
}

/**
 * The tree of an owner's log: its size and the roots of the complete subtrees that cover it,
 * largest first (the hashes at x/mod's `TreeHashIndexes(n)`), from which both the root hash
 * and the next append follow without reading any other stored hash.
 */
export interface LogHead {
  /** Number of records. */
  n: number;
  /** Roots of the complete subtrees covering records [0, n), largest first. */
  frontier: Uint8Array[];
}

/** Where a module version is in its owner's log. */
export interface LoggedVersion {
  /** The record's number in the log. */
  id: number;
  /** The record's text: `<module> <version> <h1>\n<module> <version>/go.mod <h1>\n`. */
  text: string;
}

// Webhooks (src/webhooks/).

/** The events an owner's webhook can subscribe to. */
export type WebhookEventName = "publish" | "delete" | "pin.clear" | "owner.visibility";

/** A webhook secret as stored: sealed with the server's webhook key, or plain without one. */
export type StoredSecret =
  | { kind: "plain"; value: string }
  | { kind: "sealed"; iv: string; data: string };

/** An owner's webhook. */
export interface WebhookRecord {
  /** Random public id (12 hex digits). */
  id: string;
  /** The owner whose events it receives. */
  owner: string;
  /** Where deliveries are POSTed (http or https). */
  url: string;
  /** The events it receives. */
  events: WebhookEventName[];
  /** The HMAC key of its signatures. Never answered by the API. */
  secret: StoredSecret;
  /** ISO creation time. */
  createdAt: string;
  /** Who created it. */
  createdBy: string;
}

/** The webhooks of an owner and their events: the one small key a change reads. */
export interface WebhookIndex {
  /** One entry per webhook. */
  hooks: { id: string; events: WebhookEventName[] }[];
}

/** An event written in the same commit as the change that caused it. */
export interface OutboxEvent {
  /** Event id (time-sortable). */
  id: string;
  /** The owner it happened to. */
  owner: string;
  /** What happened. */
  event: WebhookEventName;
  /** ISO time. */
  time: string;
  /** Who did it. */
  actor: string;
  /** Facts of the event (module, version, h1, visibility…), copied into the JSON body. */
  fields: Record<string, string>;
}

/** One attempt of a delivery. */
export interface DeliveryAttempt {
  /** ISO start time. */
  at: string;
  /** HTTP status of the answer, or `null` when none came. */
  status: number | null;
  /** Milliseconds the attempt took. */
  durationMs: number;
  /** Why it failed, when it did. */
  error?: string;
  /** The start of the answer's body (at most 1 KiB). */
  response?: string;
}

/** One delivery of an event to a webhook, and its attempts. */
export interface DeliveryRecord {
  /** Delivery id (time-sortable). */
  id: string;
  /** The webhook. */
  webhookId: string;
  /** The webhook's owner. */
  owner: string;
  /** The event's id. */
  eventId: string;
  /** The event's name. */
  event: WebhookEventName;
  /** The JSON body POSTed (the same for every attempt and redelivery). */
  body: string;
  /** ISO creation time. */
  createdAt: string;
  /** `pending` until delivered (a 2xx answer) or out of attempts (`failed`). */
  state: "pending" | "delivered" | "failed";
  /** Epoch milliseconds of its queue entry (next attempt, or lease end); `null` when done. */
  dueAt: number | null;
  /** Attempts left before it fails. */
  attemptsLeft: number;
  /** Attempts made so far in this delivery. */
  attemptsMade: number;
  /** The last attempts (at most 16). */
  attempts: DeliveryAttempt[];
  /** The delivery this one repeats, for a manual redelivery. */
  redeliveryOf?: string;
}
