/**
 * Opens the Deno KV store and checks its layout version.
 *
 * @module
 */

import { keys, SCHEMA_VERSION } from "./keys.ts";

/** Thrown when the store cannot be opened or has an unknown layout; the message says why. */
export class StoreError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "StoreError";
  }
}

/**
 * Makes a local store readable by its owner only, BEFORE SQLite opens it: a directory
 * created here gets mode 0700, and the database file is created (or narrowed) to 0600.
 * SQLite creates its `-wal` and `-shm` files with the database's mode, and the WAL holds
 * recent zip chunks: chmod after opening would leave them readable by other local users.
 */
async function prepareStoreFile(location: string): Promise<void> {
  const slash = location.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(location.slice(0, slash), { recursive: true, mode: 0o700 });
  try {
    const file = await Deno.open(location, { createNew: true, write: true, mode: 0o600 });
    file.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  for (const path of [location, `${location}-wal`, `${location}-shm`]) {
    try {
      const info = await Deno.stat(path);
      if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
}

/**
 * Opens a KV store: a file path (its directory is created when missing), `:memory:`, an
 * `http(s)://` URL (KV Connect), or `undefined` for the platform default (Deno Deploy).
 * Writes the layout version into a new store and refuses a store with another one.
 */
export async function openStore(location: string | undefined): Promise<Deno.Kv> {
  let kv: Deno.Kv;
  try {
    if (location && location !== ":memory:" && !/^https?:\/\//.test(location)) {
      await prepareStoreFile(location);
    }
    kv = await Deno.openKv(location);
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      throw new StoreError(
        `Cannot open the KV store at ${JSON.stringify(location)}: no permission. ` +
          `Grant read and write access to it (deno run --allow-read=PATH --allow-write=PATH).`,
      );
    }
    throw new StoreError(
      `Cannot open the KV store at ${JSON.stringify(location)}: ${(err as Error).message}`,
    );
  }
  retryWhenLocked(kv);
  const schema = await kv.get<number>(keys.schema());
  if (schema.value === null) {
    await kv.atomic().check(schema).set(keys.schema(), SCHEMA_VERSION).commit();
  } else if (schema.value !== SCHEMA_VERSION) {
    kv.close();
    throw new StoreError(
      `The KV store at ${JSON.stringify(location)} has layout version ${schema.value}; ` +
        `this modyard reads version ${SCHEMA_VERSION}`,
    );
  }
  return kv;
}

/** Attempts of a KV call that SQLite refused with "database is locked". */
const LOCKED_ATTEMPTS = 50;

/** Whether an error is SQLite's "database is locked" (another process holds the write lock). */
function isLocked(err: unknown): boolean {
  return err instanceof Error && /database is locked/.test(err.message);
}

/** Runs `call`, retrying with a short, growing, jittered pause while the database is locked. */
async function withLockRetry<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isLocked(err) || attempt >= LOCKED_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50, attempt * 2) * (0.5 + Math.random())));
    }
  }
}

/**
 * Two processes on one local store (two servers, a server and the CLI): Deno KV's SQLite
 * backend does not wait for another process's write lock but fails the call with "database
 * is locked". Such a call did nothing, so it is retried, for at most ~2 s, on this handle's
 * writes (commits, `set`, `delete`) and reads (`get`, `getMany`).
 */
function retryWhenLocked(kv: Deno.Kv): void {
  const atomic = kv.atomic.bind(kv);
  kv.atomic = () => {
    const op = atomic();
    const commit = op.commit.bind(op);
    op.commit = () => withLockRetry(commit);
    return op;
  };
  const set = kv.set.bind(kv);
  kv.set = (key, value, options) => withLockRetry(() => set(key, value, options));
  const del = kv.delete.bind(kv);
  kv.delete = (key) => withLockRetry(() => del(key));
  const get = kv.get.bind(kv);
  kv.get =
    ((key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) =>
      withLockRetry(() => get(key, options))) as Deno.Kv["get"];
  const getMany = kv.getMany.bind(kv);
  kv.getMany =
    ((keys: Deno.KvKey[], options?: { consistency?: Deno.KvConsistencyLevel }) =>
      withLockRetry(() => getMany(keys, options))) as Deno.Kv["getMany"];
}
