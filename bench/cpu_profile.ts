/**
 * Reading a V8 `.cpuprofile` (what `deno run --cpu-prof` writes): self time per function, and
 * the same grouped by where the code lives (modyard, Deno's runtime, npm packages, V8's own
 * garbage collector, native work outside JavaScript, idle). Also a command:
 *
 * ```
 * deno run -A bench/cpu_profile.ts FILE.cpuprofile [TOP]
 * ```
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time of one function (or group). */
export interface SelfTime {
  /** `function (file:line)` or group name. */
  name: string;
  /** Milliseconds. */
  ms: number;
  /** Share of all sampled time, 0..1. */
  share: number;
}

/** A profile summarised. */
export interface ProfileSummary {
  /** Sampled milliseconds. */
  totalMs: number;
  /** Top functions by self time. */
  functions: SelfTime[];
  /** Self time by where the code lives. */
  groups: SelfTime[];
  /** Self time of Deno's runtime JavaScript by file (e.g. `deno_fetch/20_headers.js`) or op. */
  runtime: SelfTime[];
}

/** Where a frame's code lives. */
export function frameGroup(frame: { functionName: string; url: string }): string {
  const { functionName: f, url } = frame;
  if (f === "(idle)") return "idle (waiting for I/O)";
  if (f === "(garbage collector)") return "V8 garbage collector";
  if (f === "(program)") return "native (runtime, I/O, V8 outside JS)";
  if (url.includes("/node_modules/") || url.includes("npm")) return "npm packages";
  if (url.includes("/src/") || url.includes("main.ts") || url.includes("/bench/")) {
    return "modyard / bench code";
  }
  if (url.startsWith("ext:") || url.startsWith("node:") || url === "") return "Deno runtime (JS)";
  return "other JS";
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf("/src/");
  if (i >= 0) return url.slice(i + 1);
  return url.replace(/^file:\/\/.*\/node_modules\//, "npm:").replace(/^ext:/, "");
}

/** A stretch of a profile, counted back from its last sample (ms). */
export interface ProfileWindow {
  /** Milliseconds between the end of the stretch and the last sample (e.g. a graceful stop). */
  tailMs: number;
  /** Length of the stretch, ms. */
  lengthMs: number;
}

/**
 * Summarises a profile: the `top` functions by self time and the groups of {@link frameGroup};
 * only the samples within `window` when it is given (so start-up and the stop are left out).
 *
 * @example
 * ```ts
 * const s = summariseProfile(JSON.parse(await Deno.readTextFile("x.cpuprofile")), 15);
 * for (const f of s.functions) console.log(f.name, f.ms);
 * ```
 */
export function summariseProfile(
  profile: unknown,
  top = 15,
  window?: ProfileWindow,
): ProfileSummary {
  const p = profile as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const at: number[] = [];
  let t = 0;
  for (const d of p.timeDeltas) at.push(t += d);
  const last = at[at.length - 1] ?? 0;
  const to = window ? last - window.tailMs * 1000 : Infinity;
  const from = window ? to - window.lengthMs * 1000 : -Infinity;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    if (at[i] < from || at[i] > to) continue;
    const id = p.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const groups = new Map<string, number>();
  const runtime = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    const name = frame.url
      ? `${frame.functionName || "(anonymous)"} (${shortUrl(frame.url)}:${frame.lineNumber + 1})`
      : frame.functionName;
    fn.set(name, (fn.get(name) ?? 0) + us);
    const g = frameGroup(frame);
    groups.set(g, (groups.get(g) ?? 0) + us);
    if (g === "Deno runtime (JS)") {
      const file = frame.url
        ? shortUrl(frame.url)
        : frame.functionName.startsWith("op_")
        ? "ops"
        : "(other)";
      runtime.set(file, (runtime.get(file) ?? 0) + us);
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({
      name,
      ms: us / 1000,
      share: total ? us / total : 0,
    }));
  return {
    totalMs: total / 1000,
    functions: rank(fn).slice(0, top),
    groups: rank(groups),
    runtime: rank(runtime).slice(0, 6),
  };
}

/** Reads the newest `.cpuprofile` in a directory; throws when there is none. */
export async function readNewestProfile(dir: string): Promise<unknown> {
  let newest: { path: string; mtime: number } | null = null;
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".cpuprofile")) continue;
    const path = `${dir}/${e.name}`;
    const mtime = (await Deno.stat(path)).mtime?.getTime() ?? 0;
    if (!newest || mtime > newest.mtime) newest = { path, mtime };
  }
  if (!newest) {
    throw new Error(`no .cpuprofile in ${dir}: did the server exit normally on SIGTERM?`);
  }
  return JSON.parse(await Deno.readTextFile(newest.path));
}

if (import.meta.main) {
  const [file, top] = Deno.args;
  if (!file) {
    console.error("usage: cpu_profile.ts FILE.cpuprofile [TOP]");
    Deno.exit(2);
  }
  const s = summariseProfile(JSON.parse(await Deno.readTextFile(file)), Number(top ?? 20));
  console.log(`sampled ${s.totalMs.toFixed(0)} ms`);
  for (const g of s.groups) console.log(`${(g.share * 100).toFixed(1).padStart(5)} %  ${g.name}`);
  console.log("\nDeno runtime JavaScript by file:");
  for (const r of s.runtime) console.log(`${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}`);
  console.log();
  for (const f of s.functions) {
    console.log(
      `${(f.share * 100).toFixed(1).padStart(5)} %  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}`,
    );
  }
}
