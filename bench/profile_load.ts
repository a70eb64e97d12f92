/**
 * A CPU profile of a server under one load: the server is started with `--cpu-prof`, loaded by
 * wrk, stopped with SIGTERM (a normal exit writes the profile), and the profile is summarised
 * over the load window only.
 *
 * @module
 */

import { cpuShare, cpuSnapshot } from "./cpu_usage.ts";
import { type ProfileSummary, readNewestProfile, summariseProfile } from "./cpu_profile.ts";
import { runWrk } from "./wrk.ts";

/** A server started with extra `deno` flags. */
export interface ProfiledServer {
  /** Base URL. */
  url: string;
  /** Process id. */
  pid: number;
  /** Stops it with SIGTERM and waits for the exit. */
  stop(): Promise<void>;
}

/** A profile and what the load did meanwhile. */
export interface LoadProfile {
  /** Summary over the load window. */
  summary: ProfileSummary;
  /** CPU the server process used during the load (cores, all threads). */
  serverCores: number;
  /** Requests completed during the load. */
  requests: number;
}

/** How to load the server. */
export interface ProfileLoad {
  /** Path (and query) to request. */
  path: string;
  /** Connections. */
  connections: number;
  /** Seconds. */
  seconds: number;
  /** wrk threads. */
  threads: number;
  /** Directory for the profile. */
  dir: string;
}

/**
 * Starts a server through `start(denoFlags)`, profiles it under the load and summarises.
 *
 * @example
 * ```ts
 * const p = await profileUnderLoad((flags) => spawnModyard(kv, flags), {
 *   path: "/healthz", connections: 64, seconds: 10, threads: 1, dir: "/tmp/prof",
 * });
 * ```
 */
export async function profileUnderLoad(
  start: (denoFlags: string[]) => Promise<ProfiledServer>,
  load: ProfileLoad,
): Promise<LoadProfile> {
  const profDir = await Deno.makeTempDir({ dir: load.dir, prefix: "prof-" });
  const s = await start(["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
  let tailMs = 0;
  let serverCores = NaN;
  let requests = NaN;
  try {
    const before = cpuSnapshot([s.pid]);
    const run = await runWrk(`${s.url}${load.path}`, {
      connections: load.connections,
      seconds: load.seconds,
      threads: load.threads,
      timeoutSeconds: 60,
      serverPids: [s.pid],
    });
    serverCores = cpuShare(before, cpuSnapshot([s.pid]), navigator.hardwareConcurrency).watched;
    requests = run.rps * load.seconds;
  } finally {
    const stopping = performance.now();
    await s.stop();
    tailMs = performance.now() - stopping;
  }
  // Only the load: the samples of start-up and of the stop are left out.
  const window = { tailMs, lengthMs: load.seconds * 1000 };
  const summary = summariseProfile(await readNewestProfile(profDir), 15, window);
  return { summary, serverCores, requests };
}
