/**
 * Flags and environment variables → one configuration object.
 *
 * @module
 */

import { MAX_ZIP_SIZE } from "./gomod/zipcheck.ts";
import { checkNoSumdbPatterns, parseSumdbUpstream } from "./upstream/sumdb_upstream_config.ts";
import { parseUpstreamList } from "./upstream/upstream_list.ts";

/**
 * Longest upload stall timeout: one day. Its lease is renewed every third of it, and a timer
 * beyond 2^31-1 ms would fire every millisecond instead.
 */
export const MAX_STALL_SECONDS = 86_400;

/** Longest grace period of a deleted version's chunks: one year. */
export const MAX_DELETE_GRACE_SECONDS = 31_536_000;

/** The whole configuration of a modyard process. */
export interface Config {
  /** TCP port. */
  port: number;
  /** Interface to listen on. */
  hostname: string;
  /** KV location: a file path, `:memory:`, an `http(s)://` KV Connect URL, or `""` for the platform default. */
  kv: string;
  /** Public base URL, for links; `""` to derive it from requests. */
  baseUrl: string;
  /** PEM certificate file for HTTPS. */
  tlsCert: string;
  /** PEM private key file for HTTPS. */
  tlsKey: string;
  /** Largest accepted zip in bytes (at most 500 MiB). */
  maxZipSize: number;
  /** Seconds an upload may make no progress before it is reclaimed. */
  uploadStallSeconds: number;
  /** Default storage quota per owner in bytes; 0 for none. */
  quota: number;
  /** Seconds the chunks of a deleted version stay for downloads in progress. */
  deleteGraceSeconds: number;
  /** Comma-separated peer addresses allowed to set `X-Forwarded-For`. */
  trustedProxy: string;
  /** Bytes of hot module zips kept in memory per process; 0 disables the cache. */
  zipCacheSize: number;
  /** Upstream GOPROXY list for pull-through (`off`/`""`: disabled). */
  upstream: string;
  /** Seconds an upstream `list`/`@latest` answer is fresh. */
  upstreamTtlSeconds: number;
  /** Bytes the pull-through cache may hold in total. */
  upstreamCacheMaxBytes: number;
  /** The upstream checksum database in GOSUMDB syntax (`off`: fills are not verified). */
  sumdbUpstream: string;
  /** GONOSUMDB-syntax patterns of module paths filled without checksum-database verification. */
  upstreamNoSumdb: string;
  /** Directory of the owners' checksum-log signer keys; `""`: kept in the store. */
  sumdbKeyDir: string;
  /** Records of the upstream checksum database each owner's log may take per clock hour. */
  sumdbUpstreamAppends: number;
  /** Seconds in-flight requests may take to finish after SIGINT/SIGTERM. */
  shutdownGraceSeconds: number;
  /** Log line format: `text` or `json`. */
  logFormat: "text" | "json";
  /** Lowest level logged: `debug`, `info`, `warn` or `error`. */
  logLevel: "debug" | "info" | "warn" | "error";
  /** A bearer token that may read `/metrics` from anywhere; `""`: none. */
  metricsToken: string;
  /** Attempts per webhook delivery. */
  webhookAttempts: number;
  /** Milliseconds before a webhook delivery's first retry, doubled for each further one. */
  webhookBackoffMs: number;
  /** Seconds one webhook attempt may take. */
  webhookTimeoutSeconds: number;
  /** Whether webhooks may reach loopback and private addresses. */
  webhookAllowPrivate: boolean;
}

/** Accepted `--log-format` values. */
export const LOG_FORMATS = ["text", "json"] as const;
/** Accepted `--log-level` values, lowest first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Longest freshness of upstream `list`/`@latest` answers: one day. */
export const MAX_UPSTREAM_TTL_SECONDS = 86_400;

/** Thrown for a bad flag or variable; the message says which and why. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

interface Setting {
  flag: string;
  env: string;
  key: keyof Config;
  /** `bool`: the flag alone means true; `--flag=0` and the variable say 1/true or 0/false. */
  kind: "string" | "int" | "bool";
  fallback: string;
  help: string;
  /** For whole numbers: the accepted range (inclusive). */
  range?: readonly [number, number];
}

