import { basic, freePort, MAIN_TS, runCli, waitUntilHealthy } from "../tests/helpers/server.ts";
import { moduleZip, randomBytes } from "../tests/helpers/zip.ts";
const dir = await Deno.makeTempDir();
const kv = `${dir}/m.kv`;
await runCli(kv, ["user", "create", "a"]);
const tok = (await runCli(kv, ["token", "create", "a", "--scope", "write"])).stdout.trim();
const port = freePort();
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", ...Deno.args.slice(1), MAIN_TS, "serve", "--kv", kv, "--port", String(port)],
  stdout: "null",
}).spawn();
const url = `http://127.0.0.1:${port}`;
await waitUntilHealthy(url);
const rss = async () =>
  Math.round(
    Number(/VmRSS:\s+(\d+)/.exec(await Deno.readTextFile(`/proc/${child.pid}/status`))![1]) / 1024,
  );
const mb = Number(Deno.args[0]);
const zipPath = `${dir}/z.zip`;
{
  const zip = await moduleZip("example.com/big", "v1.0.0", {
    "go.mod": "module example.com/big\n",
    "d.bin": randomBytes(mb * 1024 * 1024),
  });
  await Deno.writeFile(zipPath, zip);
}
let peak = 0;
const idle = await rss();
const t = setInterval(async () => {
  peak = Math.max(peak, await rss());
}, 20);
const f = await Deno.open(zipPath);
const size = (await f.stat()).size;
const t0 = performance.now();
f.close();
const out = await new Deno.Command("curl", {
  args: [
    "-s",
    "-w",
    "%{http_code}",
    "--user",
    `a:${tok}`,
    "--upload-file",
    zipPath,
    `${url}/api/packages/a/go/upload`,
  ],
  stdout: "piped",
}).output();
console.log(new TextDecoder().decode(out.stdout).slice(-80));
console.log(
  (await Deno.readTextFile(`/proc/${child.pid}/status`)).split("\n").filter((l) =>
    /^(Rss|VmHWM)/.test(l)
  ).join(" "),
);
console.log(
  `${mb} MiB: idle ${idle} peak ${peak} (+${peak - idle}) ${
    (size / 1e6 / ((performance.now() - t0) / 1000)).toFixed(1)
  } MB/s`,
);
clearInterval(t);
child.kill();
await child.status;
await Deno.remove(dir, { recursive: true });
