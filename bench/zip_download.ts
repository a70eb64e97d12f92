/**
 * Zip download throughput of modyard beside nginx (Debian `nginx-light`, `sendfile on`, one
 * worker) serving the same bytes from disk, measured with wrk in one run, rounds interleaved
 * so both see the same machine load; and modyard's RSS during concurrent large downloads.
 *
 *     deno run -A bench/zip_download.ts [--main path/to/main.ts] [--rounds 3] [--seconds 5]
 *       [--zip-cache-size BYTES] [--rss]
 *
 * `--main` points at another checkout's main.ts (e.g. an exported older commit) to compare
 * before and after. Prints one line per measurement and a summary of medians.
 *
 * @module
 */

import { moduleZip, randomBytes } from "../tests/helpers/zip.ts";
import { freePort, waitUntilHealthy } from "../tests/helpers/server.ts";

const args = parseArgs(Deno.args);
const MAIN = args.get("main") ?? new URL("../main.ts", import.meta.url).pathname;
const ROUNDS = Number(args.get("rounds") ?? "3");
const SECONDS = Number(args.get("seconds") ?? "5");
const CACHE = args.get("zip-cache-size");

/** One scenario: a zip size and the wrk connection count of the issue's targets. */
const SCENARIOS = [
  { name: "1 MiB zip, 64 conns", module: "example.com/one", size: 1024 * 1024, connections: 64 },
  {
    name: "50 MiB zip, 8 conns",
    module: "example.com/fifty",
    size: 50 * 1024 * 1024,
    connections: 8,
  },
];

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    const next = argv[i + 1];
    const value = m[2] ?? (next !== undefined && !next.startsWith("--") ? argv[++i] : "true");
    out.set(m[1], value);
  }
  return out;
}

async function run(cmd: string, argv: string[], env?: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args: argv, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`${cmd} ${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}${text}`);
  }
  return text;
}

/** wrk's transfer rate in MB/s (10^6 bytes) and its error count. */
async function wrk(url: string, connections: number, seconds: number) {
  const text = await run("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, url]);
  const m = /Transfer\/sec:\s+([0-9.]+)([KMG]?B)/.exec(text);
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m?.[2] ?? "B"] ?? 0;
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? "0";
  const socket = /Socket errors: (.*)/.exec(text)?.[1] ?? "";
  return { mbps: Number(m?.[1] ?? NaN) * unit / 1e6, errors: Number(errors), socket };
}

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const dir = await Deno.makeTempDir({ prefix: "modyard_zipbench_" });
const kvPath = `${dir}/modyard.kv`;
const www = `${dir}/www`;
await Deno.mkdir(www);
// nginx's worker runs as `nobody`: the temporary directory must be readable to it.
await Deno.chmod(dir, 0o755);
await Deno.chmod(www, 0o755);

// The zips, as module zips modyard accepts; nginx serves the very same bytes.
const zips = new Map<string, Uint8Array>();
for (const s of SCENARIOS) {
  // Deflated random data comes out a little larger than its input.
  const zip = await moduleZip(s.module, "v1.0.0", {
    "go.mod": `module ${s.module}\n`,
    "data.bin": randomBytes(s.size - 1024),
  });
  zips.set(s.module, zip);
  await Deno.writeFile(`${www}/${s.module.replace("example.com/", "")}.zip`, zip, { mode: 0o644 });
}

const cli = (argv: string[]) => run(Deno.execPath(), ["run", "-A", MAIN, ...argv, "--kv", kvPath]);
await cli(["user", "create", "bench"]);
const token = (await cli(["token", "create", "bench", "--scope", "write"])).trim();

const port = freePort();
const serveArgs = ["run", "-A", MAIN, "serve", "--kv", kvPath, "--port", String(port)];
serveArgs.push("--hostname", "127.0.0.1");
if (CACHE !== undefined) serveArgs.push("--zip-cache-size", CACHE);
const modyard = new Deno.Command(Deno.execPath(), {
  args: serveArgs,
  stdout: "null",
  stderr: "inherit",
}).spawn();
const base = `http://127.0.0.1:${port}`;
await waitUntilHealthy(base);
const auth = "Basic " + new TextEncoder().encode(`bench:${token}`).toBase64();
for (const s of SCENARIOS) {
  const res = await fetch(`${base}/api/packages/bench/go/upload`, {
    method: "PUT",
    body: zips.get(s.module)! as Uint8Array<ArrayBuffer>,
    headers: { authorization: auth },
  });
  await res.body?.cancel();
  if (res.status !== 201) throw new Error(`upload of ${s.module}: ${res.status}`);
  const check = new Uint8Array(
    await (await fetch(`${base}/api/packages/bench/go/${s.module}/@v/v1.0.0.zip`)).arrayBuffer(),
  );
  if (check.length !== zips.get(s.module)!.length) throw new Error(`download of ${s.module}`);
}

