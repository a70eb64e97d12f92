/**
 * Upload benchmark: a fresh server, one upload of a zip of the given size sent by curl
 * (the client users have; Deno's own fetch is the slower side when streaming a file), and
 * the server's RSS sampled every 20 ms.
 *
 * @module
 */

import { runCli, spawnServer } from "../tests/helpers/server.ts";
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
      const started = performance.now();
      const out = await new Deno.Command("curl", {
        args: [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--user",
          `bench:${token}`,
          "--upload-file",
          zipPath,
          `${url}/api/packages/bench/go/upload`,
        ],
        stdout: "piped",
      }).output();
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      const status = new TextDecoder().decode(out.stdout);
      if (status !== "201") throw new Error(`upload answered ${status}`);
      return { size, mbps: size / 1e6 / seconds, idleMiB: idle, peakMiB: peak };
    } finally {
      await serverProcess.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
