/**
 * Side-by-side measurement: every target (modyard and its anchors) is loaded the same way, in
 * interleaved rounds (A B C, A B C, …) so a slow spell of the machine hits all of them, and
 * the median round of each is reported. A run during which other processes used more than
 * {@link OTHERS_LIMIT} of a core is repeated (up to twice).
 *
 * @module
 */

import { median, runWrk, type WrkRun } from "./wrk.ts";

/** CPU (in cores) other processes may use during a run before it is repeated. */
export const OTHERS_LIMIT = 0.15;

/**
 * Repeats left for the whole bench run: on a machine that stays busy, repeating every run
 * would triple the run time for nothing; the report then says the machine was busy.
 */
let repeatsLeft = 24;

/** One server to load. */
export interface Target {
  /** Row name in the report. */
  name: string;
  /** URL to request. */
  url: string;
  /** Process ids of the server (for CPU accounting). */
  pids: number[];
  /** Request headers. */
  headers?: string[];
  /** wrk threads (default 1). */
  threads?: number;
}

/** The outcome for one target. */
export interface Compared {
  /** Row name. */
  name: string;
  /** Median requests per second over the rounds. */
  rps: number;
  /** All kept runs, in round order. */
  runs: WrkRun[];
  /** Errors over all runs (non-2xx/3xx and socket errors). */
  errors: number;
  /** Largest CPU share (cores) of other processes in a kept run. */
  othersMax: number;
  /** Median CPU (cores) of the server process(es) plus wrk. */
  watched: number;
}

/** How to compare. */
export interface CompareOptions {
  /** Open connections. */
  connections: number;
  /** Seconds of each measured run. */
  seconds: number;
  /** Rounds (measured runs per target). */
  rounds: number;
  /** Seconds of load before the first round, per target (JIT, caches, connections). */
  warmupSeconds: number;
  /** Per-request timeout in seconds. */
  timeoutSeconds?: number;
  /** CPUs wrk runs on (`taskset -c` list; see pinning.ts); default: any. */
  wrkCpus?: string;
  /** Progress lines go here (default: console.error). */
  log?: (line: string) => void;
}

/**
 * Loads every target in interleaved rounds; returns one {@link Compared} per target, in order.
 *
 * @example
 * ```ts
 * const [bare, ours] = await compareTargets([
 *   { name: "bare", url: bareUrl, pids: [barePid] },
 *   { name: "modyard", url: infoUrl, pids: [serverPid] },
 * ], { connections: 64, seconds: 10, rounds: 3, warmupSeconds: 2 });
 * console.log(ours.rps / bare.rps);
 * ```
 */
export async function compareTargets(targets: Target[], o: CompareOptions): Promise<Compared[]> {
  const log = o.log ?? ((line: string) => console.error(line));
  const runs: WrkRun[][] = targets.map(() => []);
  const common = {
    connections: o.connections,
    timeoutSeconds: o.timeoutSeconds,
    cpus: o.wrkCpus,
  };
  for (const t of targets) {
    if (o.warmupSeconds > 0) {
      await runWrk(t.url, {
        ...common,
        seconds: o.warmupSeconds,
        headers: t.headers,
        threads: t.threads,
        serverPids: t.pids,
      });
    }
  }
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, t] of targets.entries()) {
      let run: WrkRun | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        run = await runWrk(t.url, {
          ...common,
          seconds: o.seconds,
          headers: t.headers,
          threads: t.threads,
          serverPids: t.pids,
        });
        if (run.cpu.others <= OTHERS_LIMIT || repeatsLeft <= 0) break;
        repeatsLeft--;
        log(`  (busy machine: others used ${run.cpu.others.toFixed(2)} cores; repeating)`);
      }
      runs[i].push(run!);
      log(
        `  ${t.name}: ${run!.rps.toFixed(1)} req/s, others ${run!.cpu.others.toFixed(2)} cores`,
      );
    }
  }
  return targets.map((t, i) => ({
    name: t.name,
    rps: median(runs[i].map((r) => r.rps)),
    runs: runs[i],
    errors: runs[i].reduce((n, r) => n + r.errors, 0),
    othersMax: Math.max(...runs[i].map((r) => r.cpu.others)),
    watched: median(runs[i].map((r) => r.cpu.watched)),
  }));
}

/** The wrk thread count a scenario uses, and the anchor's figures that chose it. */
export interface ThreadChoice {
  /** 1 or 2. */
  threads: number;
  /** The anchor at `wrk -t1` and at `wrk -t2`. */
  calibration: Compared[];
}

/**
 * Loads the anchor with one and with two wrk threads (interleaved, at most 2 rounds) and picks
 * the count that gives the anchor its best figure; every target of the scenario then uses it.
 * On 2 cores a second wrk thread can help a server that spends little CPU per byte (nginx
 * with sendfile) and hurt one that needs a whole core (a Deno server).
 *
 * @example
 * ```ts
 * const { threads } = await chooseThreads(nginxTarget, options);
 * ```
 */
export async function chooseThreads(anchor: Target, o: CompareOptions): Promise<ThreadChoice> {
  const calibration = await compareTargets([
    { ...anchor, name: `${anchor.name}, wrk -t1`, threads: 1 },
    { ...anchor, name: `${anchor.name}, wrk -t2`, threads: 2 },
  ], { ...o, rounds: Math.min(o.rounds, 2) });
  return { threads: calibration[1].rps > calibration[0].rps ? 2 : 1, calibration };
}
