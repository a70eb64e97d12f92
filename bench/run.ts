/**
 * `deno task bench`: every scenario of the performance targets, each beside its anchor in the
 * same run, measured the same way; writes docs/benchmarks.md (see bench/report.ts).
 *
 * Settings (environment): BENCH_SECONDS (10) per measured wrk run, BENCH_ROUNDS (3) interleaved
 * rounds per side, BENCH_SOAK_SECONDS (60), BENCH_FILL_VERSIONS (10000) for the cold start,
 * BENCH_OUT (docs/benchmarks.md), BENCH_DATA (also write the figures as JSON there; re-render
 * with `deno run -A bench/report.ts DATA.json`), BENCH_PT_MODULES (50) first fetches per round of
 * the pull-through scenario. Fails with a reason when a prerequisite is missing.
 *
 * `deno task bench --only pull-through` (or BENCH_ONLY=pull-through) runs only the pull-through
 * scenario and prints its section (docs/benchmarks.md is not written); `--only sumdb-log` the
 * checksum-log scenario (BENCH_SUMDB_RECORDS (300) records in the log, BENCH_SUMDB_ZIPS (50)
 * uploads per round and side), beside its own bare small-JSON anchor; `--only web-ui` the web UI
 * render times (bench/web_ui.ts).
 *
 * @module
 */

import { freePort, runCli, serveArgs, waitUntilHealthy } from "../tests/helpers/server.ts";
import { BARE_MODES, type BareMode } from "./bare_server.ts";
import { fillStore, measureColdStart } from "./cold_start.ts";
import { chooseThreads, compareTargets, type Target } from "./compare.ts";
import { cpuPerRequestAtOnce } from "./at_once.ts";
import { allCpus, choosePinning, pinProcesses } from "./pinning.ts";
import { profileUnderLoad } from "./profile_load.ts";
import { buildDebianModules } from "./debian_modules.ts";
import { createFixtures, publishFixtures } from "./fixtures.ts";
import { measureGoDownload } from "./go_download.ts";
import { benchPackages, describeMachine, missingPrerequisites } from "./machine.ts";
import { readRss, sampleRss } from "./memory.ts";
import { startNginx } from "./nginx.ts";
import {
  AUTH_READ_NAME,
  type BenchData,
  FOUR_HEADERS_NAME,
  QUIET_INFO_NAME,
  renderReport,
  SAME_WORK_NAME,
} from "./report.ts";
import { runSoak } from "./soak.ts";
import { fillZipCache } from "./zip_cache_warmup.ts";
import { DEFAULT_ZIP_CACHE_SIZE } from "../src/registry/zip_cache.ts";
import { measureUpload } from "./upload.ts";
import { measurePullThrough, renderPullThroughSection } from "./pull_through.ts";
import { measureSumdbLog, renderSumdbLogSection } from "./sumdb_log.ts";
import { measureWebUi, renderWebUiSection } from "./web_ui.ts";
import { storedZip } from "./fixtures.ts";
import { runWrk } from "./wrk.ts";
import { spawnModyard } from "./modyard_server.ts";

