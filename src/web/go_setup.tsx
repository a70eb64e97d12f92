/**
 * "How to configure `go`" for an owner: the exact GOPROXY line; for a private owner the
 * `.netrc` line and GONOSUMDB (never GOPRIVATE, which also sets GONOPROXY and so makes `go`
 * bypass the registry); GOSUMDB when the owner keeps a checksum log (then GONOSUMDB stays
 * empty).
 *
 * @module
 */

import type { SafeHtml } from "./safe_html.ts";
import { CopySnippet } from "./layout.tsx";
import { tokensUrl } from "./urls.ts";

/** What the instructions are about. */
export interface GoSetupProps {
  /** The registry's public base URL, e.g. `https://registry.example.com`. */
  baseUrl: string;
  /** The owner, or `null` for the generic instructions (`OWNER`). */
  owner: string | null;
  /** Whether the owner is private. */
  isPrivate: boolean;
  /** The module path to name in GONOSUMDB (else the owner's module path prefix). */
  module?: string;
  /** The verifier key of the owner's checksum log, when it keeps one. */
  logKey?: string | null;
  /** The signed-in user's name, for the `.netrc` line. */
  viewer?: string | null;
  /** Prefix of element ids (several blocks may share a page). */
  idPrefix?: string;
}

/**
 * The GOPROXY URL of an owner.
 *
 * @example
 * ```ts
 * goproxyUrl("https://r.example", "alice"); // "https://r.example/api/packages/alice/go"
 * ```
 */
export function goproxyUrl(baseUrl: string, owner: string): string {
  return `${baseUrl}/api/packages/${encodeURIComponent(owner)}/go`;
}

/** The instructions. */
export function GoSetup(props: GoSetupProps): SafeHtml {
  const id = props.idPrefix ?? "setup";
  const owner = props.owner ?? "OWNER";
  const host = hostOf(props.baseUrl);
  const proxyLine = `go env -w GOPROXY=${goproxyUrl(props.baseUrl, owner)}`;
  const netrc = `machine ${host} login ${props.viewer ?? "USER"} password TOKEN`;
  const nosumdb = `go env -w GONOSUMDB=${props.module ?? "your.module/path/prefix"}`;
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Use it with the go command</h2>
      <CopySnippet id={`${id}-goproxy`} label="GOPROXY setting" text={proxyLine} />
      {props.logKey
        ? (
          <>
            <p>
              {owner} keeps its own checksum database: verify against it, and leave{" "}
              <code>GONOSUMDB</code> and <code>GOPRIVATE</code> empty.
            </p>
            <CopySnippet
              id={`${id}-gosumdb`}
              label="GOSUMDB setting"
              text={`go env -w GOSUMDB=${props.logKey}`}
            />
          </>
        )
        : null}
      {props.isPrivate || props.owner === null
        ? (
          <>
            <p>
              {props.owner === null ? "For a private owner, the" : "The"} <code>go</code>{" "}
              command needs credentials in <code>~/.netrc</code> (sent over https only; use a{" "}
              <a href={tokensUrl()}>read token</a>, not your password):
            </p>
            <CopySnippet id={`${id}-netrc`} label=".netrc line" text={netrc} />
            {props.logKey ? null : (
              <>
                <p>
                  and must not ask the public checksum database about private modules. Set{" "}
                  <code>GONOSUMDB</code> — not <code>GOPRIVATE</code>, which would also make{" "}
                  <code>go</code> bypass this registry:
                </p>
                <CopySnippet id={`${id}-gonosumdb`} label="GONOSUMDB setting" text={nosumdb} />
              </>
            )}
          </>
        )
        : null}
    </section>
  );
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).hostname;
  } catch {
    return "HOST";
  }
}
