/**
 * modyard's command line: `serve` starts the registry; the other commands administer the
 * KV store directly. `deno serve` and Deno Deploy use `serve.ts` instead, which exports
 * the same app as a `fetch` handler. This file exports nothing and, run without a command,
 * prints its usage rather than starting a listener (under `deno serve` the arguments are
 * empty, and a second listener would be wrong).
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";
import { shutdownsSettled } from "./src/server.ts";

if (import.meta.main) {
  const code = await runCli(Deno.args);
  // `serve` returns once SIGINT/SIGTERM stopped the listener; the rest of the graceful
  // shutdown (download counts written, store closed) must finish before any exit.
  await shutdownsSettled();
  if (code !== 0 || Deno.args[0] !== "serve") Deno.exit(code);
}
