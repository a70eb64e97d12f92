/**
 * One web UI request as the pages see it: the app's request context, the session (from its
 * cookie) and the principal it stands for, and the owner decisions of the API
 * ({@link RequestContext.readableOwner} and {@link RequestContext.writableOwner}) made for
 * that principal — the UI has no access rules of its own.
 *
 * @module
 */

import { RequestContext } from "../http/context.ts";
import { HttpError } from "../http/http_error.ts";
import type { Principal } from "../registry/authenticate.ts";
import { keys } from "../store/keys.ts";
import type { TokenRecord, UserRecord } from "../store/records.ts";
import { cookieValue } from "./cookies.ts";
import { checkCsrfToken, checkSameOrigin } from "./csrf.ts";
import { readForm } from "./form_body.ts";
import {
  passwordFingerprint,
  readSession,
  SESSION_COOKIE,
  type SessionRecord,
} from "./sessions.ts";
import type { UiDeps } from "./ui.ts";

/** A UI request with its session. */
export class UiRequest {
  private constructor(
    /** The app's context (its principal is always `null`: the UI does not read headers). */
    readonly ctx: RequestContext,
    /** What the UI got from the app. */
    readonly deps: UiDeps,
    /** The session cookie's value, when it names a live session. */
    readonly sessionId: string | null,
    /** The live session, or `null` for anonymous visitors. */
    readonly session: SessionRecord | null,
    /** Who the session stands for, or `null`. */
    readonly principal: Principal | null,
  ) {}

  /** Reads the session cookie and the principal it stands for. */
  static async open(ctx: RequestContext, deps: UiDeps): Promise<UiRequest> {
    const id = cookieValue(ctx.request.headers.get("cookie"), SESSION_COOKIE);
    const session = id ? await readSession(ctx.services.kv, id) : null;
    const principal = session ? await principalOf(ctx, session) : null;
    return principal
      ? new UiRequest(ctx, deps, id, session, principal)
      : new UiRequest(ctx, deps, null, null, null);
  }

  /** Whether cookies must be `Secure`: the request or `--base-url` is https. */
  get secure(): boolean {
    return this.ctx.url.protocol === "https:" ||
      this.ctx.services.baseUrl.startsWith("https:");
  }

  /** The app's services. */
  get services(): RequestContext["services"] {
    return this.ctx.services;
  }

  /** The public base of absolute URLs shown in pages (`--base-url`, else this origin). */
  get baseUrl(): string {
    return (this.ctx.services.baseUrl || this.ctx.url.origin).replace(/\/+$/, "");
  }

  /** The API's request context for `owner`, with this session's principal. */
  ownerContext(owner: string): RequestContext {
    const c = this.ctx;
    const ctx = new RequestContext(
      c.request,
      c.url,
      c.services,
      this.principal,
      { owner },
      c.client,
    );
    ctx.peer = c.peer;
    return ctx;
  }

  /**
   * The owner if the session may read it; else the API's 401/403/404 (the UI answers without
   * its `WWW-Authenticate`, see ui.ts).
   */
  readableOwner(owner: string): Promise<UserRecord> {
    return this.ownerContext(owner).readableOwner();
  }

  /** The owner if the session may publish to and delete from it; else the API's refusal. */
  writableOwner(owner: string, verb: string): Promise<UserRecord> {
    return this.ownerContext(owner).writableOwner(verb);
  }

  /** The signed-in principal, or a 401 (the UI answers it with the sign-in page). */
  requirePrincipal(): Principal {
    if (!this.principal) throw new HttpError(401, "sign in to see this page");
    return this.principal;
  }

  /**
   * The form of a state-changing POST, after the CSRF checks: same origin, and (with a
   * session) the session's synchronizer token.
   */
  async form(): Promise<URLSearchParams> {
    checkSameOrigin(this.ctx.request, this.ctx.url, this.ctx.services.baseUrl);
    const form = await readForm(this.ctx.request);
    if (this.session) checkCsrfToken(form, this.session.csrf);
    return form;
  }
}

/**
 * The principal of a live session: its user must still be an active user; a session signed
 * in with a token lasts only as long as the token (revoked or expired ends it), one signed in
 * with a password only as long as that password.
 */
async function principalOf(ctx: RequestContext, s: SessionRecord): Promise<Principal | null> {
  const user = await ctx.services.auth.user(s.user);
  if (!user || user.deleted || user.kind === "org") return null;
  // A password sign-in lasts only while that password does (a change ends the session).
  if (s.via === "password" && s.passwordFingerprint !== passwordFingerprint(user.password)) {
    return null;
  }
  let scope = s.scope;
  let validUntil = s.expiresAt;
  let tokenExpiresAt: number | undefined;
  if (s.tokenHash !== undefined) {
    const token = (await ctx.services.kv.get<TokenRecord>(keys.token(s.tokenHash))).value;
    if (!token || token.user !== s.user) return null;
    tokenExpiresAt = token.expiresAt ? Date.parse(token.expiresAt) : Infinity;
    if (tokenExpiresAt <= Date.now()) return null;
    if (token.scope === "read") scope = "read";
    validUntil = Math.min(validUntil, tokenExpiresAt);
  }
  return { user, scope, validUntil, via: s.via, tokenExpiresAt };
}
