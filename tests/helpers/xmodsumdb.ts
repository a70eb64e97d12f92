/**
 * The x/mod checksum-database oracle (tools/xmodsumdb, built once per test process from
 * Debian's x/mod): one JSON request on standard input, one JSON answer on standard output.
 *
 * @module
 */

import { buildGoHelper, GO_TIMEOUT_MS } from "./go.ts";

let helper: Promise<string> | undefined;

/**
 * Runs one request through tools/xmodsumdb; throws with its standard error when it fails,
 * and kills it (and throws) after {@link GO_TIMEOUT_MS}.
 *
 * @example
 * ```ts
 * const go = await xmodSumdb({ op: "keygen", name: "example.com", seed: "…" });
 * ```
 */
// deno-lint-ignore no-explicit-any
export async function xmodSumdb(request: Record<string, unknown>): Promise<any> {
  helper ??= Deno.makeTempDir({ prefix: "modyard-xmodsumdb-" }).then((dir) =>
    buildGoHelper("xmodsumdb", dir)
  );
  const signal = AbortSignal.timeout(GO_TIMEOUT_MS);
  const child = new Deno.Command(await helper, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(request)));
  await w.close();
  const out = await child.output();
  if (signal.aborted) {
    throw new Error(`xmodsumdb did not finish within ${GO_TIMEOUT_MS / 1000} s and was killed`);
  }
  if (out.code !== 0) throw new Error(`xmodsumdb: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
