/**
 * Starting the HTTP(S) listener for `main.ts serve`.
 *
 * @module
 */

import { type App, createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { openStore } from "./store/open_store.ts";

/** A listening server. */
export interface RunningServer {
  /** The app behind it. */
  app: App;
  /** The Deno HTTP server. */
  server: Deno.HttpServer<Deno.NetAddr>;
  /** Stops listening, background work, and closes the store. */
  shutdown(): Promise<void>;
}

/** Default interval of the background sweep of abandoned uploads. */
const SWEEP_INTERVAL_MS = 30_000;

/** Opens the store and starts listening as configured. */
export async function startServer(config: Config): Promise<RunningServer> {
  const kv = await openStore(config.kv || undefined);
  const app = createApp(kv, {
    maxZipSize: config.maxZipSize,
    uploadStallSeconds: config.uploadStallSeconds,
    sweepIntervalMs: Math.min(SWEEP_INTERVAL_MS, config.uploadStallSeconds * 1000),
  });
  const tls = config.tlsCert
    ? { cert: await readPem(config.tlsCert), key: await readPem(config.tlsKey) }
    : {};
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    ...tls,
    onListen({ hostname, port }) {
      const scheme = config.tlsCert ? "https" : "http";
      console.log(
        `modyard listening on ${scheme}://${hostname}:${port}/ (store: ${config.kv || "default"})`,
      );
    },
  }, app.fetch);
  return {
    app,
    server,
    async shutdown() {
      await server.shutdown();
      app.close();
      kv.close();
    },
  };
}

async function readPem(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`Cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}
