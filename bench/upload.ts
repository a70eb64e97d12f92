/**
 * Upload benchmark: a fresh server, one upload of a zip of the given size sent by curl
 * (the client users have; Deno's own fetch is the slower side when streaming a file), and
 * the server's RSS sampled every 20 ms. In the same run, the same file is sent the same way
 * to a bare `Deno.serve` that reads and discards the body (bench/discard.ts): the baseline.
 *
 * `deno run --allow-all bench/upload.ts [MiB] [runs]` prints each run and the medians.
 *
 * @module
 */

import { freePort, runCli, spawnServer, waitUntilHealthy } from "../tests/helpers/server.ts";
import { moduleZip, randomBytes } from "../tests/helpers/zip.ts";

/** The outcome of one upload. */
export interface UploadMeasure {
  /** Zip size in bytes. */
  size: number;
  /** Upload, validation and publication, MB/s (10^6 bytes). */
  mbps: number;
  /** Server RSS before the upload, MiB. */
  idleMiB: number;
  /** Peak server RSS during the upload, MiB. */
  peakMiB: number;
  /** The bare server reading and discarding the same body, MB/s. */
  baselineMbps: number;
  /** `mbps / baselineMbps`. */
  ratio: number;
}

/** Sends a file with curl; returns the status and the seconds it took. */
async function curlUpload(
  file: string,
  url: string,
  user?: string,
): Promise<{ status: string; seconds: number }> {
  const started = performance.now();
  const out = await new Deno.Command("curl", {
    args: [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      ...(user ? ["--user", user] : []),
      "--upload-file",
      file,
      url,
    ],
    stdout: "piped",
  }).output();
  return {
    status: new TextDecoder().decode(out.stdout),
    seconds: (performance.now() - started) / 1000,
  };
}

/** MB/s of the bare read-and-discard server for one upload of `file`. */
async function measureBaseline(file: string, size: number): Promise<number> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", new URL("./discard.ts", import.meta.url).pathname, String(port)],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitUntilHealthy(url);
    const { status, seconds } = await curlUpload(file, `${url}/upload`);
    if (status !== "201") throw new Error(`baseline upload answered ${status}`);
    return size / 1e6 / seconds;
  } finally {
    child.kill();
    await child.status;
  }
}

async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** One upload and its baseline, measured back to back. */
export interface UploadRun {
  /** modyard, MB/s. */
  mbps: number;
  /** The bare read-and-discard server, MB/s. */
  baselineMbps: number;
  /** Server RSS before the upload, MiB. */
  idleMiB: number;
  /** Peak server RSS during the upload, MiB. */
  peakMiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Publishes a zip with `payloadMiB` MiB of stored random data `runs` times, each to a
 * fresh server and store and each followed by the baseline upload of the same file, and
 * reports the medians (the ratio is the median of the per-run ratios) and the largest peak
 * above idle: on a shared machine a single pair says little.
 */
export async function measureUpload(payloadMiB: number, runs = 3): Promise<
  UploadMeasure & {
    /** Every run, in order. */
    runs: UploadRun[];
  }
> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-upload-" });
  try {
    const zipPath = `${dir}/module.zip`;
    // Under the 500 MiB limit once deflate overhead and zip headers are added.
    const payload = Math.min(payloadMiB, 499) * 1024 * 1024;
    await Deno.writeFile(
      zipPath,
      await moduleZip("example.com/upload", "v1.0.0", {
        "go.mod": "module example.com/upload\n",
        "data.bin": randomBytes(payload),
      }),
    );
    const size = (await Deno.stat(zipPath)).size;
    const done: UploadRun[] = [];
    for (let run = 0; run < runs; run++) {
      done.push(await uploadOnce(`${dir}/run${run}`, zipPath, size));
    }
    const above = done.map((r) => r.peakMiB - r.idleMiB);
    const worst = done[above.indexOf(Math.max(...above))];
    return {
      size,
      mbps: median(done.map((r) => r.mbps)),
      baselineMbps: median(done.map((r) => r.baselineMbps)),
      ratio: median(done.map((r) => r.mbps / r.baselineMbps)),
      idleMiB: worst.idleMiB,
      peakMiB: worst.peakMiB,
      runs: done,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One upload to a fresh server over a fresh store, then the baseline. */
async function uploadOnce(dir: string, zipPath: string, size: number): Promise<UploadRun> {
  await Deno.mkdir(dir, { recursive: true });
  const kv = `${dir}/bench.kv`;
  await runCli(kv, ["user", "create", "bench"]);
  const token = (await runCli(kv, ["token", "create", "bench", "--scope", "write"])).stdout
    .trim();
  const serverProcess = await spawnServer(kv);
  const server = serverProcess.child;
  let run: Omit<UploadRun, "baselineMbps">;
  try {
    const url = serverProcess.url;
    await new Promise((r) => setTimeout(r, 500));
    const idle = await rssMiB(server.pid);
    let peak = idle;
    const sampler = setInterval(async () => {
      peak = Math.max(peak, await rssMiB(server.pid).catch(() => 0));
    }, 20);
    const { status, seconds } = await curlUpload(
      zipPath,
      `${url}/api/packages/bench/go/upload`,
      `bench:${token}`,
    );
    clearInterval(sampler);
    if (status !== "201") throw new Error(`upload answered ${status}`);
    run = { mbps: size / 1e6 / seconds, idleMiB: idle, peakMiB: peak };
  } finally {
    await serverProcess.stop();
    await Deno.remove(dir, { recursive: true });
  }
  return { ...run, baselineMbps: await measureBaseline(zipPath, size) };
}

if (import.meta.main) {
  const m = await measureUpload(Number(Deno.args[0] ?? 100), Number(Deno.args[1] ?? 3));
  for (const r of m.runs) {
    console.log(
      `  run: ${r.mbps.toFixed(1)} MB/s, baseline ${r.baselineMbps.toFixed(0)} MB/s, ratio ${
        (r.mbps / r.baselineMbps).toFixed(3)
      }, peak +${(r.peakMiB - r.idleMiB).toFixed(0)} MiB`,
    );
  }
  console.log(
    `${(m.size / 2 ** 20).toFixed(0)} MiB zip, median of ${m.runs.length}: ${
      m.mbps.toFixed(1)
    } MB/s; bare Deno.serve reading and discarding it: ${m.baselineMbps.toFixed(0)} MB/s; ratio ${
      m.ratio.toFixed(3)
    }; RSS idle ${m.idleMiB.toFixed(0)} MiB, peak ${m.peakMiB.toFixed(0)} MiB (+${
      (m.peakMiB - m.idleMiB).toFixed(0)
    })`,
  );
}
