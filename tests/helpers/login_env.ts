/**
 * A registry over HTTPS for `login`/`logout` tests: a `main.ts serve` subprocess with a
 * throwaway CA, a user with a password, and a sandbox (NETRC, HOME, GOENV) the CLI runs in,
 * so no test touches the real `~/.netrc` or `go env` file.
 *
 * @module
 */

import { basic, runCli, runMain, type ServerProcess, spawnServer } from "./server.ts";
import { makeCertificates } from "./tls.ts";

/** The user every login test logs in as, and its password. */
export const LOGIN_USER = "alice";
/** `LOGIN_USER`'s password. */
export const LOGIN_PASSWORD = "correct horse battery staple";

/** A running HTTPS registry and the sandbox files of one test. */
export interface LoginRegistry {
  /** Temporary directory holding everything (removed by `close`). */
  dir: string;
  /** The store file. */
  kvPath: string;
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** A client that trusts the test CA. */
  client: Deno.HttpClient;
  /** The CA certificate file (for `DENO_CERT` and `SSL_CERT_FILE`). */
  caFile: string;
  /** The directory of `netrc` and `goenv` (nothing else is in it). */
  conf: string;
  /** The `.netrc` the CLI reads and writes (`NETRC`). */
  netrc: string;
  /** The `go env` file the CLI's `go` reads and writes (`GOENV`). */
  goenv: string;
  /** The server process. */
  server: ServerProcess;
  /** The environment `login`/`logout` run with (plus `env`). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs `main.ts login|logout …` in the sandbox. */
  cli(
    args: string[],
    options?: { stdin?: string; env?: Record<string, string> },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A request to the registry through the trusting client. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Creates a token for `LOGIN_USER` with the admin CLI; returns it. */
  token(scope: "read" | "write"): Promise<string>;
  /** Stops the server and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts `main.ts serve` over HTTPS on a fresh store with `LOGIN_USER` (password
 * `LOGIN_PASSWORD`; `private` makes it a private owner).
 */
export async function startLoginRegistry(
  options: { private?: boolean } = {},
): Promise<LoginRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "modyard-login-" });
  const kvPath = `${dir}/modyard.kv`;
  await makeCertificates(dir);
  const caFile = `${dir}/ca.pem`;
  const created = await runCli(
    kvPath,
    ["user", "create", LOGIN_USER, "--password-stdin", ...(options.private ? ["--private"] : [])],
    `${LOGIN_PASSWORD}\n`,
  );
  if (created.code !== 0) throw new Error(`user create: ${created.stderr}`);
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
  const server = await spawnServer(kvPath, [], {
    cert: `${dir}/server.pem`,
    key: `${dir}/server.key`,
    client,
  });
  await Deno.mkdir(`${dir}/home`);
  await Deno.mkdir(`${dir}/conf`);
  const netrc = `${dir}/conf/netrc`;
  const goenv = `${dir}/conf/goenv`;
  // The test's own Deno cache: a fresh HOME must not mean a fresh (downloading) one.
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  const env = (extra: Record<string, string> = {}) => ({
    HOME: `${dir}/home`,
    DENO_DIR: denoDir,
    GOCACHE: `${dir}/gocache`,
    NETRC: netrc,
    GOENV: goenv,
    DENO_CERT: caFile,
    GOPROXY: "",
    GOSUMDB: "",
    GONOSUMDB: "",
    GOPRIVATE: "",
    GONOPROXY: "",
    GOFLAGS: "",
    ...extra,
  });
  return {
    dir,
    kvPath,
    url: server.url,
    client,
    caFile,
    conf: `${dir}/conf`,
    netrc,
    goenv,
    server,
    env,
    cli: (args, o = {}) => runMain(args, { stdin: o.stdin, env: env(o.env) }),
    fetch: (path, init = {}) => fetch(`${server.url}${path}`, { ...init, client }),
    async token(scope) {
      const out = await runCli(kvPath, ["token", "create", LOGIN_USER, "--scope", scope]);
      if (out.code !== 0) throw new Error(`token create: ${out.stderr}`);
      return out.stdout.trim();
    },
    async close() {
      client.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Whether `token` authenticates for `LOGIN_USER` (GET /api/v1/user/tokens answers 200). */
export async function tokenWorks(registry: LoginRegistry, token: string): Promise<boolean> {
  const res = await registry.fetch("/api/v1/user/tokens", {
    headers: { authorization: basic(LOGIN_USER, token) },
  });
  await res.body?.cancel();
  return res.status === 200;
}

/** The password of the `.netrc` entry `machine 127.0.0.1 login alice password …`, if any. */
export function loginToken(netrcText: string): string | null {
  return /machine 127\.0\.0\.1 login alice password (myd_[0-9a-f]+)/.exec(netrcText)?.[1] ?? null;
}
