// Configuration (src/config.ts, the README's "Configuration" table): flags win over environment
// variables, which win over defaults; --max-zip-size has a 500 MiB ceiling; invalid values are
// refused with a one-line reason, also by `main.ts serve` (exit 1, no stack trace).
import { type Config, ConfigError, loadConfig } from "../src/config.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { runMainBounded } from "./helpers/bounded_main.ts";
import { cliStore } from "./helpers/cli_store.ts";
import { basic, freePort, MAIN_TS, waitUntilHealthy } from "./helpers/server.ts";
import { moduleZip, randomBytes } from "./helpers/zip.ts";

const MIB_500 = 500 * 1024 * 1024;

/** The defaults the README's table promises (settings added later are checked by their own tests). */
const DEFAULTS: Partial<Config> = {
  port: 8000,
  hostname: "0.0.0.0",
  kv: "./data/modyard.kv",
  baseUrl: "",
  tlsCert: "",
  tlsKey: "",
  maxZipSize: 524288000,
  uploadStallSeconds: 120,
  quota: 0,
  deleteGraceSeconds: 600,
  trustedProxy: "",
  zipCacheSize: 268435456,
};

/** The settings of `DEFAULTS` from a configuration. */
function known(config: Config): Partial<Config> {
  return Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, config[k as keyof Config]]));
}

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

function refusal(args: string[], env: Record<string, string> = {}): string {
  try {
    loadConfig(args, envOf(env));
  } catch (err) {
    assertOk(err instanceof ConfigError, `not a ConfigError: ${err}`);
    return err.message;
  }
  throw new Error(`${args.join(" ")} ${JSON.stringify(env)} was accepted`);
}

Deno.test("config: with no flags and no environment, every setting has the README's default", () => {
  const { config, rest } = loadConfig([], envOf({}));
  assertEquals([known(config), rest], [DEFAULTS, []]);
});

// [config key, flag, environment variable, value from the environment, value from a flag]
const PRECEDENCE: [keyof Config, string, string, string, string][] = [
  ["port", "port", "MODYARD_PORT", "9001", "9002"],
  ["hostname", "hostname", "MODYARD_HOSTNAME", "127.0.0.1", "::1"],
  ["kv", "kv", "MODYARD_KV", "/srv/env.kv", ":memory:"],
  ["baseUrl", "base-url", "MODYARD_BASE_URL", "https://env.example", "https://flag.example/r"],
  ["maxZipSize", "max-zip-size", "MODYARD_MAX_ZIP_SIZE", "1000", "2000"],
  ["uploadStallSeconds", "upload-stall-timeout", "MODYARD_UPLOAD_STALL_TIMEOUT", "30", "45"],
  ["quota", "quota", "MODYARD_QUOTA", "5000", "6000"],
  ["deleteGraceSeconds", "delete-grace", "MODYARD_DELETE_GRACE", "0", "60"],
  ["trustedProxy", "trusted-proxy", "MODYARD_TRUSTED_PROXY", "10.0.0.1", "10.0.0.2,10.0.0.3"],
  ["zipCacheSize", "zip-cache-size", "MODYARD_ZIP_CACHE_SIZE", "0", "1048576"],
];

for (const [key, flag, env, fromEnv, fromFlag] of PRECEDENCE) {
  Deno.test(`config ${key}: default < ${env} < --${flag}`, () => {
    const typed = (v: string) => typeof DEFAULTS[key] === "number" ? Number(v) : v;
    const viaEnv = known(loadConfig([], envOf({ [env]: fromEnv })).config);
    assertEquals(viaEnv, { ...DEFAULTS, [key]: typed(fromEnv) });
    // Both forms of the flag win over the variable.
    for (const args of [[`--${flag}`, fromFlag], [`--${flag}=${fromFlag}`]]) {
      const both = known(loadConfig(args, envOf({ [env]: fromEnv })).config);
      assertEquals(both, { ...DEFAULTS, [key]: typed(fromFlag) }, args.join(" "));
    }
  });
}

Deno.test("config: TLS certificate and key come from flags over the environment, as a pair", () => {
  const env = envOf({ MODYARD_TLS_CERT: "/env/cert.pem", MODYARD_TLS_KEY: "/env/key.pem" });
  assertEquals(
    [loadConfig([], env).config.tlsCert, loadConfig([], env).config.tlsKey],
    ["/env/cert.pem", "/env/key.pem"],
  );
  const flags = loadConfig(["--tls-cert", "/f/cert.pem", "--tls-key=/f/key.pem"], env).config;
  assertEquals([flags.tlsCert, flags.tlsKey], ["/f/cert.pem", "/f/key.pem"]);
});

Deno.test("config: arguments that are not settings are handed back in order", () => {
  const { config, rest } = loadConfig(
    ["user", "create", "alice", "--port", "9000", "--admin", "--kv=/x.kv", "--private"],
    envOf({}),
  );
  assertEquals(rest, ["user", "create", "alice", "--admin", "--private"]);
  assertEquals([config.port, config.kv], [9000, "/x.kv"]);
});

