/**
 * The rule a pull-through fill must pass before a `.mod` or `.zip` becomes visible: its h1
 * equals the line for it in the upstream checksum database's verified record.
 *
 * @module
 */

import { goSumHashes } from "../sumdb/records.ts";
import { UpstreamError } from "./upstream_error.ts";
import type { UpstreamSumdb } from "./upstream_sumdb.ts";

/**
 * Checks the h1 of a fetched `.mod` or `.zip` against the checksum database; throws a 502
 * {@link UpstreamError} naming the module version and the rule when the database's record
 * has no line for it or another hash (and whatever {@link UpstreamSumdb.record} throws).
 *
 * @example
 * ```ts
 * await checkFillAgainstSumdb(sumdb, "zip", "rsc.io/quote", "v1.5.2", "h1:w5fc…=");
 * ```
 */
export async function checkFillAgainstSumdb(
  sumdb: UpstreamSumdb,
  kind: "mod" | "zip",
  module: string,
  version: string,
  h1: string,
): Promise<void> {
  const lines = await sumdb.record(module, version);
  const want = goSumHashes(lines, module, version)[kind];
  const line = kind === "mod" ? `${module} ${version}/go.mod` : `${module} ${version}`;
  const rule = "a pulled-through file must match the upstream checksum database";
  if (want === null) {
    throw new UpstreamError(
      502,
      `upstream ${kind} of ${module}@${version} refused: the record of checksum database ` +
        `${sumdb.name} has no line "${line} h1:…" (${rule})`,
    );
  }
  if (want !== h1) {
    throw new UpstreamError(
      502,
      `upstream ${kind} of ${module}@${version} refused: checksum mismatch: downloaded ${h1}, ` +
        `checksum database ${sumdb.name} has ${want} (${rule}); nothing was stored`,
    );
  }
}
