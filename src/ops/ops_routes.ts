/**
 * The operations routes: `/readyz` (the store answers a read within a deadline) and
 * `/metrics` (Prometheus text, for loopback scrapers, the metrics token, or admins).
 *
 * @module
 */

import { BASIC_CHALLENGE, HttpError } from "../http/http_error.ts";
import type { Principal } from "../registry/authenticate.ts";
import { hasMetricsToken, openScrapeAllowed } from "./metrics_access.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_text.ts";
import { checkReadiness } from "./readiness.ts";

/** `200 ready` when `probe` settles within `deadlineMs`; else 503 with the reason. */
export async function serveReadyz(
  probe: () => Promise<unknown>,
  deadlineMs: number,
): Promise<Response> {
  const readiness = await checkReadiness(probe, deadlineMs);
  if (!readiness.ready) throw new HttpError(503, `not ready: ${readiness.reason}`);
  return new Response("ready\n", {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** What a scrape needs besides the request. */
export interface MetricsAccess {
  /** The TCP peer's address (not a forwarded one). */
  peer: string;
  /** `--metrics-token`, or `""`. */
  token: string;
  /** Authenticates the request's credentials (401 when wrong, 429 when throttled). */
  principal(): Promise<Principal | null>;
}

/**
 * The scrape text when the request may read it: a loopback peer without forwarding headers,
 * the bearer of the metrics token, or an admin. 401 without credentials, 403 with others.
 */
export async function serveMetrics(
  request: Request,
  access: MetricsAccess,
  render: () => Promise<string>,
): Promise<Response> {
  await authorizeScrape(request, access);
  return new Response(await render(), {
    headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
  });
}

async function authorizeScrape(request: Request, access: MetricsAccess): Promise<void> {
  if (openScrapeAllowed(access.peer, request.headers)) return;
  const authorization = request.headers.get("authorization");
  if (hasMetricsToken(authorization, access.token)) return;
  if (authorization === null) {
    throw new HttpError(
      401,
      "authentication required to read /metrics (the metrics token or an admin's credentials)",
      BASIC_CHALLENGE,
    );
  }
  let principal: Principal | null;
  try {
    principal = await access.principal();
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) {
      throw new HttpError(403, "/metrics needs the metrics token or an admin's credentials");
    }
    throw err;
  }
  if (principal?.user.admin) return;
  throw new HttpError(
    403,
    `user ${JSON.stringify(principal?.user.name ?? "")} may not read /metrics (admins only)`,
  );
}
