/**
 * Signing in (user + password, or a token) and out. Sign-in goes through the API's
 * authenticator with the app's password gate, so it shares the password throttle (the same
 * 429) and the cap on concurrent password checks; a success starts a server-side session.
 *
 * @module
 */

import { HttpError } from "../../http/http_error.ts";
import { MAX_PASSWORD_LENGTH } from "../../registry/accounts.ts";
import { BusyError, type Credentials } from "../../registry/authenticate.ts";
import { TOKEN_PREFIX, tokenHash } from "../../registry/secrets.ts";
import { clearedSessionCookie, sessionCookie } from "../cookies.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { createSession, endSession, passwordFingerprint } from "../sessions.ts";
import type { UiRequest } from "../ui_request.ts";
import { homeUrl, signInUrl } from "../urls.ts";
import { htmlPage } from "./page.tsx";

/** What the sign-in page shows besides the form. */
export interface SignInOptions {
  /** Status of the answer (401 when a page needs a session, or credentials were wrong). */
  status?: number;
  /** A message above the form. */
  message?: string;
  /** The local path to return to after signing in. */
  next?: string;
  /** The user name to fill in. */
  user?: string;
}

/**
 * A local path to return to after signing in: a path on this server, never another origin
 * (`//host`, `/\host`, a scheme) — otherwise `/`.
 *
 * @example
 * ```ts
 * safeNext("/alice"); // "/alice"
 * safeNext("//evil.example"); // "/"
 * ```
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || next.length > 2000 || !next.startsWith("/")) return "/";
  if (next.startsWith("//") || next.startsWith("/\\")) return "/";
  for (let i = 0; i < next.length; i++) {
    const c = next.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return "/";
  }
  return next;
}

/** The sign-in page. */
export function signInPage(ui: UiRequest, options: SignInOptions): Response {
  const next = safeNext(options.next ?? ui.ctx.url.searchParams.get("next"));
  return htmlPage(ui, {
    title: "Sign in",
    status: options.status,
    children: (
      <>
        <h1>Sign in</h1>
        {options.message ? <p class="notice error" role="alert">{options.message}</p> : null}
        {ui.principal ? <p>You are signed in as {ui.principal.user.name}.</p> : null}
        <form method="post" action={signInUrl()}>
          {ui.session ? <input type="hidden" name={CSRF_FIELD} value={ui.session.csrf} /> : null}
          <input type="hidden" name="next" value={next} />
          <label for="user">User name</label>
          <input
            id="user"
            name="user"
            type="text"
            autocomplete="username"
            maxlength="64"
            value={options.user ?? ""}
          />
          <label for="password">Password or token</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxlength={String(MAX_PASSWORD_LENGTH)}
          />
          <p class="muted">
            A token (<code>{TOKEN_PREFIX}…</code>) may be given with or without the user name.
          </p>
          <p>
            <button type="submit">Sign in</button>
          </p>
        </form>
      </>
    ),
  });
}

/** `POST /-/signin`: checks the credentials and starts a session (303 to `next`). */
export async function signIn(ui: UiRequest): Promise<Response> {
  const form = await ui.form();
  const user = (form.get("user") ?? "").trim();
  const secret = form.get("password") ?? "";
  const next = safeNext(form.get("next"));
  if (user.length > 64 || secret.length > MAX_PASSWORD_LENGTH) {
    throw new HttpError(400, "user name or password too long");
  }
  const wrong = () =>
    signInPage(ui, { status: 401, message: "Wrong user name, password or token.", next, user });
  if (secret === "") return wrong();
  const credentials: Credentials = user === "" && secret.startsWith(TOKEN_PREFIX)
    ? { kind: "token", token: secret }
    : { kind: "basic", user, secret };
  const auth = ui.services.auth;
  let principal;
  try {
    principal = await auth.authenticate(
      credentials,
      credentials.kind === "basic" ? ui.deps.passwordGate(ui.ctx.client, user) : undefined,
    );
  } catch (err) {
    if (err instanceof BusyError) throw new HttpError(503, err.message, { "retry-after": "1" });
    throw err;
  }
  if (!principal || principal.via === "bootstrap") return wrong();
  const viaToken = principal.via === "token";
  const { id } = await createSession(ui.services.kv, {
    user: principal.user.name,
    scope: principal.scope,
    via: viaToken ? "token" : "password",
    tokenHash: viaToken
      ? tokenHash(credentials.kind === "token" ? credentials.token : secret)
      : undefined,
    passwordFingerprint: viaToken ? undefined : passwordFingerprint(principal.user.password),
  });
  ui.deps.logger.event("info", "signed in", { user: principal.user.name, via: principal.via });
  return new Response(null, {
    status: 303,
    headers: { location: next, "set-cookie": sessionCookie(id, ui.secure) },
  });
}

/** `POST /-/signout`: ends the session and clears the cookie (303 to the home page). */
export async function signOut(ui: UiRequest): Promise<Response> {
  await ui.form();
  if (ui.sessionId) await endSession(ui.services.kv, ui.sessionId);
  return new Response(null, {
    status: 303,
    headers: { location: homeUrl(), "set-cookie": clearedSessionCookie(ui.secure) },
  });
}
