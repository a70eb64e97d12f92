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
import { serverStopped, shutdownsSettled } from "./src/server.ts";

if (import.meta.main) {
  // `serve` returns once SIGINT/SIGTERM closed the listener and every connection; when the
  // shutdown grace ran out first, the end of the shutdown (counts written, store closed)
  // is the end of serving, and exiting cuts the connections still open.
  const code = await Promise.race([runCli(Deno.args), serverStopped().then(() => 0)]);
  await shutdownsSettled();
  Deno.exit(code);
}