const env = (name: string, fallback: number) => {
  const n = Number(Deno.env.get(name) ?? fallback);
  if (!(n > 0)) throw new RangeError(`Cannot use ${name}="${Deno.env.get(name)}"`);
  return n;
};
const SECONDS = env("BENCH_SECONDS", 10);
const ROUNDS = env("BENCH_ROUNDS", 3);
const SOAK_SECONDS = env("BENCH_SOAK_SECONDS", 60);
const FILL = env("BENCH_FILL_VERSIONS", 10_000);
const PT_MODULES = env("BENCH_PT_MODULES", 50);
const SUMDB_RECORDS = env("BENCH_SUMDB_RECORDS", 300);
const SUMDB_ZIPS = env("BENCH_SUMDB_ZIPS", 50);
const onlyAt = Deno.args.indexOf("--only");
const ONLY = Deno.env.get("BENCH_ONLY") ?? (onlyAt >= 0 ? Deno.args[onlyAt + 1] : undefined);
const WARMUP = Math.min(2, SECONDS);
const OUT = Deno.env.get("BENCH_OUT") ?? new URL("../docs/benchmarks.md", import.meta.url).pathname;
/** The hot-zip cache budget of the memory scenario's server (modyard's default). */
const ZIP_CACHE_BYTES = DEFAULT_ZIP_CACHE_SIZE;
const BARE_TS = new URL("./bare_server.ts", import.meta.url).pathname;
const startedAt = performance.now();
const log = (line: string) =>
  console.error(`[${((performance.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const cleanups: (() => Promise<void>)[] = [];
async function cleanup() {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  cleanups.length = 0;
}

/** Starts a bare Deno server in its own process. */
async function startBare(
  mode: BareMode,
  files: Record<string, string> = {},
  denoFlags: string[] = [],
) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...denoFlags,
      BARE_TS,
      mode,
      String(port),
      ...Object.entries(files).map(([k, v]) => `${k}=${v}`),
    ],
    stdout: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  cleanups.push(stop);
  return { url, pid: child.pid, stop };
}

if (ONLY !== undefined) {
  const only: Record<string, () => Promise<void>> = {
    "pull-through": runPullThroughOnly,
    "sumdb-log": runSumdbLogOnly,
    "web-ui": async () => console.log(renderWebUiSection(await measureWebUi({ log }))),
  };
  if (!Object.hasOwn(only, ONLY)) {
    console.error(
      `deno task bench: --only takes ${Object.keys(only).map((k) => `"${k}"`).join(" or ")}, ` +
        `not ${JSON.stringify(ONLY)}`,
    );
    Deno.exit(2);
  }
  await only[ONLY]();
  Deno.exit(0);
}

/** The pull-through scenario alone, with a 1 MiB zip as in the full run, wrk at one thread. */
async function runPullThroughOnly(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-bench-pt-" });
  try {
    const module = "example.com/one";
    const file = `${dir}/one.zip`;
    const bytes = await storedZip(module, "v1.0.0", 1024 * 1024);
    await Deno.writeFile(file, bytes);
    const result = await measurePullThrough({
      seconds: SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP,
      log,
      connections: 64,
      dir,
      zip: { file, module, size: bytes.byteLength },
      threads: 1,
      firstModules: PT_MODULES,
    });
    const dataOut = Deno.env.get("BENCH_DATA");
    if (dataOut) await Deno.writeTextFile(dataOut, JSON.stringify(result, null, 1) + "\n");
    console.log(renderPullThroughSection(result));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The checksum-log scenario alone, beside its own bare small-JSON anchor. */
async function runSumdbLogOnly(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-bench-sumdb-" });
  try {
    const bare = await startBare("json");
    const anchor = { name: "bare Deno.serve, small JSON", url: `${bare.url}/`, pids: [bare.pid] };
    const pin = await choosePinning();
    if (pin) await pinProcesses([bare.pid], pin.servers);
    const common = {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP,
      log,
      connections: 64,
      wrkCpus: pin?.wrk,
    };
    const threads = pin ? 1 : (await chooseThreads(anchor, common)).threads;
    const result = await measureSumdbLog({
      ...common,
      dir,
      anchor,
      threads,
      records: SUMDB_RECORDS,
      publishZips: SUMDB_ZIPS,
      serverCpus: pin?.servers,
      startMirror: (urls) => startBare("mirror", urls),
    });
    const dataOut = Deno.env.get("BENCH_DATA");
    if (dataOut) await Deno.writeTextFile(dataOut, JSON.stringify(result, null, 1) + "\n");
    console.log(renderSumdbLogSection(result));
  } finally {
    await cleanup();
    await Deno.remove(dir, { recursive: true });
  }
}

const missing = await missingPrerequisites();
if (missing.length > 0) {
  console.error(
    `deno task bench: missing prerequisites: ${missing.join(", ")}\n` +
      `install them with: apt-get install ${benchPackages().join(" ")}`,
  );
  Deno.exit(1);
}

const machine = await describeMachine();
const dir = await Deno.makeTempDir({ prefix: "modyard-bench-" });
try {
  log(`machine: ${JSON.stringify(machine)}`);
  const f = await createFixtures(dir);
  const server = await spawnModyard(f.kvPath);
  cleanups.push(() => server.stop());
  await publishFixtures(server.url, f);
  const mod = [server.pid];
  const proxy = `${server.url}/api/packages/bench/go`;
  const secretInfo = `${server.url}/api/packages/secret/go/${f.private.module}/@v/v1.0.0.info`;
  const zipFiles = { "one.zip": f.one.file, "fifty.zip": f.fifty.file };
  const bare: Record<string, { url: string; pid: number }> = {};
  // Every mode but `mirror` (the checksum-log scenario starts its own, copying answers of its
  // server) and `kv` (the cold-start scenario's, over its store).
  for (const mode of BARE_MODES.filter((m) => m !== "mirror" && m !== "kv")) {
    bare[mode] = await startBare(mode, zipFiles);
  }
  const nginx = await startNginx(f.zipDir);
  cleanups.push(() => nginx.stop());
  const common = { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP, log };

  log("metadata at 64 connections");
  const basic = (user: string, secret: string) =>
    `Authorization: Basic ${btoa(`${user}:${secret}`)}`;
  const jsonAnchor = {
    name: "bare Deno.serve, small JSON",
    url: `${bare.json.url}/`,
    pids: [bare.json.pid],
  };
  const sameAnchor = { name: SAME_WORK_NAME, url: `${bare.same.url}/`, pids: [bare.same.pid] };
  const infoUrl = `${proxy}/${f.small.module}/@v/v1.0.0.info`;
  // Request-rate scenarios: servers on one core, wrk on the other (bench/pinning.ts).
  // The same store served with the request log off: what the log line costs a cached answer.
  const quiet = await spawnModyard(f.kvPath, [], ["--log-level", "warn"]);
  cleanups.push(() => quiet.stop());
  const pin = await choosePinning();
  const pinned = [
    server.pid,
    ...["json", "hello", "same", "headers4", "auth"].map((m) => bare[m].pid),
  ];
  if (pin) await pinProcesses([...pinned, quiet.pid], pin.servers);
  const metaOptions = { ...common, connections: 64, wrkCpus: pin?.wrk };
  const metaThreads = pin
    ? { threads: 1, calibration: [] }
    : await chooseThreads(jsonAnchor, metaOptions);
  const withThreads = (threads: number, targets: Target[]) =>
    targets.map((t) => ({ ...t, threads }));
  const metadata = await compareTargets(
    withThreads(metaThreads.threads, [
      jsonAnchor,
      { name: "bare Deno.serve, hello-world", url: `${bare.hello.url}/`, pids: [bare.hello.pid] },
      sameAnchor,
      { name: ".info", url: infoUrl, pids: mod },
      { name: ".mod", url: `${proxy}/${f.small.module}/@v/v1.0.0.mod`, pids: mod },
      { name: "list", url: `${proxy}/${f.small.module}/@v/list`, pids: mod },
      { name: "@latest", url: `${proxy}/${f.small.module}/@latest`, pids: mod },
      {
        name: ".info, private owner, token",
        url: secretInfo,
        pids: mod,
        headers: [basic("secret", f.secretToken)],
      },
      {
        name: ".info, private owner, password",
        url: secretInfo,
        pids: mod,
        headers: [basic("secret", "correct horse battery")],
      },
    ]),
    metaOptions,
  );
  log("metadata: server CPU per request, the anchors and .info loaded at once");
  const metadataAtOnce = await cpuPerRequestAtOnce(
    [
      jsonAnchor,
      { name: AUTH_READ_NAME, url: `${bare.auth.url}/`, pids: [bare.auth.pid] },
      { name: FOUR_HEADERS_NAME, url: `${bare.headers4.url}/`, pids: [bare.headers4.pid] },
      sameAnchor,
      { name: ".info", url: infoUrl, pids: mod },
      { name: QUIET_INFO_NAME, url: infoUrl.replace(server.url, quiet.url), pids: [quiet.pid] },
    ],
    { connections: 32, seconds: SECONDS, rounds: ROUNDS, wrkCpus: pin?.wrk },
  );
  await quiet.stop(); // idle from here on: not beside the later scenarios

  log("checksum logs: lookups and tiles beside .info and the bare JSON anchor; publishing");
  const sumdbLog = await measureSumdbLog({
    ...metaOptions,
    dir,
    anchor: jsonAnchor,
    threads: metaThreads.threads,
    records: SUMDB_RECORDS,
    publishZips: SUMDB_ZIPS,
    serverCpus: pin?.servers,
    startMirror: (urls) => startBare("mirror", urls),
  });
  if (pin) await pinProcesses(pinned, allCpus());

  const downloads = [];
  for (const [zip, connections] of [[f.one, 64], [f.fifty, 8]] as const) {
    log(`${zip.name} downloads at ${connections} connections`);
    const options = { ...common, connections, timeoutSeconds: 60 };
    const nginxTarget = {
      name: "nginx (sendfile)",
      url: `${nginx.url}/${zip.name}`,
      pids: nginx.pids,
    };
    const choice = await chooseThreads(nginxTarget, options);
    const rows = await compareTargets(
      withThreads(choice.threads, [
        nginxTarget,
        {
          name: "Deno: one Uint8Array body",
          url: `${bare.bytes.url}/${zip.name}`,
          pids: [bare.bytes.pid],
        },
        {
          name: "Deno: Deno.open(…).readable",
          url: `${bare.file.url}/${zip.name}`,
          pids: [bare.file.pid],
        },
        {
          name: "Deno: ReadableStream of 1 MiB subarrays",
          url: `${bare.stream.url}/${zip.name}`,
          pids: [bare.stream.pid],
        },
        { name: "modyard", url: `${proxy}/${zip.module}/@v/v1.0.0.zip`, pids: mod },
      ]),
      options,
    );
    downloads.push({ zip: zip.name, size: zip.size, connections, threads: choice, rows });
  }

  await cleanup();

  log("pull-through cache: cached zip beside a hosted one, first fetches");
  const pullThrough = await measurePullThrough({
    ...common,
    connections: 64,
    dir,
    zip: f.one,
    threads: downloads[0].threads.threads,
    firstModules: PT_MODULES,
  });

  log("web UI: module and version pages of a module with 200 versions and a 50 KiB README");
  const webUi = await measureWebUi({ log });

  log("CPU profiles of modyard and its anchors under the zip and metadata loads");
  const profiles = [];
  for (
    const [name, path, connections, threads, anchorName, anchorMode, anchorPath] of [
      [
        "1 MiB zip downloads, 64 connections",
        `/${f.one.module}/@v/v1.0.0.zip`,
        64,
        downloads[0].threads.threads,
        "Deno: ReadableStream of 1 MiB subarrays",
        "stream",
        "/one.zip",
      ],
      [
        ".info at 64 connections",
        `/${f.small.module}/@v/v1.0.0.info`,
        64,
        metaThreads.threads,
        "bare Deno.serve, small JSON",
        "json",
        "/",
      ],
    ] as const
  ) {
    const load = { connections, seconds: SECONDS, threads, dir };
    const ours = await profileUnderLoad(
      (flags) => spawnModyard(f.kvPath, flags),
      { ...load, path: `/api/packages/bench/go${path}` },
    );
    const anchor = await profileUnderLoad(
      (flags) => startBare(anchorMode, zipFiles, flags),
      { ...load, path: anchorPath },
    );
    profiles.push({ name, ...ours, anchorName, anchor });
  }

  log("upload of a 100 MiB zip");
  const upload = await measureUpload(100);

  log("go mod download of Debian's modules");
  const built = await buildDebianModules(`${dir}/gomods`);
  const goKv = `${dir}/gomods.kv`;
  await runCli(goKv, ["user", "create", "gomods"]);
  const goToken = (await runCli(goKv, ["token", "create", "gomods", "--scope", "write"])).stdout
    .trim();
  const goServer = await spawnModyard(goKv);
  cleanups.push(() => goServer.stop());
  const goDownload = await measureGoDownload(
    `${dir}/gomods`,
    built,
    `${goServer.url}/api/packages/gomods/go`,
    `${goServer.url}/api/packages/gomods/go/upload`,
    `Basic ${btoa(`gomods:${goToken}`)}`,
    Math.max(5, ROUNDS),
  );
  await cleanup();

  log(`cold start (empty store, then ${FILL} versions)`);
  const coldRuns = Math.max(5, ROUNDS);
  const coldBare = await measureColdStart(
    (port) => ["run", "-A", BARE_TS, "hello", String(port)],
    coldRuns,
  );
  const coldEmpty = await measureColdStart((port) => serveArgs(`${dir}/empty.kv`, port), coldRuns);
  const fillKv = `${dir}/fill.kv`;
  await runCli(fillKv, ["user", "create", "fill"]);
  const fillToken = (await runCli(fillKv, ["token", "create", "fill", "--scope", "write"])).stdout
    .trim();
  const filler = await spawnModyard(fillKv);
  const fillSeconds = await fillStore(
    `${filler.url}/api/packages/fill/go/upload`,
    `Basic ${btoa(`fill:${fillToken}`)}`,
    FILL,
  );
  await filler.stop();
  const coldFull = await measureColdStart((port) => serveArgs(fillKv, port), coldRuns);
  const bareKv = (store: string) => (port: number) => [
    "run",
    "-A",
    BARE_TS,
    "kv",
    String(port),
    `store=${store}`,
  ];
  const coldBareEmpty = await measureColdStart(bareKv(`${dir}/empty.kv`), coldRuns);
  const coldBareFull = await measureColdStart(bareKv(fillKv), coldRuns);

  log("memory: 16 concurrent 50 MiB downloads, then mixed load; soak");
  const memServer = await spawnModyard(f.kvPath);
  cleanups.push(() => memServer.stop());
  const pid = memServer.pid;
  await new Promise((r) => setTimeout(r, 1000));
  const idle = readRss(pid);
  const sampler = sampleRss(pid);
  const sixteen = await runWrk(
    `${memServer.url}/api/packages/bench/go/${f.fifty.module}/@v/v1.0.0.zip`,
    {
      connections: 16,
      seconds: SECONDS,
      timeoutSeconds: 60,
      serverPids: [pid],
    },
  );
  const peakSampled = sampler.stop();
  const peakHwm = readRss(pid).hwmMiB;
  const soakAuth = `Basic ${btoa(`bench:${f.token}`)}`;
  const soakBase = { url: memServer.url, owner: "bench", auth: soakAuth, connections: 64 };
  // Warm-up: the hot-zip cache filled to its budget (a bounded cache still filling grows RSS
  // by design, which says nothing about a leak), then 10 s of the mixed load.
  const cacheWarmupBytes = await fillZipCache(memServer.url, "bench", f.token, ZIP_CACHE_BYTES);
  const afterCacheFill = readRss(pid);
  await runSoak({ ...soakBase, seconds: 10, modulePrefix: "warm.example/m" });
  const afterWarmup = readRss(pid);
  const soak = await runSoak({ ...soakBase, seconds: SOAK_SECONDS });
  const afterSoak = readRss(pid);
  await cleanup();

  // The same warm-up and soak with the hot-zip cache off: every upload of the soak is a new
  // zip the cache may keep (up to its budget), so this run tells cache fill from a leak.
  log("memory drift with --zip-cache-size 0");
  const noCacheServer = await spawnModyard(f.kvPath, [], ["--zip-cache-size", "0"]);
  cleanups.push(() => noCacheServer.stop());
  const noCacheBase = { ...soakBase, url: noCacheServer.url };
  await runSoak({ ...noCacheBase, seconds: 10, modulePrefix: "warm0.example/m" });
  const noCacheAfterWarmup = readRss(noCacheServer.pid);
  await runSoak({ ...noCacheBase, seconds: SOAK_SECONDS, modulePrefix: "soak0.example/m" });
  const noCacheAfterSoak = readRss(noCacheServer.pid);
  await cleanup();

  const data: BenchData = {
    date: new Date().toISOString(),
    machine,
    settings: {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP,
      soakSeconds: SOAK_SECONDS,
    },
    metadataThreads: metaThreads,
    metadataPinned: pin !== null,
    metadata,
    metadataAtOnce,
    downloads,
    pullThrough,
    sumdbLog,
    webUi,
    profiles,
    upload,
    goDownload,
    cold: {
      bare: coldBare,
      bareKvEmpty: coldBareEmpty,
      bareKvFull: coldBareFull,
      empty: coldEmpty,
      full: coldFull,
      versions: FILL,
      fillSeconds,
    },
    memory: {
      idle,
      sixteen,
      peakSampledMiB: peakSampled,
      peakHwmMiB: peakHwm,
      cacheWarmupBytes,
      afterCacheFill,
      afterWarmup,
      afterSoak,
      noCacheAfterWarmup,
      noCacheAfterSoak,
      zipCacheMiB: ZIP_CACHE_BYTES / (1024 * 1024),
    },
    soak,
    minutes: (performance.now() - startedAt) / 60000,
  };
  const report = renderReport(data);
  await Deno.writeTextFile(OUT, report);
  // The report is checked by `deno task check` like every other file: format it.
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", OUT] }).output();
  const dataOut = Deno.env.get("BENCH_DATA");
  if (dataOut) await Deno.writeTextFile(dataOut, JSON.stringify(data, null, 1) + "\n");
  console.log(report);
  log(`wrote ${OUT}`);
} finally {
  await cleanup();
  await Deno.remove(dir, { recursive: true }).catch(async () => {
    await new Deno.Command("chmod", { args: ["-R", "u+w", dir] }).output();
    await Deno.remove(dir, { recursive: true });
  });
}
