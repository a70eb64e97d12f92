/**
 * CPU pinning for the request-rate scenarios: servers on one core, wrk on the other. On a
 * two-core machine a server and wrk left to the scheduler contend for both cores, and the
 * rate of a single-threaded Deno server then varies by a third from run to run with where
 * its thread and wrk's happen to land (docs/benchmarks.md, "Method"). Pinned, each server
 * has one core to itself while it is loaded, which is what its rate then measures.
 *
 * @module
 */

/** Where servers and wrk run, as `taskset` CPU lists. */
export interface Pinning {
  /** CPUs of the servers under test and their anchors. */
  servers: string;
  /** CPUs of wrk. */
  wrk: string;
}

/**
 * The pinning this machine allows: servers on CPU 0, wrk on CPU 1, when there are at least
 * two CPUs and `taskset` (util-linux) runs; `null` otherwise.
 */
export async function choosePinning(): Promise<Pinning | null> {
  if (navigator.hardwareConcurrency < 2) return null;
  try {
    const out = await new Deno.Command("taskset", { args: ["-p", String(Deno.pid)] }).output();
    return out.success ? { servers: "0", wrk: "1" } : null;
  } catch {
    return null;
  }
}

/** Moves every thread of each process to `cpus` (`taskset -a -p -c`). */
export async function pinProcesses(pids: number[], cpus: string): Promise<void> {
  for (const pid of pids) {
    const out = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", cpus, String(pid)],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${new TextDecoder().decode(out.stderr)}`);
    }
  }
}

/** All CPUs of the machine, as a `taskset` list (to undo a pinning). */
export function allCpus(): string {
  return `0-${navigator.hardwareConcurrency - 1}`;
}
