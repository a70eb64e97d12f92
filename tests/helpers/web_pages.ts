/**
 * Driving the web UI over HTTP in tests, as a browser would without JavaScript: GET pages
 * with a session cookie, sign in through the form, read a form's CSRF token, POST forms
 * with the browser's `Origin` / `Sec-Fetch-Site` headers.
 *
 * @module
 */

import { assertEquals, assertOk } from "./assert.ts";

/** A fetched page: status, headers and body text. */
export interface Page {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text. */
  html: string;
}

/** GETs `path` of `base` with an optional session cookie (no redirects followed). */
export async function getPage(base: string, path: string, cookie?: string): Promise<Page> {
  const res = await fetch(base + path, {
    headers: cookie ? { cookie } : {},
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/**
 * POSTs a form to `path` as a same-origin browser would (`Origin` of `base`), unless
 * `headers` says otherwise; no redirects followed.
 */
export async function postForm(
  base: string,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<Page> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    origin: new URL(base).origin,
    "sec-fetch-site": "same-origin",
    ...options.headers,
  };
  if (options.cookie) headers.cookie = options.cookie;
  const res = await fetch(base + path, {
    method: "POST",
    body: new URLSearchParams(fields),
    headers,
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** The `name=value` part of a response's `Set-Cookie`, for the next request's `Cookie`. */
export function cookieOf(page: Page): string {
  const set = page.headers.get("set-cookie");
  assertOk(set, `expected a Set-Cookie header (status ${page.status})`);
  return set.split(";")[0];
}

/** Signs in through the form with a user name and a password or token; returns the cookie. */
export async function signIn(base: string, user: string, secret: string): Promise<string> {
  const page = await postForm(base, "/-/signin", { user, password: secret, next: "/" });
  assertEquals(page.status, 303, `sign-in as ${user} failed: ${page.status} ${page.html}`);
  return cookieOf(page);
}

/** The CSRF token of the first form in `html` that has one. */
export function csrfOf(html: string): string {
  const m = html.match(/name="_csrf" value="([^"]+)"/);
  assertOk(m, "expected a form with a CSRF token");
  return m[1];
}

/** The token of a bearer `Authorization` value made by `basic(name, token)`. */
export function tokenOfBasic(auth: string): string {
  const decoded = new TextDecoder().decode(Uint8Array.fromBase64(auth.slice("Basic ".length)));
  return decoded.slice(decoded.indexOf(":") + 1);
}

/** Text content of `html` with tags removed and entities of the template layer decoded. */
export function textOf(html: string): string {
  return html.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}
