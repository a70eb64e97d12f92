/**
 * Starting the HTTP(S) listener for `main.ts serve`.
 *
 * @module
 */

import { type App, appOptionsFrom, createApp } from "./app.ts";
import { type Config, ConfigError } from "./config.ts";
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

/** Opens the store and starts listening as configured. */
export async function startServer(config: Config): Promise<RunningServer> {
  const tls = config.tlsCert
    ? { cert: await readPem(config.tlsCert), key: await readPem(config.tlsKey) }
    : {};
  const kv = await openStore(config.kv || undefined);
  const app = createApp(kv, appOptionsFrom(config));
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: config.port,
      hostname: config.hostname,
      ...tls,
      onListen({ hostname, port }) {
        const scheme = config.tlsCert ? "https" : "http";
        console.log(
          `modyard listening on ${scheme}://${hostname}:${port}/ (store: ${
            config.kv || "default"
          })`,
        );
      },
    }, app.fetch);
  } catch (err) {
    app.close();
    kv.close();
    throw new ConfigError(
      `Cannot listen on ${config.hostname}:${config.port}: ${(err as Error).message}`,
    );
  }
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
    const hint = err instanceof Deno.errors.NotCapable ? " (grant it with --allow-read=PATH)" : "";
    throw new ConfigError(`Cannot read ${JSON.stringify(path)}: ${(err as Error).message}${hint}`);
  }
}
