/**
 * A server's memory from /proc/PID/status: resident set (VmRSS) now, its high-water mark
 * (VmHWM, since the process started), and a sampler of the peak over a stretch of load.
 *
 * @module
 */

/** Memory of a process, MiB. */
export interface Rss {
  /** VmRSS. */
  rssMiB: number;
  /** VmHWM: the peak RSS since the process started. */
  hwmMiB: number;
}

/** Reads VmRSS and VmHWM of a process; throws when it is gone. */
export function readRss(pid: number): Rss {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

/**
 * Samples VmRSS every `intervalMs` until `stop()`, which returns the highest sample (MiB).
 *
 * @example
 * ```ts
 * const sampler = sampleRss(server.pid);
 * await load();
 * const peakMiB = sampler.stop();
 * ```
 */
export function sampleRss(pid: number, intervalMs = 50): { stop(): number } {
  let peak = readRss(pid).rssMiB;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, readRss(pid).rssMiB);
    } catch { /* exited: the last sample stands */ }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        peak = Math.max(peak, readRss(pid).rssMiB);
      } catch { /* exited */ }
      return peak;
    },
  };
}
