/**
 * Upload benchmark: a fresh server, one upload of a zip of the given size sent by curl
 * (the client users have; Deno's own fetch is the slower side when streaming a file), and
 * the server's RSS sampled every 20 ms. In the same run, the same file is sent the same way
 * to a bare `Deno.serve` that reads and discards the body (bench/discard.ts): the baseline.
 *
 * `deno run --allow-all bench/upload.ts [MiB]` prints one measurement.
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

/** Publishes one zip with `payloadMiB` MiB of stored random data and measures it. */
export async function measureUpload(payloadMiB: number): Promise<UploadMeasure> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-upload-" });
  const kv = `${dir}/bench.kv`;
  try {
    await runCli(kv, ["user", "create", "bench"]);
    const token = (await runCli(kv, ["token", "create", "bench", "--scope", "write"])).stdout
      .trim();
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
    const serverProcess = await spawnServer(kv);
    const server = serverProcess.child;
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
      const mbps = size / 1e6 / seconds;
      const baselineMbps = await measureBaseline(zipPath, size);
      return {
        size,
        mbps,
        idleMiB: idle,
        peakMiB: peak,
        baselineMbps,
        ratio: mbps / baselineMbps,
      };
    } finally {
      await serverProcess.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const m = await measureUpload(Number(Deno.args[0] ?? 100));
  console.log(
    `${(m.size / 2 ** 20).toFixed(0)} MiB zip: ${
      m.mbps.toFixed(1)
    } MB/s; bare Deno.serve reading and discarding it: ${m.baselineMbps.toFixed(0)} MB/s; ratio ${
      m.ratio.toFixed(3)
    }; RSS idle ${m.idleMiB.toFixed(0)} MiB, peak ${m.peakMiB.toFixed(0)} MiB (+${
      (m.peakMiB - m.idleMiB).toFixed(0)
    })`,
  );
}
