/**
 * The experiment behind "why the bare baseline came out low" in docs/benchmarks.md: a bare
 * `Deno.serve` hello-world loaded by wrk under the conditions the old bench script had, in
 * interleaved rounds, each run with the CPU other processes used beside it.
 *
 * ```
 * deno run -A bench/baseline_probe.ts [SECONDS=3] [ROUNDS=3]
 * ```
 *
 * @module
 */

import { freePort, waitUntilHealthy } from "../tests/helpers/server.ts";
import { processTicks } from "./cpu_usage.ts";
import { createFixtures, publishFixtures } from "./fixtures.ts";
import { spawnModyard } from "./modyard_server.ts";
import { runWrk } from "./wrk.ts";

const BARE_TS = new URL("./bare_server.ts", import.meta.url).pathname;

async function bare(mode: "hello" | "json") {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BARE_TS, mode, String(port)],
    stdout: "null",
  }).spawn();
  await waitUntilHealthy(`http://127.0.0.1:${port}`);
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? 3);
  const rounds = Number(Deno.args[1] ?? 3);
  const hello = await bare("hello");
  const json = await bare("json");
  const dir = await Deno.makeTempDir({ prefix: "modyard-probe-" });
  const rows: [string, string][] = [];
  const measure = async (
    label: string,
    url: string,
    pid: number,
    threads: number,
    beside: number[] = [],
  ) => {
    const before = beside.map(processTicks);
    const r = await runWrk(url, { connections: 64, seconds, threads, serverPids: [pid] });
    const besideCores = beside.map((p, i) => (processTicks(p) - before[i]) / 100 / seconds);
    const line = `${Math.round(r.rps)} req/s, others ${r.cpu.others.toFixed(2)} cores${
      beside.length ? `, beside: ${besideCores.map((c) => c.toFixed(2)).join("/")} cores` : ""
    }`;
    rows.push([label, line]);
    console.log(`${label.padEnd(58)} ${line}`);
  };
  try {
    await runWrk(hello.url, { connections: 64, seconds: 2, serverPids: [hello.pid] });
    await runWrk(json.url, { connections: 64, seconds: 2, serverPids: [json.pid] });
    for (let round = 0; round < rounds; round++) {
      const fresh = await bare("hello");
      await measure(
        "hello, first run of a fresh server (no warm-up), -t1",
        fresh.url,
        fresh.pid,
        1,
      );
      await fresh.stop();
      await measure("hello, -t1", hello.url, hello.pid, 1);
      await measure("hello, -t2 (the old script)", hello.url, hello.pid, 2);
      await measure("small JSON, -t1", json.url, json.pid, 1);
    }
    // As the old script: an idle modyard server beside, right after 51 MiB of uploads.
    const f = await createFixtures(dir);
    const server = await spawnModyard(f.kvPath);
    try {
      await publishFixtures(server.url, f);
      for (let round = 0; round < rounds; round++) {
        await measure("hello, -t2, idle modyard beside after uploads", hello.url, hello.pid, 2, [
          server.pid,
          Deno.pid,
        ]);
        await measure("hello, -t1, idle modyard beside after uploads", hello.url, hello.pid, 1, [
          server.pid,
          Deno.pid,
        ]);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await hello.stop();
    await json.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
