/**
 * Each owner's own checksum database: an append-only, signed Go checksum log kept in Deno
 * KV, appended in the same commit that publishes a version, and served in the protocol the
 * `go` command speaks (`GOSUMDB=<verifier key>`).
 *
 * @example
 * ```ts
 * import { ChecksumLogs, enableLog } from "./mod.ts";
 * const meta = await enableLog(kv, "alice", { baseUrl: "https://registry.example.com" });
 * const logs = new ChecksumLogs(kv);
 * await logs.lookup("alice", "example.com/m", "v1.0.0");
 * ```
 *
 * @module
 */

export * from "./append.ts";
export * from "./checksum_logs.ts";
export * from "./enable.ts";
export * from "./log_head.ts";
export * from "./log_name.ts";
export * from "./log_signer.ts";
export * from "./log_tiles.ts";
export * from "./publish_append.ts";
