/**
 * nginx (Debian `nginx-light`) as the anchor for zip downloads: a throwaway configuration in a
 * temporary prefix, one worker, `sendfile on`, no access log, serving a directory from disk.
 *
 * @module
 */

import { freePort, waitUntilHealthy } from "../tests/helpers/server.ts";

/** A running nginx. */
export interface Nginx {
  /** Base URL. */
  url: string;
  /** Master and worker process ids. */
  pids: number[];
  /** Stops nginx and removes its prefix. */
  stop(): Promise<void>;
}

/** `nginx -v`, e.g. `nginx/1.22.1`; throws when nginx is not installed. */
export async function nginxVersion(): Promise<string> {
  const out = await new Deno.Command("nginx", { args: ["-v"], stderr: "piped" }).output();
  return new TextDecoder().decode(out.stderr).replace("nginx version:", "").trim();
}

/** The children of a process (from /proc). */
export function childPids(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts nginx serving `root` (a directory) on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const nginx = await startNginx("/tmp/zips");
 * // GET `${nginx.url}/one.zip`
 * await nginx.stop();
 * ```
 */
export async function startNginx(root: string): Promise<Nginx> {
  const prefix = await Deno.makeTempDir({ prefix: "modyard-nginx-" });
  const port = freePort();
  const conf = `${prefix}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 120;
  keepalive_requests 100000000;
  default_type application/octet-stream;
  types { application/zip zip; }
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /healthz { return 200 "ok"; }
  }
}
`,
  );
  const child = new Deno.Command("nginx", {
    args: ["-c", conf, "-p", prefix, "-g", "daemon off;"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(url);
  } catch (err) {
    child.kill("SIGKILL");
    const out = await child.output();
    throw new Error(`nginx did not start: ${new TextDecoder().decode(out.stderr)}`, {
      cause: err,
    });
  }
  return {
    url,
    pids: [child.pid, ...childPids(child.pid)],
    async stop() {
      try {
        child.kill("SIGQUIT");
      } catch { /* gone */ }
      await child.output();
      await Deno.remove(prefix, { recursive: true });
    },
  };
}
