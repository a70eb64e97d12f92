/**
 * Which versions are retracted, as the `go` command decides it: the `retract` directives of
 * the go.mod of the module's latest version (latest ignoring retractions) apply to every
 * version — not each version's own go.mod.
 *
 * @module
 */

import type { Retraction } from "./modfile.ts";
import { compareVersions, latestVersion } from "./version.ts";

/** A version and the retract directives of its go.mod. */
export interface VersionRetractions {
  /** Version. */
  version: string;
  /** `retract` directives of that version's go.mod. */
  retract: readonly Retraction[];
}

/**
 * Maps each retracted version to its rationale (`""` when the directive has none).
 *
 * @example
 * ```ts
 * retractedVersions([
 *   { version: "v1.0.0", retract: [] },
 *   { version: "v1.1.0", retract: [{ low: "v1.0.0", high: "v1.0.0", rationale: "broken" }] },
 * ]); // Map { "v1.0.0" => "broken" }
 * ```
 */
export function retractedVersions(versions: readonly VersionRetractions[]): Map<string, string> {
  const out = new Map<string, string>();
  const latest = latestVersion(versions.map((v) => v.version));
  const directives = versions.find((v) => v.version === latest)?.retract ?? [];
  for (const { version } of versions) {
    for (const r of directives) {
      if (compareVersions(r.low, version) <= 0 && compareVersions(version, r.high) <= 0) {
        out.set(version, r.rationale);
        break;
      }
    }
  }
  return out;
}
