/**
 * The entry for `deno serve serve.ts` and Deno Deploy: exports the app as a `fetch`
 * handler and starts no listener of its own. The store is `MODYARD_KV` when set, else
 * the platform default (`Deno.openKv()` with no path, which is the managed KV on Deploy).
 *
 * `deno serve` shuts its listener down on SIGINT/SIGTERM by itself and waits for the
 * responses in flight; where signals can be listened to, this module then writes the batched
 * download counts (without it they are lost with the process). The store stays open for the
 * downloads still streaming and closes with the process. Uploads in flight at that moment
 * fail: on Deno 2.9 the listener's shutdown breaks the bodies it has not read yet
 * (denoland/deno#36809); `main.ts serve` lets them finish.
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
    const created = createApp(kv, appOptionsFrom(config));
    flushOnSignals(created);
    return created;
  })();
  return app;
}

/** On the first SIGINT/SIGTERM, stops background work and writes the download counts. */
function flushOnSignals(created: App): void {
  let closing: Promise<void> | undefined;
  const onSignal = () => {
    closing ??= created.close();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, onSignal);
    } catch { /* not on this platform (Windows' SIGTERM, Deno Deploy) */ }
  }
}

/**
 * Periodic work where isolates start and stop on demand (Deno Deploy, recognised by its
 * `DENO_DEPLOYMENT_ID`, or wherever `MODYARD_CRON=1`): the sweep of abandoned uploads and
 * deleted versions' chunks runs from `Deno.cron` (at most once a minute; it needs `cron` in
 * deno.json's `unstable` list). Elsewhere the app's own timer does it while the process lives
 * — a local cron would keep `deno serve` from exiting after its signal. Registered at the top
 * level, as Deploy requires.
 */
export const cronRegistered: boolean = registerCron();

function registerCron(): boolean {
  const cron = (Deno as { cron?: typeof Deno.cron }).cron;
  if (typeof cron !== "function") return false;
  let wanted = false;
  try {
    wanted = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined ||
      Deno.env.get("MODYARD_CRON") === "1";
  } catch { /* no environment permission: not wanted */ }
  if (!wanted) return false;
  try {
    cron("modyard sweep", "* * * * *", async () => {
      await (await getApp()).sweep();
    });
    return true;
  } catch {
    return false; // e.g. not allowed in this runtime
  }
}

export default {
  async fetch(request: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    return (await getApp()).fetch(request, info);
  },
} satisfies Deno.ServeDefaultExport;
