/**
 * A checksum database for tests (tools/sumdbfixture, x/mod's sumdb.Server over an in-memory
 * log, built once per test process from Debian's x/mod): records added by the test, requests
 * counted per path, the whole history replaceable under the same key (a fork).
 *
 * @module
 */

import { buildGoHelper, GO_TIMEOUT_MS } from "./go.ts";
import { goModHash1Of, hash1Of } from "./h1_oracle.ts";

/** One record: a module version's zip and go.mod h1. */
export interface FixtureRecord {
  /** Module path. */
  path: string;
  /** Version. */
  version: string;
  /** h1 of the zip. */
  zip: string;
  /** h1 of the go.mod. */
  mod: string;
}

/** A running fixture database. */
export interface SumdbFixture {
  /** Base URL (serves `supported`, `latest`, `lookup/…`, `tile/…`). */
  url: string;
  /** Verifier key (`name+hash+key`), the GOSUMDB value. */
  vkey: string;
  /** Database name. */
  name: string;
  /** Appends records to the log. */
  add(...records: FixtureRecord[]): Promise<void>;
  /** Appends `n` filler records (to grow full tiles). */
  filler(n: number): Promise<void>;
  /** Replaces the whole log, signed with the same key (a fork for anyone who saw the old). */
  replace(...records: FixtureRecord[]): Promise<void>;
  /** Requests seen per path (`lookup/…`, `tile/…`, `supported`, `latest`). */
  counts(): Promise<Record<string, number>>;
  /** Stops the fixture. */
  close(): Promise<void>;
}

let helper: Promise<string> | undefined;

/** Starts a fixture database (building tools/sumdbfixture on first use). */
export async function startSumdbFixture(): Promise<SumdbFixture> {
  helper ??= Deno.makeTempDir({ prefix: "modyard-sumdbfixture-" }).then((dir) =>
    buildGoHelper("sumdbfixture", dir)
  );
  const child = new Deno.Command(await helper, {
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  const deadline = AbortSignal.timeout(GO_TIMEOUT_MS);
  while (!line.includes("\n")) {
    if (deadline.aborted) throw new Error("sumdbfixture printed no URL in time");
    const { value, done } = await reader.read();
    if (done) throw new Error(`sumdbfixture exited: ${line}`);
    line += value;
  }
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const { url, vkey } = JSON.parse(line.split("\n")[0]) as { url: string; vkey: string };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`sumdbfixture ${path}: ${res.status} ${text}`);
  };
  let closed = false;
  return {
    url,
    vkey,
    name: vkey.split("+")[0],
    add: (...records) => post("/admin/add", records),
    filler: (n) => post(`/admin/filler?n=${n}`, null),
    replace: (...records) => post("/admin/replace", records),
    async counts() {
      return await (await fetch(`${url}/admin/counts`)).json();
    },
    async close() {
      if (closed) return;
      closed = true;
      await child.stdin.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/**
 * The record of a module version with these files (as the counting upstream publishes
 * them: `go.mod` and `a.go` by default).
 */
export async function recordOf(
  path: string,
  version: string,
  files: Record<string, string> = { "go.mod": `module ${path}\n`, "a.go": "package a\n" },
): Promise<FixtureRecord> {
  const zip = await hash1Of(
    Object.entries(files).map(([name, data]) => ({ name: `${path}@${version}/${name}`, data })),
  );
  const mod = await goModHash1Of(files["go.mod"] ?? `module ${path}\n`);
  return { path, version, zip, mod };
}