Deno.test("config: --max-zip-size is at most 500 MiB, by flag or by environment", () => {
  assertEquals(
    loadConfig(["--max-zip-size", String(MIB_500)], envOf({})).config.maxZipSize,
    MIB_500,
  );
  assertEquals(
    loadConfig([], envOf({ MODYARD_MAX_ZIP_SIZE: String(MIB_500) })).config.maxZipSize,
    MIB_500,
  );
  assertEquals(loadConfig(["--max-zip-size", "1"], envOf({})).config.maxZipSize, 1);
  assertEquals(
    refusal([], { MODYARD_MAX_ZIP_SIZE: String(MIB_500 + 1) }),
    `--max-zip-size / MODYARD_MAX_ZIP_SIZE must be between 1 and ${MIB_500}, not "${MIB_500 + 1}"`,
  );
  for (
    const [args, env] of [
      [["--max-zip-size", String(MIB_500 + 1)], {}],
      [[], { MODYARD_MAX_ZIP_SIZE: String(MIB_500 + 1) }],
      [["--max-zip-size", "0"], {}],
    ] as [string[], Record<string, string>][]
  ) {
    assertIncludes(refusal(args, env), "--max-zip-size", JSON.stringify([args, env]));
    assertIncludes(refusal(args, env), `between 1 and ${MIB_500}`);
  }
  // The flag wins over an out-of-range variable.
  assertEquals(
    loadConfig(["--max-zip-size", "1000"], envOf({ MODYARD_MAX_ZIP_SIZE: String(MIB_500 * 2) }))
      .config.maxZipSize,
    1000,
  );
});

// [flags, environment, what the one-line reason must say]
const INVALID: [string[], Record<string, string>, string][] = [
  [["--port", "abc"], {}, '--port / MODYARD_PORT must be a whole number, not "abc"'],
  [[], { MODYARD_PORT: "80 " }, '--port / MODYARD_PORT must be a whole number, not "80 "'],
  [["--port=-1"], {}, 'must be a whole number, not "-1"'],
  [["--port", "1e3"], {}, 'must be a whole number, not "1e3"'],
  [["--port", "0x50"], {}, 'must be a whole number, not "0x50"'],
  [["--port", "65536"], {}, '--port / MODYARD_PORT must be at most 65535, not "65536"'],
  [["--port"], {}, "--port needs a value"],
  [["--upload-stall-timeout", "1.5"], {}, 'must be a whole number, not "1.5"'],
  [
    ["--upload-stall-timeout", "0"],
    {},
    "--upload-stall-timeout / MODYARD_UPLOAD_STALL_TIMEOUT must be between 1 and 86400",
  ],
  [["--base-url", "ftp://example.com"], {}, '--base-url must be an http(s) URL, not "ftp://'],
  [[], { MODYARD_BASE_URL: "example.com" }, '--base-url must be an http(s) URL, not "example'],
  [["--tls-cert", "/c.pem"], {}, "--tls-cert and --tls-key must be given together"],
  [[], { MODYARD_TLS_KEY: "/k.pem" }, "--tls-cert and --tls-key must be given together"],
  // Digit strings too long for a number are not Infinity.
  [["--quota", "9".repeat(400)], {}, "--quota / MODYARD_QUOTA must be at most"],
  [["--delete-grace", "9".repeat(30)], {}, "--delete-grace / MODYARD_DELETE_GRACE must be at most"],
  // A renewal timer of stall/3 beyond 2^31-1 ms would fire every millisecond.
  [
    ["--upload-stall-timeout", "9999999"],
    {},
    `--upload-stall-timeout / MODYARD_UPLOAD_STALL_TIMEOUT must be between 1 and 86400, not "9999999"`,
  ],
];

Deno.test("config: the upper bounds themselves are accepted, and a long value is cut in the reason", () => {
  const max = loadConfig([
    "--port=65535",
    "--upload-stall-timeout=86400",
    "--delete-grace=31536000",
    `--quota=${Number.MAX_SAFE_INTEGER}`,
  ], envOf({})).config;
  assertEquals(
    [max.port, max.uploadStallSeconds, max.deleteGraceSeconds, max.quota],
    [65535, 86400, 31536000, Number.MAX_SAFE_INTEGER],
  );
  assertIncludes(
    refusal(["--quota", String(Number.MAX_SAFE_INTEGER + 1)]),
    `must be at most ${Number.MAX_SAFE_INTEGER}`,
  );
  const long = refusal([], { MODYARD_BASE_URL: "x".repeat(70_000) });
  assertOk(long.length < 120, `${long.length} characters`);
  assertEquals(refusal(["--port", "8".repeat(70_000)]).length < 120, true);
});

for (const [args, env, reason] of INVALID) {
  const shown = JSON.stringify([...args, env]).replace(/9{20,}/, "9…9");
  Deno.test(`config refuses ${shown} with a one-line reason`, () => {
    const message = refusal(args, env);
    assertIncludes(message, reason);
    assertEquals(message.includes("\n"), false, `not one line: ${message}`);
  });
}

