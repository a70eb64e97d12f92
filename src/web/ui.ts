/**
 * The web UI's entry point: every path outside `/api/` that no other route answers.
 * Loaded by the app on first use. Reads the session, dispatches on the URL scheme of
 * `urls.ts`, renders errors as pages (a 401 as the sign-in page), and adds the security
 * headers to every answer.
 *
 * @module
 */

import type { RequestContext } from "../http/context.ts";
import { HttpError } from "../http/http_error.ts";
import type { Logger } from "../ops/log.ts";
import type { SlowCheckGate } from "../registry/authenticate.ts";
import type { Attempt } from "../registry/throttle.ts";
import { withSecurityHeaders } from "./security_headers.ts";
import { serveStatic } from "./static_assets.ts";
import { UiRequest } from "./ui_request.ts";
import { parseUiPath, type UiRoute } from "./urls.ts";
import { errorPage } from "./pages/error_page.tsx";
import { signIn, signInPage, signOut } from "./pages/signin_page.tsx";
import { homePage } from "./pages/home_page.tsx";
import { ownerPage } from "./pages/owner_page.tsx";
import { modulePage } from "./pages/module_page.tsx";
import { deleteVersionForm } from "./pages/delete_version.ts";
import { filesPage, rawFile } from "./pages/files_page.tsx";
import { createTokenForm, revokeTokenForm, tokensPage } from "./pages/tokens_page.tsx";

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

/** Answers a web UI request (`ctx.params["0"]` is the raw path without its leading `/`). */
export async function serveUi(ctx: RequestContext, deps: UiDeps): Promise<Response> {
  const route = parseUiPath(ctx.url.pathname);
  if (route?.page === "static") return withSecurityHeaders(serveStatic(route.name));
  const ui = await UiRequest.open(ctx, deps);
  try {
    if (!route) throw new HttpError(404, "not found");
    return withSecurityHeaders(await dispatch(ui, route));
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    const response = err.status === 401 && ctx.request.method !== "POST"
      ? signInPage(ui, { status: 401, message: err.message, next: ctx.url.pathname })
      : errorPage(ui, err);
    // Never WWW-Authenticate: a browser would pop up its own dialog over the sign-in page.
    for (const [k, v] of Object.entries(err.headers)) {
      if (k.toLowerCase() !== "www-authenticate") response.headers.set(k, v);
    }
    return withSecurityHeaders(response);
  }
}

function dispatch(ui: UiRequest, route: UiRoute): Promise<Response> | Response {
  const post = ui.ctx.request.method === "POST";
  switch (route.page) {
    case "home":
      return only(post, false) ?? homePage(ui);
    case "signin":
      return post ? signIn(ui) : signInPage(ui, {});
    case "signout":
      return only(post, true) ?? signOut(ui);
    case "tokens":
      return post ? createTokenForm(ui) : tokensPage(ui);
    case "revoke_token":
      return only(post, true) ?? revokeTokenForm(ui, route.id);
    case "owner":
      return only(post, false) ?? ownerPage(ui, route.owner);
    case "module":
      return only(post, false) ?? modulePage(ui, route.owner, route.module, null);
    case "version":
      return only(post, false) ?? modulePage(ui, route.owner, route.module, route.version);
    case "files":
      return only(post, false) ?? filesPage(ui, route);
    case "raw":
      return only(post, false) ?? rawFile(ui, route);
    case "delete":
      return only(post, true) ?? deleteVersionForm(ui, route);
    case "static":
      return serveStatic(route.name);
  }
}

/** A 405 when the method is not the one the page takes (`POST` or `GET`/`HEAD`). */
function only(post: boolean, wantPost: boolean): null {
  if (post === wantPost) return null;
  throw new HttpError(405, `method not allowed here`, { allow: wantPost ? "POST" : "GET, HEAD" });
}
