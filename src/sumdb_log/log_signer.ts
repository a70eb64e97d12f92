/**
 * Custody of an owner log's signer key: kept in the store (`["sumdb_key", owner]`, the
 * default) or in a key directory the operator gives (one file per owner, mode 0600), so that
 * write access to the store alone cannot sign a forged history. The signer key is never
 * served, logged or put into an error message.
 *
 * @module
 */

import { newSigner, parseSignerKey, type Signer } from "../sumdb/note_key.ts";
import type { LogMeta } from "../store/records.ts";
import { keys } from "../store/keys.ts";

/** The signer key of a log cannot be read or does not match the log's verifier key. */
export class LogKeyError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "LogKeyError";
  }
}

/**
 * The key file of an owner in a key directory: `<dir>/<owner>.key` (owner names are
 * lowercase letters, digits, `.`, `_`, `-`, starting with a letter or digit).
 *
 * @example
 * ```ts
 * keyFilePath("/etc/modyard/sumdb-keys", "alice"); // "/etc/modyard/sumdb-keys/alice.key"
 * ```
 */
export function keyFilePath(dir: string, owner: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(owner)) {
    throw new LogKeyError(
      `Owner name ${JSON.stringify(owner.slice(0, 80))} cannot name a key file`,
    );
  }
  return `${dir.replace(/\/+$/, "")}/${owner}.key`;
}

/**
 * Writes `signerKey` to the owner's key file, created with mode 0600 (in a directory created
 * with mode 0700 when missing), unless the file exists:
 * then the key already in it is returned (the first writer wins, so two processes enabling
 * one log at once end up with one key). Returns the key in the file.
 *
 * @example
 * ```ts
 * const kept = await writeKeyFile(dir, "alice", signerKey);
 * ```
 */
export async function writeKeyFile(dir: string, owner: string, signerKey: string): Promise<string> {
  const path = keyFilePath(dir, owner);
  try {
    // A missing directory is created for the keys alone (0700); an existing one is kept as is.
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(path, signerKey + "\n", { createNew: true, mode: 0o600 });
    await Deno.chmod(path, 0o600); // whatever the umask
    return signerKey;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) {
      throw new LogKeyError(`Cannot write the signer key file ${path}: ${(err as Error).message}`);
    }
    return await readKeyFile(dir, owner);
  }
}

/** Reads the signer key in the owner's key file. Throws {@link LogKeyError}. */
export async function readKeyFile(dir: string, owner: string): Promise<string> {
  const path = keyFilePath(dir, owner);
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch (err) {
    throw new LogKeyError(`Cannot read the signer key file ${path}: ${(err as Error).message}`);
  }
}

/**
 * The signer of an owner's log, from where its meta says the key is kept, checked against
 * the log's verifier key. Throws {@link LogKeyError} (never quoting the key).
 *
 * @example
 * ```ts
 * const signer = await loadSigner(kv, "alice", meta, { keyDir });
 * ```
 */
export async function loadSigner(
  kv: Deno.Kv,
  owner: string,
  meta: LogMeta,
  options: { keyDir?: string; envKeys?: readonly string[] } = {},
): Promise<Signer> {
  let signerKey: string;
  if (meta.custody === "dir") {
    // The key file's content may also come from the environment (MODYARD_SUMDB_SIGNER_KEYS),
    // where a platform such as Deno Deploy offers secrets but no directory.
    const fromEnv = options.envKeys?.find((k) => k.startsWith(`PRIVATE+KEY+${meta.name}+`));
    if (fromEnv !== undefined) {
      signerKey = fromEnv;
    } else if (options.keyDir) {
      signerKey = await readKeyFile(options.keyDir, owner);
    } else {
      throw new LogKeyError(
        `The checksum log of ${owner} is signed with a key kept outside the store: ` +
          `give the key directory (--sumdb-key-dir) or the key in MODYARD_SUMDB_SIGNER_KEYS`,
      );
    }
  } else {
    const stored = await kv.get<string>(keys.logSignerKey(owner));
    if (stored.value === null) {
      throw new LogKeyError(`The signer key of the checksum log of ${owner} is missing`);
    }
    signerKey = stored.value;
  }
  let verifierKey: string;
  try {
    verifierKey = (await parseSignerKey(signerKey)).verifierKey;
  } catch {
    throw new LogKeyError(`The signer key of the checksum log of ${owner} is malformed`);
  }
  if (verifierKey !== meta.verifierKey) {
    throw new LogKeyError(
      `The signer key of the checksum log of ${owner} does not match its verifier key ` +
        `${meta.verifierKey}`,
    );
  }
  return await newSigner(signerKey);
}

/**
 * The signer keys in a `MODYARD_SUMDB_SIGNER_KEYS` value: Go signer keys
 * (`PRIVATE+KEY+<name>+<hash>+<key>`, as in the key files), separated by white space or commas.
 *
 * @example
 * ```ts
 * parseEnvSignerKeys("PRIVATE+KEY+reg.example/alice+1a2b3c4d+A…"); // ["PRIVATE+KEY+…"]
 * ```
 */
export function parseEnvSignerKeys(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,]+/).filter((k) => k.startsWith("PRIVATE+KEY+"));
}
