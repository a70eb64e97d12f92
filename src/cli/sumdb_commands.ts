/**
 * `sumdb enable OWNER [--name NAME]` and `sumdb key OWNER`: an owner's own checksum log from
 * the command line. Both print the settings a user needs, with the verifier key alone on the
 * last line (for scripts: `deno task cli sumdb key alice | tail -1`).
 *
 * @module
 */

import type { Config } from "../config.ts";
import { CLI_ACTOR } from "../registry/audit.ts";
import { enableLog, EnableLogError } from "../sumdb_log/enable.ts";
import type { LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";
import { LogKeyError } from "../sumdb_log/log_signer.ts";
import { logSettings, settingsLines } from "../sumdb_log/log_settings.ts";

/** Enables the owner's log (idempotent) and prints its settings; resolves to the exit code. */
export async function sumdbEnable(
  kv: Deno.Kv,
  owner: string,
  name: string | undefined,
  config: Config,
): Promise<number> {
  let meta: LogMeta;
  try {
    meta = await enableLog(kv, owner, {
      name,
      baseUrl: config.baseUrl,
      keyDir: config.sumdbKeyDir || undefined,
      actor: CLI_ACTOR,
    });
  } catch (err) {
    if (err instanceof EnableLogError || err instanceof LogKeyError || err instanceof TypeError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (meta.custody === "dir") {
    console.error(
      `the signer key is in ${config.sumdbKeyDir}/${owner}.key: back it up; losing it breaks every client that cached the log`,
    );
  } else {
    console.error(
      "the signer key is in the store: anyone who can write the store can sign a forged history (see --sumdb-key-dir)",
    );
  }
  printSettings(meta, owner, config);
  return 0;
}

/** Prints the settings of the owner's log; exit code 1 when it has none. */
export async function sumdbKey(kv: Deno.Kv, owner: string, config: Config): Promise<number> {
  const meta = (await kv.get<LogMeta>(keys.logMeta(owner))).value;
  if (meta?.enabledAt === undefined) {
    console.error(
      `error: ${owner} has no checksum database (enable it with: deno task cli sumdb enable ${owner})`,
    );
    return 1;
  }
  printSettings(meta, owner, config);
  return 0;
}

function printSettings(meta: LogMeta, owner: string, config: Config): void {
  const base = config.baseUrl ? config.baseUrl.replace(/\/+$/, "") : "https://HOST";
  const settings = logSettings(meta, `${base}/api/packages/${owner}/go`);
  console.log(`checksum database ${settings.name} of ${owner}; the go command's settings:`);
  for (const line of settingsLines(settings)) console.log(`  ${line}`);
  console.log(settings.verifierKey);
}
