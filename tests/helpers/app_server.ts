/**
 * The in-process test server with the shape the download tests use: `upload` answers the
 * status, `get` the status and bytes.
 *
 * @module
 */

import { startTestServer, type TestServer } from "./server.ts";

/** A running in-process server whose `upload` answers the status (body consumed). */
export interface AppServer extends Omit<TestServer, "upload"> {
  /** Uploads a zip; returns the status. */
  upload(owner: string, zip: Uint8Array, auth: string): Promise<number>;
  /** Downloads a URL; returns status and body bytes. */
  get(url: string): Promise<{ status: number; bytes: Uint8Array }>;
}

/** Starts {@link startTestServer} with `options`; its `close` awaits the app's close. */
export async function startAppServer(
  options: Parameters<typeof startTestServer>[0] = {},
): Promise<AppServer> {
  const server = await startTestServer(options);
  return {
    ...server,
    async upload(owner, zip, auth) {
      const res = await server.upload(owner, zip, auth);
      await res.body?.cancel();
      return res.status;
    },
    get,
  };
}

/** GETs a URL; returns its status and body bytes (an aborted body throws). */
export async function get(url: string): Promise<{ status: number; bytes: Uint8Array }> {
  const res = await fetch(url);
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
}