/** Every setting, its flag, variable and default: the README's configuration table. */
export const SETTINGS: readonly Setting[] = [
  {
    flag: "port",
    env: "MODYARD_PORT",
    key: "port",
    kind: "int",
    fallback: "8000",
    help: "TCP port",
    range: [0, 65535],
  },
  {
    flag: "hostname",
    env: "MODYARD_HOSTNAME",
    key: "hostname",
    kind: "string",
    fallback: "0.0.0.0",
    help: "interface to listen on",
  },
  {
    flag: "kv",
    env: "MODYARD_KV",
    key: "kv",
    kind: "string",
    fallback: "./data/modyard.kv",
    help: "KV store: file path, :memory:, or http(s):// KV Connect URL",
  },
  {
    flag: "base-url",
    env: "MODYARD_BASE_URL",
    key: "baseUrl",
    kind: "string",
    fallback: "",
    help: "public URL of the server, for links in API answers (behind a proxy)",
  },
  {
    flag: "tls-cert",
    env: "MODYARD_TLS_CERT",
    key: "tlsCert",
    kind: "string",
    fallback: "",
    help: "PEM certificate (HTTPS)",
  },
  {
    flag: "tls-key",
    env: "MODYARD_TLS_KEY",
    key: "tlsKey",
    kind: "string",
    fallback: "",
    help: "PEM private key (HTTPS)",
  },
  {
    flag: "max-zip-size",
    env: "MODYARD_MAX_ZIP_SIZE",
    key: "maxZipSize",
    kind: "int",
    fallback: String(MAX_ZIP_SIZE),
    help: "largest module zip in bytes (at most 500 MiB)",
    range: [1, MAX_ZIP_SIZE],
  },
  {
    flag: "upload-stall-timeout",
    env: "MODYARD_UPLOAD_STALL_TIMEOUT",
    key: "uploadStallSeconds",
    kind: "int",
    fallback: "120",
    help: "seconds without progress after which an upload is reclaimed",
    range: [1, MAX_STALL_SECONDS],
  },
  {
    flag: "quota",
    env: "MODYARD_QUOTA",
    key: "quota",
    kind: "int",
    fallback: "0",
    help: "default storage quota per owner in bytes (0: none; admins set per-owner quotas)",
    range: [0, Number.MAX_SAFE_INTEGER],
  },
  {
    flag: "delete-grace",
    env: "MODYARD_DELETE_GRACE",
    key: "deleteGraceSeconds",
    kind: "int",
    fallback: "600",
    help: "seconds a deleted version's chunks remain for downloads in progress",
    range: [0, MAX_DELETE_GRACE_SECONDS],
  },
  {
    flag: "trusted-proxy",
    env: "MODYARD_TRUSTED_PROXY",
    key: "trustedProxy",
    kind: "string",
    fallback: "",
    help: "comma-separated proxy addresses whose X-Forwarded-For is believed",
  },
  {
    flag: "zip-cache-size",
    env: "MODYARD_ZIP_CACHE_SIZE",
    key: "zipCacheSize",
    kind: "int",
    fallback: "268435456",
    help:
      "bytes of hot module zips kept in memory (0: no cache); zips over a quarter of it are not cached",
    range: [0, Number.MAX_SAFE_INTEGER],
  },
  {
    flag: "upstream",
    env: "MODYARD_UPSTREAM",
    key: "upstream",
    kind: "string",
    fallback: "off",
    help:
      "upstream GOPROXY list for owners with pull-through on (',' falls through on 404/410, '|' on any error; off: disabled)",
  },
  {
    flag: "upstream-ttl",
    env: "MODYARD_UPSTREAM_TTL",
    key: "upstreamTtlSeconds",
    kind: "int",
    fallback: "60",
    help: "seconds an upstream list/@latest answer is reused before it is asked again",
    range: [0, MAX_UPSTREAM_TTL_SECONDS],
  },
  {
    flag: "upstream-cache-max-bytes",
    env: "MODYARD_UPSTREAM_CACHE_MAX_BYTES",
    key: "upstreamCacheMaxBytes",
    kind: "int",
    fallback: "10737418240",
    help: "bytes the pull-through cache may hold; when full, new fills answer 503",
    range: [0, Number.MAX_SAFE_INTEGER],
  },
  {
    flag: "sumdb-upstream",
    env: "MODYARD_SUMDB_UPSTREAM",
    key: "sumdbUpstream",
    kind: "string",
    fallback: "sum.golang.org",
    help:
      "checksum database every pulled-through .mod/.zip is verified against, GOSUMDB syntax (name+hash+key [URL]; without a URL through the first upstream's /sumdb/<name>/; off: no verification, unsafe)",
  },
  {
    flag: "upstream-nosumdb",
    env: "MODYARD_UPSTREAM_NOSUMDB",
    key: "upstreamNoSumdb",
    kind: "string",
    fallback: "",
    help:
      "module path patterns (GONOSUMDB syntax) pulled through without checksum-database verification",
  },
  {
    flag: "sumdb-key-dir",
    env: "MODYARD_SUMDB_KEY_DIR",
    key: "sumdbKeyDir",
    kind: "string",
    fallback: "",
    help:
      "directory of the owners' checksum-database signer keys (<dir>/<owner>.key, mode 0600); empty: kept in the store",
  },
  {
    flag: "sumdb-upstream-appends",
    env: "MODYARD_SUMDB_UPSTREAM_APPENDS",
    key: "sumdbUpstreamAppends",
    kind: "int",
    fallback: "2000",
    help:
      "records of the upstream checksum database each owner's log may take per clock hour (429 beyond)",
    range: [1, 1_000_000],
  },
  {
    flag: "shutdown-grace",
    env: "MODYARD_SHUTDOWN_GRACE",
    key: "shutdownGraceSeconds",
    kind: "int",
    fallback: "30",
    help: "seconds in-flight requests may take to finish after SIGINT/SIGTERM",
    range: [0, 3600],
  },
  {
    flag: "log-format",
    env: "MODYARD_LOG_FORMAT",
    key: "logFormat",
    kind: "string",
    fallback: "text",
    help: "log lines as text or json (one object per line), on standard output",
  },
  {
    flag: "log-level",
    env: "MODYARD_LOG_LEVEL",
    key: "logLevel",
    kind: "string",
    fallback: "info",
    help: "lowest level logged: debug, info, warn or error",
  },
  {
    flag: "metrics-token",
    env: "MODYARD_METRICS_TOKEN",
    key: "metricsToken",
    kind: "string",
    fallback: "",
    help:
      "bearer token that may read /metrics from anywhere (without it: loopback peers without forwarding headers, and admins)",
  },
  {
    flag: "webhook-attempts",
    env: "MODYARD_WEBHOOK_ATTEMPTS",
    key: "webhookAttempts",
    kind: "int",
    fallback: "8",
    help: "attempts per webhook delivery before it is marked failed (at most 16; all are kept)",
    range: [1, 16],
  },
  {
    flag: "webhook-backoff",
    env: "MODYARD_WEBHOOK_BACKOFF",
    key: "webhookBackoffMs",
    kind: "int",
    fallback: "30000",
    help:
      "milliseconds before a webhook delivery's first retry, doubled for each further one (8 attempts: about an hour)",
    range: [10, 86_400_000],
  },
  {
    flag: "webhook-timeout",
    env: "MODYARD_WEBHOOK_TIMEOUT",
    key: "webhookTimeoutSeconds",
    kind: "int",
    fallback: "10",
    help: "seconds one webhook attempt may take, answer included",
    range: [1, 120],
  },
  {
    flag: "webhook-allow-private",
    env: "MODYARD_WEBHOOK_ALLOW_PRIVATE",
    key: "webhookAllowPrivate",
    kind: "bool",
    fallback: "0",
    help: "let webhooks reach loopback, private and link-local addresses (1; default 0: refused)",
  },
];

