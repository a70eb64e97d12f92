/**
 * Route kinds on Deno's built-in OpenTelemetry spans. With `OTEL_DENO=true`, `Deno.serve`
 * opens a span per request (named after the method only); the app names it
 * `METHOD route_kind` and sets `http.route` to the route kind, through the span the
 * active context holds — the key `npm:@opentelemetry/api` uses, so no package is needed.
 * Verified here on Deno 2.9.6 against an OTLP/JSON receiver: the exported span carried
 * the name and attribute.
 *
 * @module
 */

/** The context key of the active span in OpenTelemetry JS (`createContextKey` is `Symbol.for`). */
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

interface SpanLike {
  setAttribute(key: string, value: string): unknown;
  updateName(name: string): unknown;
}

/** Whether Deno's OpenTelemetry is on (`OTEL_DENO=true`); `false` without env access. */
export function otelEnabled(): boolean {
  try {
    const v = Deno.env.get("OTEL_DENO");
    return v === "true" || v === "1";
  } catch {
    return false;
  }
}

/**
 * Names the current request's span after its route kind; does nothing without an active
 * span.
 */
export function labelActiveSpan(method: string, route: string): void {
  try {
    const ctx = Deno.telemetry?.contextManager?.active?.();
    const span = ctx?.getValue?.(SPAN_KEY) as SpanLike | undefined;
    if (!span || typeof span.setAttribute !== "function") return;
    span.setAttribute("http.route", route);
    span.updateName(`${method} ${route}`);
  } catch {
    // Telemetry must never fail a request.
  }
}
