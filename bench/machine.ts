/**
 * The machine a benchmark ran on, and the prerequisites `deno task bench` needs (checked
 * first, so a missing one fails the run at once with what to install).
 *
 * @module
 */

import { findGo } from "../tests/helpers/go.ts";
import { goDownloadPackages } from "./go_download.ts";
import { missingDebianModules } from "./debian_modules.ts";

/** A description of the machine. */
export interface Machine {
  /** CPU model name. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Memory, GiB. */
  memoryGiB: number;
  /** Kernel release. */
  kernel: string;
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** nginx version. */
  nginx: string;
  /** wrk version. */
  wrk: string;
  /** go version. */
  go: string;
}

async function output(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return (dec.decode(out.stdout) + dec.decode(out.stderr)).trim();
}

/** Describes this machine. */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryGiB: Number(/MemTotal:\s+(\d+) kB/.exec(meminfo)?.[1] ?? 0) / 1024 / 1024,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    nginx: (await output("nginx", ["-v"])).replace("nginx version: ", ""),
    wrk: (await output("wrk", ["-v"])).split("\n")[0].split(" [")[0],
    go: (await output(findGo()!, ["version"])).replace("go version ", ""),
  };
}

async function onPath(cmd: string): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args: ["-v"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/**
 * Everything the bench needs that is missing, as apt package names (empty when all is there).
 *
 * @example
 * ```ts
 * const missing = await missingPrerequisites();
 * if (missing.length) throw new Error(`apt-get install ${missing.join(" ")}`);
 * ```
 */
export async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  if (!await onPath("wrk")) missing.push("wrk");
  if (!await onPath("nginx")) missing.push("nginx-light");
  if (!await onPath("curl")) missing.push("curl");
  if (findGo() === null) missing.push("golang-go");
  try {
    Deno.statSync("/proc/self/status");
  } catch {
    missing.push("(a Linux /proc file system)");
  }
  missing.push(...missingDebianModules());
  return missing;
}

/** The full list of packages the bench uses, for the README and the failure message. */
export function benchPackages(): string[] {
  return ["wrk", "nginx-light", "curl", "golang-go", ...goDownloadPackages()];
}
