/**
 * Enabling an owner's checksum log: create its key and meta once, append every version the
 * owner already has (deleted ones included) in publish order, and only then mark the log
 * enabled. Idempotent; safe to run from two processes at once.
 *
 * From the commit that creates the meta on, every publish of the owner appends its own
 * record (publish checks the meta's versionstamp), so the backfill, which reads the owner's
 * versions after that commit, misses none.
 *
 * @module
 */

import { generateKey, parseSignerKey } from "../sumdb/note_key.ts";
import { keys } from "../store/keys.ts";
import type { LogMeta, PinRecord, UserRecord, VersionRecord } from "../store/records.ts";
import { type Actor, audit, CLI_ACTOR } from "../registry/audit.ts";
import { bumpGeneration } from "../registry/state_cache.ts";
import { appendVersions, type LogItem } from "./append.ts";
import { checkLogName, defaultLogName } from "./log_name.ts";
import { writeKeyFile } from "./log_signer.ts";

/** A log cannot be enabled (no such owner, invalid name). */
export class EnableLogError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "EnableLogError";
  }
}

/** How to create an owner's log (used only the first time). */
export interface EnableOptions {
  /** The log name; default {@link defaultLogName}(baseUrl, owner). */
  name?: string;
  /** The registry's public base URL, for the default name. */
  baseUrl?: string;
  /** Keep the signer key in `<keyDir>/<owner>.key` (mode 0600) instead of the store. */
  keyDir?: string;
  /** Who enables it (audited). */
  actor?: Actor;
  /** 32 bytes of seed instead of fresh random ones (tests only). */
  seed?: Uint8Array;
}

/**
 * Enables the owner's checksum log and returns its meta. The first call creates the signer
 * key (from a crypto-random seed) and the log, appends every version the owner has had
 * (deleted ones included, by first publication time), then marks it enabled; later calls
 * finish an interrupted backfill or return at once.
 *
 * @example
 * ```ts
 * const meta = await enableLog(kv, "alice", { baseUrl: "https://registry.example.com" });
 * meta.verifierKey; // "registry.example.com/alice+1a2b3c4d+A…"
 * ```
 */
export async function enableLog(
  kv: Deno.Kv,
  owner: string,
  options: EnableOptions = {},
): Promise<LogMeta> {
  const actor = options.actor ?? CLI_ACTOR;
  let meta = (await kv.get<LogMeta>(keys.logMeta(owner))).value ??
    await createLog(kv, owner, options, actor);
  if (meta.enabledAt !== undefined) return meta;
  await appendVersions(kv, owner, await ownerHistory(kv, owner));
  for (;;) {
    const entry = await kv.get<LogMeta>(keys.logMeta(owner));
    meta = entry.value!;
    if (meta.enabledAt !== undefined) return meta;
    const enabled: LogMeta = { ...meta, enabledAt: new Date().toISOString() };
    const op = kv.atomic().check(entry).set(entry.key, enabled);
    audit(op, actor, "sumdb.enable", owner, { name: meta.name, verifier_key: meta.verifierKey });
    if ((await bumpGeneration(op).commit()).ok) return enabled;
  }
}

/** Creates the key and the (not yet enabled) log; returns the meta that won. */
async function createLog(
  kv: Deno.Kv,
  owner: string,
  options: EnableOptions,
  actor: Actor,
): Promise<LogMeta> {
  const user = await kv.get<UserRecord>(keys.user(owner));
  if (user.value === null) throw new EnableLogError(`no owner ${JSON.stringify(owner)}`);
  if (user.value.deleted) throw new EnableLogError(`${owner} is deleted`);
  let name: string;
  try {
    name = options.name ?? defaultLogName(options.baseUrl ?? "", owner);
    checkLogName(name);
  } catch (err) {
    throw new EnableLogError((err as Error).message);
  }
  let { signerKey, verifierKey } = await generateKey(name, options.seed);
  if (options.keyDir) {
    // A key file left by an earlier attempt (or another process) is the key.
    signerKey = await writeKeyFile(options.keyDir, owner, signerKey);
    const kept = await parseSignerKey(signerKey);
    if (kept.name !== name) {
      throw new EnableLogError(
        `the key file of ${owner} holds a key for the log ${JSON.stringify(kept.name)}, not ${
          JSON.stringify(name)
        }`,
      );
    }
    verifierKey = kept.verifierKey;
  }
  const meta: LogMeta = {
    name,
    verifierKey,
    custody: options.keyDir ? "dir" : "store",
    createdAt: new Date().toISOString(),
  };
  const op = kv.atomic().check({ key: keys.logMeta(owner), versionstamp: null })
    .set(keys.logMeta(owner), meta);
  if (!options.keyDir) op.set(keys.logSignerKey(owner), signerKey);
  audit(op, actor, "sumdb.create", owner, { name, verifier_key: verifierKey });
  if ((await bumpGeneration(op).commit()).ok) return meta;
  return (await kv.get<LogMeta>(keys.logMeta(owner))).value!; // another process created it
}

/**
 * Every version the owner has had, deleted ones included, in publish order (time of first
 * publication, then module and version): its pins, and live versions without a pin.
 */
async function ownerHistory(kv: Deno.Kv, owner: string): Promise<LogItem[]> {
  const found = new Map<string, LogItem & { time: string }>();
  const id = (module: string, version: string) => JSON.stringify([module, version]);
  for await (const e of kv.list<PinRecord>({ prefix: ["pin", owner] })) {
    const [module, version] = [e.key[2] as string, e.key[3] as string];
    const { h1, goModH1, pinnedAt } = e.value;
    found.set(id(module, version), { module, version, h1, goModH1, time: pinnedAt });
  }
  for await (const e of kv.list<VersionRecord>({ prefix: keys.ownerVersions(owner) })) {
    const { module, version, h1, goModH1, time } = e.value;
    if (!found.has(id(module, version))) {
      found.set(id(module, version), { module, version, h1, goModH1, time });
    }
  }
  return [...found.values()]
    .sort((a, b) =>
      a.time < b.time
        ? -1
        : a.time > b.time
        ? 1
        : a.module < b.module
        ? -1
        : a.module > b.module
        ? 1
        : a.version < b.version
        ? -1
        : a.version > b.version
        ? 1
        : 0
    )
    .map(({ module, version, h1, goModH1 }) => ({ module, version, h1, goModH1 }));
}

/**
 * The verifier key of the owner's log (what users put in `GOSUMDB`), or `null` when the
 * owner has no log.
 *
 * @example
 * ```ts
 * await verifierKey(kv, "alice"); // "registry.example.com/alice+1a2b3c4d+A…"
 * ```
 */
export async function verifierKey(kv: Deno.Kv, owner: string): Promise<string | null> {
  return (await kv.get<LogMeta>(keys.logMeta(owner))).value?.verifierKey ?? null;
}
