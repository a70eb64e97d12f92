/**
 * An interleaved A/B of two checkouts of modyard on one GOPROXY path: each tree serves its own
 * store holding the same published version; wrk loads them in turn, round after round, so
 * drift of the machine hits both alike. For telling a regression from run-to-run noise.
 *
 * ```
 * git worktree add /tmp/old <commit>
 * deno run -A bench/ab_checkouts.ts /tmp/old . [ROUNDS] [SECONDS]
 * ```
 *
 * @module
 */

import { storedZip } from "./fixtures.ts";
import { freePort, waitUntilHealthy } from "../tests/helpers/server.ts";
import { runWrk } from "./wrk.ts";

const MODULE = "example.com/ab";

/** Starts `tree`'s server on a new store with one published version; returns its URL. */
async function serveTree(
  tree: string,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-ab-" });
  const kv = `${dir}/s.kv`;
  const cli = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${tree}/main.ts`, ...args, "--kv", kv],
      cwd: tree,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`${tree}: ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  await cli(["user", "create", "alice"]);
  const token = await cli(["token", "create", "alice", "--scope", "write"]);
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${tree}/main.ts`,
      "serve",
      "--kv",
      kv,
      "--port",
      String(port),
      "--hostname",
      "127.0.0.1",
    ],
    cwd: tree,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url);
  const res = await fetch(`${url}/api/packages/alice/go/upload`, {
    method: "PUT",
    body: (await storedZip(MODULE, "v1.0.0", 100)) as Uint8Array<ArrayBuffer>,
    headers: { authorization: "Basic " + btoa(`alice:${token}`) },
  });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`${tree}: upload answered ${res.status}`);
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}

if (import.meta.main) {
  const [a, b] = [Deno.args[0], Deno.args[1]];
  if (!a || !b) {
    console.error("usage: deno run -A bench/ab_checkouts.ts TREE_A TREE_B [ROUNDS] [SECONDS]");
    Deno.exit(2);
  }
  const rounds = Number(Deno.args[2] ?? 3);
  const seconds = Number(Deno.args[3] ?? 6);
  const servers = [[a, await serveTree(a)], [b, await serveTree(b)]] as const;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const [tree, s] of servers) {
        const run = await runWrk(`${s.url}/api/packages/alice/go/${MODULE}/@v/v1.0.0.info`, {
          connections: 64,
          seconds,
          threads: 1,
          serverPids: [s.pid],
        });
        console.log(`round ${round}: ${tree}: ${Math.round(run.rps)} req/s .info`);
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
}
