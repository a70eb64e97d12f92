/**
 * `webhook add|list|remove|deliveries|redeliver`: an owner's webhooks, on the store.
 *
 * @module
 */

import type { Config } from "../config.ts";

/** Runs a `webhook` subcommand; resolves to the exit code. */
export function webhookCommand(
  _kv: Deno.Kv,
  _sub: string | undefined,
  _args: string[],
  _flags: Map<string, string | true>,
  _config: Config,
): Promise<number> {
  console.error("error: webhook is not implemented yet");
  return Promise.resolve(2);
}
