/**
 * The entry for `deno serve serve.ts` and Deno Deploy: exports the app as a `fetch`
 * handler and starts no listener of its own. The store is `MODYARD_KV` when set, else
 * the platform default (`Deno.openKv()` with no path, which is the managed KV on Deploy).
 *
 * @module
 */

import { type App, appOptionsFrom, createApp } from "./src/app.ts";
import { loadConfig } from "./src/config.ts";
import { openStore } from "./src/store/open_store.ts";

let app: Promise<App> | undefined;

function getApp(): Promise<App> {
  app ??= (async () => {
    const { config } = loadConfig([], (name) => Deno.env.get(name));
    const kv = await openStore(Deno.env.get("MODYARD_KV") ?? undefined);
    return createApp(kv, appOptionsFrom(config));
  })();
  return app;
}

export default {
  async fetch(request: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    return (await getApp()).fetch(request, info);
  },
} satisfies Deno.ServeDefaultExport;
