/**
 * The `go` command against an owner's own checksum log: the environment that points it at
 * the log (`GOSUMDB` = the verifier key alone, nothing exempted), deterministic module zips
 * of stored entries (so a test can change one byte and keep the archive valid), and the tree
 * head the client keeps in `$GOPATH/pkg/sumdb/<name>/latest`.
 *
 * @module
 */

import { parseTree } from "../../src/sumdb/records.ts";
import { rawZip } from "./raw_zip.ts";

/**
 * The environment of a `go` command that verifies everything with the log of `verifierKey`:
 * `GOSUMDB` = the key alone (the go command finds the log at `<GOPROXY>/sumdb/<name>/`), and
 * `GONOSUMDB`, `GOPRIVATE`, `GONOPROXY` empty, so no module escapes verification.
 *
 * @example
 * ```ts
 * await go.run(["mod", "download", "example.com/lib@v1.0.0"], dir, logEnv(vkey));
 * ```
 */
export function logEnv(verifierKey: string): Record<string, string> {
  return { GOSUMDB: verifierKey, GONOSUMDB: "", GOPRIVATE: "", GONOPROXY: "" };
}

/**
 * The log name in a verifier key (`<name>+<hash>+<key>`).
 *
 * @example
 * ```ts
 * logNameOf("127.0.0.1:8000/alice+1a2b3c4d+AbC="); // "127.0.0.1:8000/alice"
 * ```
 */
export function logNameOf(verifierKey: string): string {
  return verifierKey.slice(0, verifierKey.indexOf("+"));
}

/**
 * The Go source of the module zips: package `lib` with a comment `note` (same length, same
 * archive layout for notes of the same length).
 */
export function libSource(version: string, note: string): string {
  return `package lib\n\n// ${note}\nconst Version = "${version}"\n`;
}

/**
 * The files of {@link libZip}'s archive, named as in the archive (`module@version/…`).
 *
 * @example
 * ```ts
 * await hash1Of(libFiles("example.com/lib", "v1.0.0")); // the zip's h1
 * ```
 */
export function libFiles(
  module: string,
  version: string,
  note = "first",
): { name: string; data: Uint8Array }[] {
  const enc = new TextEncoder();
  return [
    { name: `${module}@${version}/go.mod`, data: enc.encode(`module ${module}\n\ngo 1.19\n`) },
    { name: `${module}@${version}/lib.go`, data: enc.encode(libSource(version, note)) },
  ];
}

/**
 * A module zip of `module@version` with a go.mod and `lib.go` ({@link libSource}), both
 * stored (method 0), so changing one byte of the note changes one byte of the archive
 * besides the entry's CRC-32 fields.
 *
 * @example
 * ```ts
 * const zip = await libZip("example.com/lib", "v1.0.0");
 * ```
 */
export function libZip(module: string, version: string, note = "first"): Promise<Uint8Array> {
  return rawZip(libFiles(module, version, note));
}

/**
 * The tree size of the head the go command cached for log `name` under `gopath`, with the
 * note's text.
 *
 * @example
 * ```ts
 * (await cachedHead(`${go.dir}/gopath`, name)).n; // 300
 * ```
 */
export async function cachedHead(
  gopath: string,
  name: string,
): Promise<{ n: number; note: string }> {
  const note = await Deno.readTextFile(`${gopath}/pkg/sumdb/${name}/latest`);
  const text = note.slice(0, note.indexOf("\n\n") + 1);
  return { n: parseTree(text).n, note };
}

/**
 * The JSON of an upload's 201 answer; throws with the status and reason otherwise.
 *
 * @example
 * ```ts
 * const { h1, gosum } = await published(server.upload("alice", zip, auth));
 * ```
 */
export async function published(
  res: Promise<Response>,
): Promise<{ module: string; version: string; h1: string; gomod_h1: string; gosum: string }> {
  const r = await res;
  const text = await r.text();
  if (r.status !== 201) throw new Error(`upload answered ${r.status}: ${text}`);
  return JSON.parse(text);
}
