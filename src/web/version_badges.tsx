/**
 * Badges of a version: pre-release, pseudo-version, retracted (with the rationale), deleted
 * (its files answer 410) and pinned (a deleted version can only return with the same
 * content).
 *
 * @module
 */

import { isPseudoVersion, parseVersion } from "../gomod/version.ts";
import type { SafeHtml } from "./safe_html.ts";

/** What is known about one version for its badges. */
export interface VersionState {
  /** The version. */
  version: string;
  /** The retraction rationale (`""` when none was given), or `undefined` when not retracted. */
  retracted?: string;
  /** Whether it was deleted. */
  deleted?: boolean;
  /** Whether a deleted version's pin still binds its content. */
  pinned?: boolean;
}

/** The badges of a version (nothing for a plain release). */
export function VersionBadges(props: { state: VersionState }): SafeHtml {
  const s = props.state;
  const pseudo = isPseudoVersion(s.version);
  const pre = !pseudo && (parseVersion(s.version)?.prerelease ?? "") !== "";
  return (
    <>
      {pre ? <span class="badge pre">pre-release</span> : null}
      {pseudo ? <span class="badge pseudo">pseudo-version</span> : null}
      {s.retracted !== undefined
        ? (
          <span class="badge retracted">
            retracted{s.retracted ? `: ${s.retracted}` : ""}
          </span>
        )
        : null}
      {s.deleted ? <span class="badge deleted">deleted (410)</span> : null}
      {s.pinned ? <span class="badge pinned">pinned</span> : null}
    </>
  );
}
