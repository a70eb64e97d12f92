/**
 * A store file in a temporary directory, administered through `main.ts` commands (each with a
 * deadline) and served by a `main.ts serve` subprocess: what an operator does with the CLI,
 * observed over HTTP.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { type MainResult, runMainBounded } from "./bounded_main.ts";
import { type ServerProcess, spawnServer } from "./server.ts";

/** A temporary store with its CLI and, once started, its server. */
export interface CliStore {
  /** The temporary directory (removed by `cleanup`). */
  dir: string;
  /** The KV file. */
  kvPath: string;
  /** Runs `main.ts ARGS --kv STORE` (stdin optional). */
  cli(args: string[], stdin?: string): Promise<MainResult>;
  /** Runs a command that must succeed (exit 0); returns its trimmed standard output. */
  ok(args: string[], stdin?: string): Promise<string>;
  /** Starts `main.ts serve` on the store (stopped by `cleanup`). */
  serve(extra?: string[]): Promise<ServerProcess>;
  /** Stops the server and removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * Creates an empty store in a fresh temporary directory.
 *
 * @example
 * ```ts
 * const store = await cliStore("modyard-x-");
 * await store.ok(["user", "create", "alice"]);
 * const server = await store.serve();
 * await store.cleanup();
 * ```
 */
export async function cliStore(prefix: string): Promise<CliStore> {
  const dir = await Deno.makeTempDir({ prefix });
  const kvPath = `${dir}/modyard.kv`;
  const servers: ServerProcess[] = [];
  const cli = (args: string[], stdin?: string) =>
    runMainBounded([...args, "--kv", kvPath], { stdin, cwd: dir });
  return {
    dir,
    kvPath,
    cli,
    async ok(args, stdin) {
      const out = await cli(args, stdin);
      assertEquals(out.code, 0, `${args.join(" ")}: ${out.stderr}`);
      return out.stdout.trim();
    },
    async serve(extra = []) {
      const server = await spawnServer(kvPath, extra);
      servers.push(server);
      return server;
    },
    async cleanup() {
      for (const s of servers) await s.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
