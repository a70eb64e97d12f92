/**
 * An in-process server whose app options the test chooses (zip cache size included), and
 * whose `close` waits for the app's shutdown work (download counts) before closing the store.
 *
 * @module
 */

import { type App, type AppOptions, createApp } from "../../src/app.ts";
import { createToken, createUser } from "../../src/registry/accounts.ts";
import { openStore } from "../../src/store/open_store.ts";
import { basic } from "./server.ts";

/** A running in-process server. */
export interface AppServer {
  /** Base URL. */
  url: string;
  /** The store. */
  kv: Deno.Kv;
  /** The app. */
  app: App;
  /** GOPROXY base of an owner. */
  proxy(owner: string): string;
  /** Creates a public user with a write token; returns the Basic auth header value. */
  user(name: string): Promise<string>;
  /** Uploads a zip; returns the status. */
  upload(owner: string, zip: Uint8Array, auth: string): Promise<number>;
  /** Downloads a URL; returns status and body bytes. */
  get(url: string): Promise<{ status: number; bytes: Uint8Array }>;
  /** Stops listening, awaits the app's close (counts written), closes the store. */
  close(): Promise<void>;
}

/** Starts an app over `kv` (default `:memory:`) with `options` over test defaults. */
export async function startAppServer(
  options: Partial<AppOptions> & { kv?: string } = {},
): Promise<AppServer> {
  const kv = await openStore(options.kv ?? ":memory:");
  const app = createApp(kv, {
    maxZipSize: 500 * 1024 * 1024,
    uploadStallSeconds: 120,
    sweepIntervalMs: 0,
    ...options,
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    kv,
    app,
    proxy: (owner) => `${url}/api/packages/${owner}/go`,
    async user(name) {
      await createUser(kv, name, { visibility: "public" });
      const { token } = await createToken(kv, name, { scope: "write" });
      return basic(name, token);
    },
    async upload(owner, zip, auth) {
      const res = await fetch(`${url}/api/packages/${owner}/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth },
      });
      await res.body?.cancel();
      return res.status;
    },
    get,
    async close() {
      await server.shutdown();
      await app.close();
      kv.close();
    },
  };
}

/** GETs a URL; returns its status and body bytes (an aborted body throws). */
export async function get(url: string): Promise<{ status: number; bytes: Uint8Array }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}
