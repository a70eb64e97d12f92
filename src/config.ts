/**
 * Flags and environment variables → one configuration object.
 *
 * @module
 */

import { MAX_ZIP_SIZE } from "./gomod/zipcheck.ts";

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
}

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
  kind: "string" | "int";
  fallback: string;
  help: string;
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
  },
  {
    flag: "upload-stall-timeout",
    env: "MODYARD_UPLOAD_STALL_TIMEOUT",
    key: "uploadStallSeconds",
    kind: "int",
    fallback: "120",
    help: "seconds without progress after which an upload is reclaimed",
  },
  {
    flag: "quota",
    env: "MODYARD_QUOTA",
    key: "quota",
    kind: "int",
    fallback: "0",
    help: "default storage quota per owner in bytes (0: none; admins set per-owner quotas)",
  },
  {
    flag: "delete-grace",
    env: "MODYARD_DELETE_GRACE",
    key: "deleteGraceSeconds",
    kind: "int",
    fallback: "600",
    help: "seconds a deleted version's chunks remain for downloads in progress",
  },
  {
    flag: "trusted-proxy",
    env: "MODYARD_TRUSTED_PROXY",
    key: "trustedProxy",
    kind: "string",
    fallback: "",
    help: "comma-separated proxy addresses whose X-Forwarded-For is believed",
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
          `--${s.flag} / ${s.env} must be a whole number, not ${JSON.stringify(raw)}`,
        );
      }
      config[s.key] = Number(raw);
    } else {
      config[s.key] = raw;
    }
  }
  const result = config as unknown as Config;
  if (result.maxZipSize > MAX_ZIP_SIZE || result.maxZipSize < 1) {
    throw new ConfigError(`--max-zip-size must be between 1 and ${MAX_ZIP_SIZE}`);
  }
  if (result.port > 65535) throw new ConfigError(`--port must be at most 65535`);
  if (result.baseUrl && !/^https?:\/\/[^/]+/.test(result.baseUrl)) {
    throw new ConfigError(
      `--base-url must be an http(s) URL, not ${JSON.stringify(result.baseUrl)}`,
    );
  }
  if (result.uploadStallSeconds < 1) {
    throw new ConfigError(`--upload-stall-timeout must be at least 1`);
  }
  if (Boolean(result.tlsCert) !== Boolean(result.tlsKey)) {
    throw new ConfigError("--tls-cert and --tls-key must be given together");
  }
  return { config: result, rest };
}
