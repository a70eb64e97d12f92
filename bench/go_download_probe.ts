// Runs only the go mod download scenario (investigation helper; not part of deno task bench).
import { buildDebianModules } from "./debian_modules.ts";
import { measureGoDownload } from "./go_download.ts";
import { spawnModyard } from "./modyard_server.ts";
import { runCli } from "../tests/helpers/server.ts";

const dir = await Deno.makeTempDir();
const built = await buildDebianModules(`${dir}/gomods`);
const kv = `${dir}/gomods.kv`;
await runCli(kv, ["user", "create", "gomods"]);
const token = (await runCli(kv, ["token", "create", "gomods", "--scope", "write"])).stdout.trim();
const server = await spawnModyard(kv, [], Deno.args);
try {
  const r = await measureGoDownload(
    `${dir}/gomods`,
    built,
    `${server.url}/api/packages/gomods/go`,
    `${server.url}/api/packages/gomods/go/upload`,
    `Basic ${btoa(`gomods:${token}`)}`,
    5,
  );
  console.log(
    JSON.stringify({ modyard: r.modyard, file: r.file, ratio: r.file.median / r.modyard.median }),
  );
} finally {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}
