/**
 * Running wrk (Debian package `wrk`) and reading its report, with the CPU the machine spent on
 * everything but the server under test and wrk itself recorded beside each run.
 *
 * @module
 */

import { type CpuShare, cpuShare, cpuSnapshot } from "./cpu_usage.ts";

/** One wrk run. */
export interface WrkRun {
  /** Completed requests per second. */
  rps: number;
  /** Requests that got a status other than 2xx/3xx, plus socket errors (connect, read, write, timeout). */
  errors: number;
  /** CPU during the run, in cores; `watched` is the server's processes plus wrk. */
  cpu: CpuShare;
}

/** How to load a server. */
export interface WrkOptions {
  /** Open connections. */
  connections: number;
  /** Seconds. */
  seconds: number;
  /** wrk threads (default 1: see docs/benchmarks.md, "Method"). */
  threads?: number;
  /** Request headers, `Name: value`. */
  headers?: string[];
  /** The server's processes (nginx master and worker, a Deno server), for CPU accounting. */
  serverPids: number[];
  /** Per-request timeout in seconds (default 30). */
  timeoutSeconds?: number;
  /** CPUs wrk may run on (`taskset -c` list); default: any. */
  cpus?: string;
}

/** Parses wrk's text report. */
export function parseWrk(text: string): { rps: number; errors: number } {
  const rps = Number(/Requests\/sec:\s+([0-9.]+)/.exec(text)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const sockets = socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  return { rps, errors: non2xx + sockets };
}

/**
 * Runs wrk once against `url`; throws with wrk's output when it fails or reports no rate.
 *
 * @example
 * ```ts
 * const r = await runWrk("http://127.0.0.1:8000/healthz", { connections: 64, seconds: 5, serverPids: [pid] });
 * console.log(r.rps, r.cpu.others);
 * ```
 */
export async function runWrk(url: string, o: WrkOptions): Promise<WrkRun> {
  const args = [
    `-t${o.threads ?? 1}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    "--timeout",
    `${o.timeoutSeconds ?? 30}s`,
    ...(o.headers ?? []).flatMap((h) => ["-H", h]),
    url,
  ];
  // taskset execs wrk in its own process, so the pid stays wrk's.
  const child = o.cpus === undefined
    ? new Deno.Command("wrk", { args, stdout: "piped", stderr: "piped" }).spawn()
    : new Deno.Command("taskset", {
      args: ["-c", o.cpus, "wrk", ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  const pids = [...o.serverPids, child.pid];
  const before = cpuSnapshot(pids);
  // wrk's own ticks are only readable while it lives: sample just before it ends.
  let last = before;
  const sampler = setInterval(() => {
    last = cpuSnapshot(pids);
  }, 250);
  const out = await child.output();
  clearInterval(sampler);
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`wrk ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}${text}`);
  }
  const parsed = parseWrk(text);
  if (!Number.isFinite(parsed.rps)) throw new Error(`wrk ${args.join(" ")}: no rate in\n${text}`);
  return { ...parsed, cpu: cpuShare(before, last, navigator.hardwareConcurrency) };
}

/** The median of numbers (the lower middle for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}