await new Promise((r) => setTimeout(r, 1000));
const idleAfterUploads = rssKiB(modyard.pid);

const nginxPort = freePort();
await Deno.writeTextFile(
  `${dir}/nginx.conf`,
  `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx_error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { application/zip zip; }
  server { listen 127.0.0.1:${nginxPort}; root ${www}; }
}
`,
);
const nginx = new Deno.Command("nginx", {
  args: ["-c", `${dir}/nginx.conf`, "-p", dir, "-e", `${dir}/nginx_error.log`],
  stdout: "null",
  stderr: "inherit",
}).spawn();
try {
  await waitFor(`http://127.0.0.1:${nginxPort}/one.zip`);
} catch (err) {
  nginx.kill("SIGTERM");
  modyard.kill("SIGTERM");
  throw err;
}

console.log(
  `main: ${MAIN}; zip cache: ${CACHE ?? "default"}; ${ROUNDS} rounds of ${SECONDS} s; ` +
    `${navigator.hardwareConcurrency} cores`,
);
const results = new Map<string, { modyard: number[]; nginx: number[]; ratio: number[] }>();
try {
  for (const s of SCENARIOS) {
    const file = s.module.replace("example.com/", "") + ".zip";
    const urls = {
      modyard: `${base}/api/packages/bench/go/${s.module}/@v/v1.0.0.zip`,
      nginx: `http://127.0.0.1:${nginxPort}/${file}`,
    };
    await wrk(urls.modyard, s.connections, 2); // warm-up (fills the cache)
    await wrk(urls.nginx, s.connections, 2);
    const r = { modyard: [] as number[], nginx: [] as number[], ratio: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const n = await wrk(urls.nginx, s.connections, SECONDS);
      const m = await wrk(urls.modyard, s.connections, SECONDS);
      r.nginx.push(n.mbps);
      r.modyard.push(m.mbps);
      r.ratio.push(m.mbps / n.mbps);
      console.log(
        `${s.name}: nginx ${n.mbps.toFixed(0)} MB/s, modyard ${m.mbps.toFixed(0)} MB/s ` +
          `(${(m.mbps / n.mbps).toFixed(2)}×)${
            m.errors || m.socket ? ` errors ${m.errors} ${m.socket}` : ""
          }`,
      );
    }
    results.set(s.name, r);
  }
  for (const [name, r] of results) {
    console.log(
      `median ${name}: nginx ${median(r.nginx).toFixed(0)} MB/s, modyard ${
        median(r.modyard).toFixed(0)
      } MB/s; ratios ${r.ratio.map((x) => x.toFixed(2)).join(", ")} (median ${
        median(r.ratio).toFixed(2)
      }×)`,
    );
  }
  if (args.has("rss")) await measureRss();
} finally {
  modyard.kill("SIGTERM");
  await modyard.status;
  nginx.kill("SIGTERM");
  await nginx.status;
  await Deno.remove(dir, { recursive: true });
}

/** RSS of the server idle, then its peak during 16 concurrent 50 MiB downloads (wrk -c16). */
async function measureRss(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssKiB(modyard.pid);
  let peak = idle;
  const timer = setInterval(() => peak = Math.max(peak, rssKiB(modyard.pid)), 50);
  const url = `${base}/api/packages/bench/go/example.com/fifty/@v/v1.0.0.zip`;
  await wrk(url, 16, SECONDS);
  clearInterval(timer);
  console.log(
    `RSS: ${(idleAfterUploads / 1024).toFixed(0)} MiB idle after the uploads; ` +
      `${(idle / 1024).toFixed(0)} MiB after the runs above (cache warm); peak during 16 ` +
      `concurrent 50 MiB downloads ${(peak / 1024).toFixed(0)} MiB (+${
        ((peak - idle) / 1024).toFixed(0)
      } MiB)`,
  );
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer`);
}
