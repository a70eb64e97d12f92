/**
 * The signed-in user's tokens: the list (never their secrets), a form to create one (the
 * secret is shown once, on the answer to that form, never stored) and revoke forms. The
 * same account functions and rules as `/api/v1/user/tokens`: a write scope is needed, and a
 * session signed in with a token cannot mint a token that outlives it.
 *
 * @module
 */

import { HttpError } from "../../http/http_error.ts";
import {
  AccountError,
  createToken,
  listTokens,
  MAX_TOKEN_LABEL_LENGTH,
  revokeToken,
} from "../../registry/accounts.ts";
import type { TokenRecord } from "../../store/records.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { CopySnippet } from "../layout.tsx";
import type { UiRequest } from "../ui_request.ts";
import { revokeTokenUrl, tokensUrl } from "../urls.ts";
import { htmlPage, Time } from "./page.tsx";

/** Longest token lifetime offered by the form, in days (as the API). */
const MAX_EXPIRES_IN_DAYS = 3650;

/** `GET /-/tokens`. */
export async function tokensPage(ui: UiRequest): Promise<Response> {
  return await tokensAnswer(ui, null);
}

async function tokensAnswer(
  ui: UiRequest,
  created: { token: string; record: TokenRecord } | null,
): Promise<Response> {
  const p = ui.requirePrincipal();
  const csrf = ui.session!.csrf;
  const tokens = await listTokens(ui.services.kv, p.user.name);
  tokens.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return htmlPage(ui, {
    title: "Tokens",
    status: created ? 201 : 200,
    headers: { "cache-control": "no-store" },
    children: (
      <>
        <h1>Your tokens</h1>
        {created
          ? (
            <section class="notice" aria-labelledby="new-token-heading" role="status">
              <h2 id="new-token-heading">New token “{created.record.label}”</h2>
              <p>Copy it now: it is shown only once.</p>
              <CopySnippet id="new-token" label="new token" text={created.token} />
            </section>
          )
          : null}
        {tokens.length === 0 ? <p>You have no tokens.</p> : (
          <table>
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Scope</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Id</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr>
                  <td>{t.label || "—"}</td>
                  <td>{t.scope}</td>
                  <td>
                    <Time iso={t.createdAt} />
                  </td>
                  <td>{t.expiresAt ? <Time iso={t.expiresAt} /> : "never"}</td>
                  <td>
                    <code>{t.id}</code>
                  </td>
                  <td>
                    <form method="post" action={revokeTokenUrl(t.id)}>
                      <input type="hidden" name={CSRF_FIELD} value={csrf} />
                      <button type="submit" class="danger" aria-label={`Revoke token ${t.id}`}>
                        Revoke
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Create a token</h2>
        <form method="post" action={tokensUrl()}>
          <input type="hidden" name={CSRF_FIELD} value={csrf} />
          <label for="label">Label</label>
          <input id="label" name="label" type="text" maxlength={String(MAX_TOKEN_LABEL_LENGTH)} />
          <label for="scope">Scope</label>
          <select id="scope" name="scope">
            <option value="read">read (go builds)</option>
            <option value="write">write (publish, delete)</option>
          </select>
          <label for="days">Expires after (days; empty for never)</label>
          <input id="days" name="days" type="number" min="1" max={String(MAX_EXPIRES_IN_DAYS)} />
          <p>
            <button type="submit">Create token</button>
          </p>
        </form>
      </>
    ),
  });
}

/** A session that may manage tokens: signed in, with a write scope (as the API). */
function writer(ui: UiRequest): string {
  const p = ui.requirePrincipal();
  if (p.scope !== "write") {
    throw new HttpError(403, "this session signed in with a read token; tokens need a write scope");
  }
  return p.user.name;
}

/** `POST /-/tokens`: creates a token and shows it once. */
export async function createTokenForm(ui: UiRequest): Promise<Response> {
  const form = await ui.form();
  const user = writer(ui);
  const scope = form.get("scope") ?? "read";
  if (scope !== "read" && scope !== "write") {
    throw new HttpError(400, `scope must be "read" or "write"`);
  }
  const label = form.get("label") ?? "";
  if (label.length > MAX_TOKEN_LABEL_LENGTH) {
    throw new HttpError(400, `label must have at most ${MAX_TOKEN_LABEL_LENGTH} characters`);
  }
  const daysText = (form.get("days") ?? "").trim();
  const days = daysText === "" ? undefined : Number(daysText);
  if (days !== undefined && (!(days > 0) || days > MAX_EXPIRES_IN_DAYS)) {
    throw new HttpError(400, `days must be a number above 0 and at most ${MAX_EXPIRES_IN_DAYS}`);
  }
  let expiresAt = days === undefined ? Infinity : Date.now() + days * 86_400_000;
  // A token never mints a token that outlives it.
  expiresAt = Math.min(expiresAt, ui.principal!.tokenExpiresAt ?? Infinity);
  let created;
  try {
    created = await createToken(ui.services.kv, user, {
      scope,
      label,
      expiresAt: Number.isFinite(expiresAt) ? new Date(expiresAt) : undefined,
    }, { name: user, client: ui.ctx.client });
  } catch (err) {
    if (err instanceof AccountError) throw new HttpError(400, err.message);
    throw err;
  }
  ui.services.invalidate();
  return await tokensAnswer(ui, created);
}

/** `POST /-/tokens/{id}/revoke`: revokes one of the user's tokens (303 back to the list). */
export async function revokeTokenForm(ui: UiRequest, id: string): Promise<Response> {
  await ui.form();
  const user = writer(ui);
  try {
    await revokeToken(ui.services.kv, user, id, { name: user, client: ui.ctx.client });
  } catch (err) {
    if (err instanceof AccountError) throw new HttpError(404, err.message);
    throw err;
  }
  ui.services.invalidate();
  return new Response(null, { status: 303, headers: { location: tokensUrl() } });
}
