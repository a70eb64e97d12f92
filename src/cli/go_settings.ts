/**
 * The `go` command's settings for one owner of a registry, as `login` prints and applies
 * them: `GOPROXY` is the owner's URL; `GOSUMDB` its checksum database's verifier key when it
 * has one, else `GONOSUMDB` gains the module paths it hosts (sum.golang.org cannot know
 * them). Never `GOPRIVATE`: it also sets `GONOPROXY`, which sends the `go` command around
 * the registry straight to version control. Pure functions.
 *
 * @module
 */

import { matchPrefixPatterns } from "../gomod/match_prefix_patterns.ts";

/** What the registry says about the owner. */
export interface OwnerFacts {
  /** The owner's GOPROXY URL (`<registry>/api/packages/<owner>/go`). */
  ownerUrl: string;
  /** The verifier key of the owner's checksum database, or `null` when it has none. */
  verifierKey: string | null;
  /** Module paths the owner hosts. */
  hostedPaths: string[];
}

/** The user's current values (`go env`), by name; missing names count as empty. */
export type GoEnvValues = Record<string, string>;

/** One `go env -w NAME=VALUE`. */
export interface GoSetting {
  /** Variable name. */
  name: string;
  /** The value written. */
  value: string;
}

/** The variables `login` reads before it decides (and shows as the old values). */
export const GO_ENV_NAMES = ["GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY"];

/**
 * The smallest list of path prefixes covering `paths`: a path below another one
 * (`example.com/m/v2` below `example.com/m`) is covered by it, as GONOSUMDB patterns match.
 *
 * @example
 * ```ts
 * modulePrefixes(["example.com/m/v2", "example.com/m", "example.com/n"]);
 * // ["example.com/m", "example.com/n"]
 * ```
 */
export function modulePrefixes(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    if (!out.some((q) => p.startsWith(q + "/"))) out.push(p);
  }
  return out;
}

/**
 * Adds the `prefixes` not already matched by the comma-separated `patterns` to them, keeping
 * what the user had.
 *
 * @example
 * ```ts
 * mergePatterns("corp.example.com", ["corp.example.com/m", "example.org/x"]);
 * // "corp.example.com,example.org/x"
 * ```
 */
export function mergePatterns(patterns: string, prefixes: string[]): string {
  const kept = patterns.split(",").filter((p) => p !== "");
  const added = prefixes.filter((p) => !matchPrefixPatterns(kept.join(","), p));
  return [...kept, ...added].join(",");
}

/**
 * The settings for the owner, given the user's current values: GOPROXY, then GOSUMDB (the
 * owner's verifier key) or GONOSUMDB (the current patterns plus the hosted prefixes).
 *
 * @example
 * ```ts
 * goSettings({ ownerUrl: "https://r/api/packages/a/go", verifierKey: null, hostedPaths: ["x.io/m"] }, {});
 * // [{ name: "GOPROXY", value: "https://r/api/packages/a/go" }, { name: "GONOSUMDB", value: "x.io/m" }]
 * ```
 */
export function goSettings(facts: OwnerFacts, current: GoEnvValues): GoSetting[] {
  const out: GoSetting[] = [{ name: "GOPROXY", value: facts.ownerUrl }];
  if (facts.verifierKey !== null) {
    out.push({ name: "GOSUMDB", value: facts.verifierKey });
  } else {
    const prefixes = modulePrefixes(facts.hostedPaths);
    const merged = mergePatterns(current.GONOSUMDB ?? "", prefixes);
    if (prefixes.length > 0 && merged !== (current.GONOSUMDB ?? "")) {
      out.push({ name: "GONOSUMDB", value: merged });
    }
  }
  return out;
}

/**
 * Notes for the user about their other settings: GOPRIVATE (through GONOPROXY) sending the
 * owner's modules around the registry, GONOSUMDB switching off the owner's checksum
 * database, and an owner with no modules yet.
 */
export function settingsNotes(facts: OwnerFacts, current: GoEnvValues): string[] {
  const notes: string[] = [];
  const prefixes = modulePrefixes(facts.hostedPaths);
  const bypassed = prefixes.filter((p) => matchPrefixPatterns(current.GONOPROXY ?? "", p));
  if (bypassed.length > 0) {
    const from = (current.GOPRIVATE ?? "") !== "" && current.GONOPROXY === current.GOPRIVATE
      ? `GOPRIVATE=${current.GOPRIVATE}`
      : `GONOPROXY=${current.GONOPROXY}`;
    notes.push(
      `${from} covers ${bypassed.join(", ")}: the go command fetches those straight from ` +
        `version control, not from this registry. To use the registry for them: ` +
        `go env -w GONOPROXY=none (not applied here: it also affects every other private path)`,
    );
  }
  if (facts.verifierKey !== null) {
    const unverified = prefixes.filter((p) => matchPrefixPatterns(current.GONOSUMDB ?? "", p));
    if (unverified.length > 0) {
      notes.push(
        `GONOSUMDB=${current.GONOSUMDB} covers ${unverified.join(", ")}: their checksums are ` +
          `not checked against the owner's checksum database. To check them: ` +
          `go env -w GONOSUMDB=none (not applied here)`,
      );
    }
  } else if (prefixes.length === 0) {
    notes.push(
      "the owner hosts no modules yet: after its first publish, run login again (or add its " +
        "module path to GONOSUMDB), or the go command asks sum.golang.org about it and fails",
    );
  }
  return notes;
}
