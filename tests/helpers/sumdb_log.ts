/**
 * Owners' checksum logs for tests: a store with an owner whose log is enabled under a fixed
 * name and seed (so x/mod can sign the same heads), and the synthetic records that
 * tools/xmodsumdb's `synthTree` op generates.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { createUser } from "../../src/registry/accounts.ts";
import { openStore } from "../../src/store/open_store.ts";
import { signerKeyFromSeed } from "../../src/sumdb/note_key.ts";
import { type LogItem } from "../../src/sumdb_log/append.ts";
import { ChecksumLogs } from "../../src/sumdb_log/checksum_logs.ts";
import { enableLog } from "../../src/sumdb_log/enable.ts";
import type { LogMeta } from "../../src/store/records.ts";

/** The log name of test logs. */
export const TEST_LOG_NAME = "modyard.test/alice";

/** The seed of test logs' signer key. */
export const TEST_SEED = new Uint8Array(32).map((_, i) => i * 7 + 1);

/** A store with user `alice` whose checksum log is enabled (fixed name and seed). */
export interface TestLog {
  /** The store (in memory unless a path was given). */
  kv: Deno.Kv;
  /** The log service over it. */
  logs: ChecksumLogs;
  /** The log's meta. */
  meta: LogMeta;
  /** The signer key (for x/mod to sign the same heads). */
  signerKey: string;
}

/**
 * Opens a store (default `:memory:`), creates user `alice` and enables her log.
 *
 * @example
 * ```ts
 * const { kv, logs } = await openTestLog();
 * ```
 */
export async function openTestLog(location = ":memory:"): Promise<TestLog> {
  const kv = await openStore(location);
  await createUser(kv, "alice", {});
  const meta = await enableLog(kv, "alice", { name: TEST_LOG_NAME, seed: TEST_SEED });
  const signerKey = await signerKeyFromSeed(TEST_LOG_NAME, TEST_SEED);
  return { kv, logs: new ChecksumLogs(kv), meta, signerKey };
}

const b64 = (s: string) => createHash("sha256").update(s).digest("base64");

/**
 * Item `i` of the synthetic log (tools/xmodsumdb's `synthRecord`): example.com/m<i> v1.0.0.
 *
 * @example
 * ```ts
 * itemText(synthItem(0)); // "example.com/m0 v1.0.0 h1:…\nexample.com/m0 v1.0.0/go.mod h1:…\n"
 * ```
 */
export function synthItem(i: number): LogItem {
  return {
    module: `example.com/m${i}`,
    version: "v1.0.0",
    h1: `h1:${b64(`zip ${i}`)}`,
    goModH1: `h1:${b64(`mod ${i}`)}`,
  };
}