Deno.test("main.ts serve refuses invalid settings with exit 1 and a one-line reason, before listening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "modyard-config-" });
  try {
    const kv = `${dir}/modyard.kv`;
    const cases: [string[], Record<string, string>, string][] = [
      [["--max-zip-size", String(MIB_500 + 1)], {}, "--max-zip-size"],
      [[], { MODYARD_MAX_ZIP_SIZE: "600000000" }, "--max-zip-size"],
      [["--port", "http"], {}, '--port / MODYARD_PORT must be a whole number, not "http"'],
    ];
    for (const [args, env, reason] of cases) {
      // If the refusal were missing the server would listen: the deadline turns that into a
      // failure instead of a hang. `cwd` keeps any default store out of the repository.
      const out = await runMainBounded(["serve", "--kv", kv, "--port", "0", ...args], {
        env,
        cwd: dir,
        timeoutMs: 15_000,
      });
      assertEquals(out.code, 1, `${args.join(" ")} ${JSON.stringify(env)}: ${out.stderr}`);
      assertEquals(out.stdout, "");
      const lines = out.stderr.trimEnd().split("\n");
      assertEquals(lines.length, 1, `not one line: ${out.stderr}`);
      assertIncludes(lines[0], `error: `);
      assertIncludes(lines[0], reason);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts serve: --port wins over MODYARD_PORT, and MODYARD_MAX_ZIP_SIZE reaches the upload limit", async () => {
  const store = await cliStore("modyard-config-");
  const { dir, kvPath } = store;
  await store.ok(["user", "create", "alice"]);
  const token = await store.ok(["token", "create", "alice", "--scope", "write"]);
  const [envPort, flagPort] = [freePort(), freePort()];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_TS, "serve", "--port", String(flagPort)],
    env: {
      MODYARD_PORT: String(envPort),
      MODYARD_HOSTNAME: "127.0.0.1",
      MODYARD_KV: kvPath,
      MODYARD_MAX_ZIP_SIZE: "2000",
    },
    cwd: dir,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    const url = `http://127.0.0.1:${flagPort}`;
    await waitUntilHealthy(url);
    const onEnvPort = await fetch(`http://127.0.0.1:${envPort}/healthz`).then(
      (r) => r.body?.cancel().then(() => r.status),
      () => "refused",
    );
    assertEquals(onEnvPort, "refused");

    const upload = (zip: Uint8Array) =>
      fetch(`${url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: basic("alice", token) },
      });
    const small = await moduleZip("example.com/cfg", "v1.0.0", {
      "go.mod": "module example.com/cfg\n",
    });
    const big = await moduleZip("example.com/cfg", "v1.1.0", {
      "go.mod": "module example.com/cfg\n",
      "blob.bin": randomBytes(3000),
    });
    let res = await upload(big);
    assertEquals(
      [res.status, await res.text()],
      [413, `module zip is too large (${big.length} bytes; limit is 2000 bytes)\n`],
    );
    res = await upload(small);
    assertEquals(res.status, 201, await res.clone().text());
    await res.body?.cancel();
  } finally {
    child.kill();
    await child.status;
    await store.cleanup();
  }
});

Deno.test("config: operations settings — shutdown grace 30 s (0–3,600), log format and level from fixed sets, a metrics token of at least 16 characters", () => {
  const { config } = loadConfig([], envOf({}));
  assertEquals(
    [config.shutdownGraceSeconds, config.logFormat, config.logLevel, config.metricsToken],
    [30, "text", "info", ""],
  );
  const set = loadConfig(
    ["--shutdown-grace", "0", "--log-format=json", "--metrics-token", "m".repeat(16)],
    envOf({ MODYARD_LOG_LEVEL: "warn" }),
  ).config;
  assertEquals(
    [set.shutdownGraceSeconds, set.logFormat, set.logLevel, set.metricsToken],
    [0, "json", "warn", "m".repeat(16)],
  );
  assertIncludes(refusal(["--shutdown-grace", "3601"]), "--shutdown-grace");
  assertIncludes(refusal(["--log-format", "xml"]), "must be text or json");
  assertIncludes(refusal([], { MODYARD_LOG_LEVEL: "verbose" }), "debug, info, warn, error");
  assertIncludes(refusal(["--metrics-token", "short"]), "at least 16 characters");
});

Deno.test("config: --sumdb-upstream-appends bounds an owner log's upstream records per hour (default 2,000, 1–1,000,000)", () => {
  assertEquals(loadConfig([], envOf({})).config.sumdbUpstreamAppends, 2000);
  assertEquals(
    loadConfig([], envOf({ MODYARD_SUMDB_UPSTREAM_APPENDS: "50" })).config.sumdbUpstreamAppends,
    50,
  );
  assertIncludes(refusal(["--sumdb-upstream-appends", "0"]), "--sumdb-upstream-appends");
});
