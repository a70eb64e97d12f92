/**
 * CPU accounting from /proc: how busy the whole machine was during a measurement, how much of
 * it the processes under test used, and so how much went to everything else (other engineers'
 * tests, a server left running, the harness itself). A baseline is only trusted when the
 * "others" share is small.
 *
 * @module
 */

/** A snapshot of CPU time counters, in clock ticks. */
export interface CpuSnapshot {
  /** Busy ticks of the whole machine (all cores, everything but idle and iowait). */
  busy: number;
  /** All ticks of the whole machine. */
  total: number;
  /** Busy ticks (user + system) of each watched process, by pid. */
  processes: Map<number, number>;
}

/** CPU use between two snapshots, in cores (1.0 = one core fully busy). */
export interface CpuShare {
  /** The whole machine. */
  machine: number;
  /** The watched processes together. */
  watched: number;
  /** Everything else: machine minus watched. */
  others: number;
}

/** Ticks used by one process (user + system, children not included); 0 when it is gone. */
export function processTicks(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may contain spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Takes a snapshot of the machine's counters and of the given processes.
 *
 * @example
 * ```ts
 * const before = cpuSnapshot([server.pid]);
 * // … load …
 * const share = cpuShare(before, cpuSnapshot([server.pid]), 2);
 * ```
 */
export function cpuSnapshot(pids: number[]): CpuSnapshot {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
  const t = line.trim().split(/\s+/).slice(1).map(Number);
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = t[3] + t[4];
  const processes = new Map<number, number>();
  for (const pid of pids) processes.set(pid, processTicks(pid));
  return { busy: total - idle, total, processes };
}

/**
 * CPU use between two snapshots, in cores. `cores` is the machine's core count (the /proc/stat
 * totals add up all cores).
 */
export function cpuShare(before: CpuSnapshot, after: CpuSnapshot, cores: number): CpuShare {
  const elapsed = (after.total - before.total) / cores;
  if (elapsed <= 0) return { machine: 0, watched: 0, others: 0 };
  let watched = 0;
  for (const [pid, ticks] of after.processes) watched += ticks - (before.processes.get(pid) ?? 0);
  const machine = (after.busy - before.busy) / elapsed;
  const w = watched / elapsed;
  return { machine, watched: w, others: Math.max(0, machine - w) };
}
