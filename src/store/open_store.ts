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
 * Opens a KV store: a file path (its directory is created when missing), `:memory:`, an
 * `http(s)://` URL (KV Connect), or `undefined` for the platform default (Deno Deploy).
 * Writes the layout version into a new store and refuses a store with another one.
 */
export async function openStore(location: string | undefined): Promise<Deno.Kv> {
  let kv: Deno.Kv;
  try {
    if (location && location !== ":memory:" && !/^https?:\/\//.test(location)) {
      const slash = location.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(location.slice(0, slash), { recursive: true });
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