/**
 * Builds the configuration from `--flag value` / `--flag=value` arguments, then
 * environment variables, then defaults. Returns the arguments that are not settings.
 *
 * @example
 * ```ts
 * const { config } = loadConfig(["--port", "9000"], (k) => undefined);
 * config.port; // 9000
 * ```
 */
export function loadConfig(
  args: readonly string[],
  env: (name: string) => string | undefined,
): { config: Config; rest: string[] } {
  const given = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const setting = m && SETTINGS.find((s) => s.flag === m[1]);
    if (!m || !setting) {
      rest.push(arg);
      continue;
    }
    let value = m[2];
    if (value === undefined && setting.kind === "bool") value = "1";
    if (value === undefined) {
      if (i + 1 >= args.length) throw new ConfigError(`--${setting.flag} needs a value`);
      value = args[++i];
    }
    given.set(setting.flag, value);
  }
  const config = {} as Record<string, string | number>;
  for (const s of SETTINGS) {
    const raw = given.get(s.flag) ?? env(s.env) ?? s.fallback;
    if (s.kind === "int") {
      if (!/^[0-9]+$/.test(raw)) {
        throw new ConfigError(
          `--${s.flag} / ${s.env} must be a whole number, not ${quote(raw)}`,
        );
      }
      const n = Number(raw);
      const [min, max] = s.range ?? [0, Number.MAX_SAFE_INTEGER];
      if (n < min || n > max) {
        throw new ConfigError(
          `--${s.flag} / ${s.env} must be ${
            min === 0 ? `at most ${max}` : `between ${min} and ${max}`
          }, not ${quote(raw)}`,
        );
      }
      config[s.key] = n;
    } else if (s.kind === "bool") {
      if (!/^(1|0|true|false)$/.test(raw)) {
        throw new ConfigError(`--${s.flag} / ${s.env} must be 1 or 0, not ${quote(raw)}`);
      }
      (config as Record<string, unknown>)[s.key] = raw === "1" || raw === "true";
    } else {
      config[s.key] = raw;
    }
  }
  const result = config as unknown as Config;
  if (result.baseUrl && !/^https?:\/\/[^/]+/.test(result.baseUrl)) {
    throw new ConfigError(
      `--base-url must be an http(s) URL, not ${quote(result.baseUrl)}`,
    );
  }
  if (Boolean(result.tlsCert) !== Boolean(result.tlsKey)) {
    throw new ConfigError("--tls-cert and --tls-key must be given together");
  }
  try {
    parseUpstreamList(result.upstream);
  } catch (err) {
    throw new ConfigError(`--upstream / MODYARD_UPSTREAM: ${(err as Error).message}`);
  }
  try {
    parseSumdbUpstream(result.sumdbUpstream);
  } catch (err) {
    throw new ConfigError(`--sumdb-upstream / MODYARD_SUMDB_UPSTREAM: ${(err as Error).message}`);
  }
  if (!(LOG_FORMATS as readonly string[]).includes(result.logFormat)) {
    throw new ConfigError(
      `--log-format / MODYARD_LOG_FORMAT must be ${LOG_FORMATS.join(" or ")}, not ${
        quote(result.logFormat)
      }`,
    );
  }
  if (!(LOG_LEVELS as readonly string[]).includes(result.logLevel)) {
    throw new ConfigError(
      `--log-level / MODYARD_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, not ${
        quote(result.logLevel)
      }`,
    );
  }
  if (result.metricsToken !== "" && result.metricsToken.length < 16) {
    throw new ConfigError("--metrics-token / MODYARD_METRICS_TOKEN must be at least 16 characters");
  }
  const nosumdb = checkNoSumdbPatterns(result.upstreamNoSumdb);
  if (nosumdb !== null) {
    throw new ConfigError(`--upstream-nosumdb / MODYARD_UPSTREAM_NOSUMDB: ${nosumdb}`);
  }
  return { config: result, rest };
}

/** A value for a one-line message: quoted, and cut after 40 characters. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
