/**
 * A UI page as a response: the layout around the content, for the request's viewer.
 *
 * @module
 */

import type { Child } from "../jsx_runtime.ts";
import { Layout } from "../layout.tsx";
import type { UiRequest } from "../ui_request.ts";

/** Renders `children` in the layout as a `text/html` response. */
export function htmlPage(
  ui: UiRequest,
  page: { title: string; status?: number; headers?: Record<string, string>; children?: Child },
): Response {
  const viewer = ui.principal && ui.session
    ? { name: ui.principal.user.name, csrf: ui.session.csrf }
    : null;
  const html = (
    <Layout title={page.title} viewer={viewer} path={ui.ctx.url.pathname}>
      {page.children}
    </Layout>
  );
  return new Response(html.html, {
    status: page.status ?? 200,
    headers: { "content-type": "text/html; charset=utf-8", ...page.headers },
  });
}

/**
 * A date for people: `2026-11-26 15:44 UTC` (the full ISO time in a `<time>` element).
 *
 * @example
 * ```ts
 * shortTime("2026-11-26T15:44:03.123Z"); // "2026-11-26 15:44 UTC"
 * ```
 */
export function shortTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso)
    ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
    : iso;
}

/** A `<time>` element for an ISO time. */
export function Time(props: { iso: string }) {
  return <time datetime={props.iso}>{shortTime(props.iso)}</time>;
}
