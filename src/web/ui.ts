/**
 * The web UI's entry point: every path outside `/api/` that no other route answers.
 * Loaded by the app on first use.
 *
 * @module
 */

import type { RequestContext } from "../http/context.ts";
import { HttpError } from "../http/http_error.ts";
import type { Logger } from "../ops/log.ts";
import type { SlowCheckGate } from "../registry/authenticate.ts";
import type { Attempt } from "../registry/throttle.ts";

/** What the web UI gets from the app besides the request context. */
export interface UiDeps {
  /**
   * The password throttle's gate for one sign-in attempt by `client` at `user` (shared
   * with HTTP Basic on the API); pass it to `Authenticator.authenticate`.
   */
  passwordGate(client: string, user: string): SlowCheckGate<Attempt>;
  /** The app's logger. */
  logger: Logger;
}

/** Answers a web UI request (`ctx.params["0"]` is the path without its leading `/`). */
export function serveUi(_ctx: RequestContext, _deps: UiDeps): Promise<Response> {
  return Promise.reject(new HttpError(404, "not found"));
}
