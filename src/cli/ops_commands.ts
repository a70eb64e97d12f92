/**
 * The operator commands over a store: `verify` (the integrity scrub), `export` and `import`
 * (backup and restore). Progress bars go to standard error on a terminal only; the summary
 * lines always go to standard output.
 *
 * @module
 */

import { keys } from "../store/keys.ts";
import { exportStore } from "../ops/export_store.ts";
import { ImportError, importStore, requireEmptyStore } from "../ops/import_store.ts";
import { formatBytes, ProgressBar } from "../ops/progress.ts";
import { parseVerifyScope, type VerifyScope, verifyStore } from "../ops/verify_store.ts";

/** A command line the operator got wrong (exit 2). */
export class OpsUsageError extends Error {}

/**
 * `verify [OWNER[/MODULE[@VERSION]]] [--repair]`: exit 0 when every checked file matches its
 * record and (in a full scan) no orphaned blob is left, else 1.
 *
 * @example
 * ```ts
 * const code = await verifyCommand(kv, ["alice"], false);
 * ```
 */
export async function verifyCommand(kv: Deno.Kv, args: string[], repair: boolean): Promise<number> {
  if (args.length > 1) throw new OpsUsageError("verify takes at most one OWNER[/MODULE[@VERSION]]");
  let scope: VerifyScope;
  try {
    scope = parseVerifyScope(args[0]);
  } catch (err) {
    throw new OpsUsageError((err as Error).message);
  }
  if (repair && scope.owner !== undefined) {
    throw new OpsUsageError(
      "--repair removes orphaned blobs, which only a full scan finds: give no scope",
    );
  }
  const bar = new ProgressBar("verify", await expectedBytes(kv, scope), "bytes");
  const report = await verifyStore(kv, {
    scope,
    repair,
    progress: (bytes, items) => bar.update(bytes, `${items} file(s)`),
  });
  bar.done();
  for (const p of report.problems) console.log(`FAIL ${p.target}: ${p.kind}: ${p.detail}`);
  for (const v of report.vanished) console.log(`skipped ${v}: deleted while verifying`);
  for (const r of report.removed) {
    console.log(`removed orphaned blob ${r.blobId}: ${r.chunks} chunk(s), ${r.bytes} bytes`);
  }
  const what = `${report.versions} version(s), ${report.cachedFiles} cached file(s), ${
    formatBytes(report.bytes)
  } read`;
  const repaired = report.removed.length > 0
    ? `, ${report.removed.length} orphaned blob(s) removed`
    : "";
  console.log(
    report.problems.length === 0
      ? `verify: ok: ${what}${repaired}`
      : `verify: ${report.problems.length} problem(s): ${what}${repaired}`,
  );
  return report.problems.length === 0 ? 0 : 1;
}

/** Blob bytes a scan will read, from the usage counters (0 when unknown: a module scope). */
async function expectedBytes(kv: Deno.Kv, scope: VerifyScope): Promise<number> {
  if (scope.module !== undefined) return 0;
  if (scope.owner !== undefined) {
    return Number(
      (await kv.get<Deno.KvU64>(keys.counter(scope.owner, "bytes"))).value?.value ?? 0n,
    );
  }
  return await storeBytes(kv);
}

/** Bytes of every owner's versions and of the pull-through cache, from the counters. */
async function storeBytes(kv: Deno.Kv): Promise<number> {
  let total = Number((await kv.get<Deno.KvU64>(keys.upstreamBytes())).value?.value ?? 0n);
  for await (const e of kv.list<Deno.KvU64>({ prefix: ["counter"] })) {
    if (e.key[2] === "bytes") total += Number(e.value.value);
  }
  return total;
}

/**
 * `export FILE`: writes the archive to a new file created 0600 (an existing file is never
 * overwritten). Exit 1 when a version had to be left out because its stored bytes are
 * damaged (the archive is still complete for everything else).
 *
 * @example
 * ```ts
 * const code = await exportCommand(kv, ["backup.tar"]);
 * ```
 */
export async function exportCommand(kv: Deno.Kv, args: string[]): Promise<number> {
  if (args.length !== 1) throw new OpsUsageError("export needs exactly one FILE");
  const path = args[0];
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      console.error(`error: ${path} exists; export never overwrites a file`);
      return 1;
    }
    throw err;
  }
  const bar = new ProgressBar("export", await storeBytes(kv), "bytes");
  const writer = file.writable.getWriter();
  let report;
  try {
    report = await exportStore(kv, { write: (bytes) => writer.write(bytes) }, {
      progress: (bytes, entries) => bar.update(bytes, `${entries} entries`),
    });
    await writer.close();
  } catch (err) {
    await writer.abort().catch(() => {});
    bar.done();
    await Deno.remove(path).catch(() => {});
    throw err;
  }
  bar.done();
  for (const s of report.skipped) console.log(`skipped ${s}`);
  for (const d of report.damaged) console.log(`DAMAGED ${d}: left out of the archive`);
  console.log(
    `export: ${path}: ${report.versions} version(s), ${report.cachedFiles} cached file(s), ` +
      `${report.entries} metadata entries, ${formatBytes(report.archiveBytes)}; ` +
      `it holds secrets (token hashes, password hashes, signer keys): keep it private`,
  );
  return report.damaged.length === 0 ? 0 : 1;
}

/**
 * `import FILE`: restores an archive into an empty store; exit 1 with the reason otherwise.
 *
 * @example
 * ```ts
 * const code = await importCommand(kv, ["backup.tar"]);
 * ```
 */
export async function importCommand(kv: Deno.Kv, args: string[]): Promise<number> {
  if (args.length !== 1) throw new OpsUsageError("import needs exactly one FILE");
  const path = args[0];
  try {
    await requireEmptyStore(kv); // before the file is even opened
    const size = (await Deno.stat(path)).size;
    const file = await Deno.open(path, { read: true });
    const bar = new ProgressBar("import", size, "bytes");
    try {
      const report = await importStore(kv, file.readable, {
        progress: (bytes) => bar.update(bytes),
      });
      bar.done();
      console.log(
        `import: ${path}: ${report.versions} version(s), ${report.cachedFiles} cached file(s), ` +
          `${report.entries} metadata entries, ${formatBytes(report.blobBytes)} of files restored`,
      );
      return 0;
    } finally {
      bar.done();
    }
  } catch (err) {
    if (err instanceof ImportError || err instanceof SyntaxError) {
      console.error(`error: import refused: ${err.message}`);
      return 1;
    }
    if (err instanceof Deno.errors.NotFound) {
      console.error(`error: ${path}: no such file`);
      return 1;
    }
    throw err;
  }
}
