/**
 * Per-request server CPU with every target loaded at the same time: one wrk per target, all
 * started together, and each server's CPU time (from /proc) divided by the requests it
 * answered. Targets share the machine's slow and fast spells alike, so their ratios hold
 * steady where rates measured one after the other vary with the machine's state; each target
 * must be its own process.
 *
 * @module
 */

import { processTicks } from "./cpu_usage.ts";
import type { Target } from "./compare.ts";
import { fmt, table } from "./markdown.ts";
import { median, runWrk } from "./wrk.ts";

/** Kernel clock ticks per second (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** One target's figures. */
export interface AtOnceRow {
  /** Row name. */
  name: string;
  /** Median over the rounds of server CPU per request, µs. */
  usPerRequest: number;
  /** Median requests per second while loaded with the others. */
  rps: number;
  /** µs per request of each round. */
  rounds: number[];
  /** Answers other than 2xx/3xx and socket errors, over all rounds. */
  errors: number;
}

/** How to load. */
export interface AtOnceOptions {
  /** Connections per target. */
  connections: number;
  /** Seconds per round. */
  seconds: number;
  /** Rounds. */
  rounds: number;
  /** CPUs wrk runs on (`taskset -c` list); default: any. */
  wrkCpus?: string;
  /**
   * Seconds each target is loaded alone, one after the other, before the first round (default
   * 5): a fresh process loaded at a fifth of a core compiles its hot paths and grows its heap
   * slowly, and its first rounds would count that.
   */
  warmupSeconds?: number;
}

/**
 * Loads all targets at once, `rounds` times; returns their CPU per request, in order.
 *
 * @example
 * ```ts
 * const [bare, ours] = await cpuPerRequestAtOnce([bareTarget, infoTarget],
 *   { connections: 32, seconds: 5, rounds: 3 });
 * console.log(bare.usPerRequest / ours.usPerRequest);
 * ```
 */
export async function cpuPerRequestAtOnce(
  targets: Target[],
  o: AtOnceOptions,
): Promise<AtOnceRow[]> {
  const pids = targets.flatMap((t) => t.pids);
  if (new Set(pids).size !== pids.length) {
    throw new Error("cpuPerRequestAtOnce: every target must be a process of its own");
  }
  const us: number[][] = targets.map(() => []);
  const rps: number[][] = targets.map(() => []);
  const errors = targets.map(() => 0);
  const load = (t: Target, seconds: number) =>
    runWrk(t.url, {
      connections: o.connections,
      seconds,
      threads: 1,
      headers: t.headers,
      serverPids: t.pids,
      cpus: o.wrkCpus,
    });
  const warmup = o.warmupSeconds ?? 5;
  for (const t of warmup > 0 ? targets : []) await load(t, warmup);
  for (let round = 0; round < o.rounds; round++) {
    const ticks = (t: Target) => t.pids.reduce((n, pid) => n + processTicks(pid), 0);
    const before = targets.map(ticks);
    const runs = await Promise.all(targets.map((t) => load(t, o.seconds)));
    const after = targets.map(ticks);
    for (const [i, run] of runs.entries()) {
      const requests = run.rps * o.seconds;
      us[i].push((after[i] - before[i]) * (1e6 / TICKS_PER_SECOND) / requests);
      rps[i].push(run.rps);
      errors[i] += run.errors;
    }
  }
  return targets.map((t, i) => ({
    name: t.name,
    usPerRequest: median(us[i]),
    rps: median(rps[i]),
    rounds: us[i],
    errors: errors[i],
  }));
}

/** A column of {@link renderAtOnceTable} between CPU per request and the rounds. */
export interface AtOnceColumn {
  /** Heading. */
  heading: string;
  /** The cell of a row. */
  cell: (row: AtOnceRow) => string;
}

/**
 * The Markdown table of at-once rows: server, µs/request, the given columns, the rounds'
 * µs/request, errors.
 */
export function renderAtOnceTable(rows: AtOnceRow[], columns: AtOnceColumn[]): string {
  return table(
    ["server", "µs/request", ...columns.map((c) => c.heading), "rounds (µs/request)", "errors"],
    ["---", "---:", ...columns.map(() => "---:"), "---", "---:"],
    rows.map((r) => [
      r.name,
      fmt(r.usPerRequest, 2),
      ...columns.map((c) => c.cell(r)),
      r.rounds.map((x) => fmt(x, 2)).join(", "),
      String(r.errors ?? "—"),
    ]),
  );
}
