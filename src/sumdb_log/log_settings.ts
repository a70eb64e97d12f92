/**
 * What a user of an owner's checksum log configures: the `go` command finds the log at
 * `<GOPROXY>/sumdb/<name>/…` when `GOSUMDB` is the verifier key alone, so two settings
 * suffice, and `GONOSUMDB`/`GOPRIVATE` stay empty (they would switch verification off).
 *
 * @module
 */

import type { LogMeta } from "../store/records.ts";

/** The settings of one owner's log, as the CLI prints them and the JSON API answers. */
export interface LogSettings {
  /** The log's name (a note key name, never changed). */
  name: string;
  /** The verifier key: the `GOSUMDB` value. */
  verifierKey: string;
  /** The owner's GOPROXY URL. */
  goproxy: string;
  /** Where the key is kept: the store, or a key directory outside it. */
  keyCustody: "store" | "dir";
}

/**
 * The settings for the owner's log, with `ownerUrl` its GOPROXY URL.
 *
 * @example
 * ```ts
 * logSettings(meta, "https://registry.example.com/api/packages/alice/go");
 * // { name: "registry.example.com/alice", verifierKey: "registry.example.com/alice+…", … }
 * ```
 */
export function logSettings(meta: LogMeta, ownerUrl: string): LogSettings {
  return {
    name: meta.name,
    verifierKey: meta.verifierKey,
    goproxy: ownerUrl,
    keyCustody: meta.custody,
  };
}

/**
 * The shell lines a user runs: `go env -w` of GOPROXY and GOSUMDB, and the two variables
 * that must stay empty.
 *
 * @example
 * ```ts
 * settingsLines(s); // ["go env -w GOPROXY=https://…", "go env -w GOSUMDB=…", …]
 * ```
 */
export function settingsLines(s: LogSettings): string[] {
  return [
    `go env -w GOPROXY=${s.goproxy}`,
    `go env -w GOSUMDB=${s.verifierKey}`,
    `go env -u GONOSUMDB GOPRIVATE   # leave both empty: they would turn verification off`,
  ];
}
