/**
 * The bare Deno servers modyard is compared with: the least a Deno program must do to answer
 * the same requests. Run as its own process:
 *
 * ```
 * deno run -A bench/bare_server.ts MODE PORT [NAME=FILE ...]   # NAME=URL in mode mirror
 * ```
 *
 * MODE is one of:
 * - `hello`: `hello\n` for every path (the classic hello-world);
 * - `json`: a small JSON body, the size of an `.info` answer;
 * - `same`: the least work a correct answer to a public `.info` request takes: the same JSON
 *   body with modyard's four headers (`cache-control`, `etag`, `content-type`,
 *   `x-content-type-options`), the request's `Authorization` and `If-None-Match` read (the
 *   answer depends on both), the `Response` made once and cloned, as modyard's reply cache does;
 * - `mirror`: each `/NAME` answers what URL answered when the server started (status 200
 *   required): the same body (a string when it is text or JSON, as modyard keeps those, else
 *   bytes) and the same headers but `date` and `content-length` (the runtime writes those),
 *   after reading `Authorization` and `If-None-Match` as `same` does; the `Response` made once
 *   and cloned. Modyard's cost per answer beyond what its exact bytes cost Deno itself;
 * - `headers4`: `same` without reading request headers; `auth`: `json` after reading the
 *   `Authorization` header (the two halves of `same`, to tell their costs apart);
 * - `bytes`: each `/NAME` answers FILE's bytes, read once at start, as one `Uint8Array` body;
 * - `file`: each `/NAME` answers `Deno.open(FILE).readable`;
 * - `stream`: each `/NAME` answers a `ReadableStream` of 1 MiB `subarray`s of FILE's bytes,
 *   read once at start;
 * - `kv`: opens the Deno KV store `store=FILE` before listening, and `/healthz` reads one key
 *   (the cold-start anchor: what opening the same store costs Deno itself).
 *
 * `/healthz` answers `ok` in every mode.
 *
 * @module
 */

import { bodyTag, cacheHeaders } from "../src/http/responses.ts";
import { COMMON_HEADERS } from "../src/http/reply_cache.ts";

/** The modes of the bare server. */
export const BARE_MODES = [
  "hello",
  "json",
  "same",
  "mirror",
  "headers4",
  "auth",
  "bytes",
  "file",
  "stream",
  "kv",
] as const;

/** Row name of mode `same` in reports. */
export const SAME_WORK_NAME = "bare Deno.serve, the same work";

/** One mode of the bare server. */
export type BareMode = typeof BARE_MODES[number];

/** The JSON body of the `json` mode (an `.info` answer's size and shape). */
export const BARE_JSON = '{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}';

const STREAM_PIECE = 1024 * 1024;

/** Builds the request handler of a mode over the named files. */
export async function bareHandler(
  mode: BareMode,
  files: Record<string, string>,
): Promise<(req: Request) => Response | Promise<Response>> {
  const cached = new Map<string, Uint8Array<ArrayBuffer>>();
  if (mode === "bytes" || mode === "stream") {
    for (const [name, path] of Object.entries(files)) {
      cached.set(`/${name}`, await Deno.readFile(path));
    }
  }
  const paths = new Map(Object.entries(files).map(([name, path]) => [`/${name}`, path]));
  const kv = mode === "kv" ? await Deno.openKv(files.store) : null;
  const zipHeaders = (size: number) => ({
    "content-type": "application/zip",
    "content-length": String(size),
  });
  // modyard's headers for a public .info answer (src/http/responses.ts, reply_cache.ts).
  const same = new Response(BARE_JSON, {
    headers: [
      ...cacheHeaders({ kind: "immutable", etag: bodyTag(BARE_JSON), isPrivate: false }),
      ["content-type", "application/json"],
      ...COMMON_HEADERS,
    ],
  });
  const mirrored = new Map<string, Response>();
  for (const [name, url] of mode === "mirror" ? Object.entries(files) : []) {
    mirrored.set(`/${name}`, await mirror(url));
  }
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/healthz") {
      if (kv) await kv.get(["meta", "schema"]);
      return new Response("ok");
    }
    if (mode === "hello" || mode === "kv") return new Response("hello\n");
    if (mode === "same" || mode === "mirror") {
      if (req.headers.get("authorization") !== null) {
        return new Response("private\n", { status: 401 });
      }
      if (req.headers.get("if-none-match") !== null) return new Response(null, { status: 304 });
      const answer = mode === "same" ? same : mirrored.get(path);
      return answer ? answer.clone() : new Response("not found", { status: 404 });
    }
    if (mode === "headers4") return same.clone();
    if (mode === "auth" && req.headers.get("authorization") !== null) {
      return new Response("private\n", { status: 401 });
    }
    if (mode === "json" || mode === "auth") {
      return new Response(BARE_JSON, { headers: { "content-type": "application/json" } });
    }
    if (mode === "file") {
      const file = paths.get(path);
      if (!file) return new Response("not found", { status: 404 });
      const f = await Deno.open(file);
      const { size } = await f.stat();
      return new Response(f.readable, { headers: zipHeaders(size) });
    }
    const bytes = cached.get(path);
    if (!bytes) return new Response("not found", { status: 404 });
    if (mode === "bytes") return new Response(bytes, { headers: zipHeaders(bytes.byteLength) });
    let offset = 0;
    // A default (not a byte) stream: a byte stream would transfer, and so detach, the cache.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(bytes.subarray(offset, offset + STREAM_PIECE));
        offset += STREAM_PIECE;
        if (offset >= bytes.byteLength) controller.close();
      },
    });
    return new Response(body, { headers: zipHeaders(bytes.byteLength) });
  };
}

/** Headers the runtime writes itself, so not copied by mode `mirror`. */
export const RUNTIME_HEADERS: ReadonlySet<string> = new Set(["date", "content-length"]);

/** A `Response` with the body and headers `url` answers now (which must be a 200). */
export async function mirror(url: string): Promise<Response> {
  const res = await fetch(url);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`mirror ${url}: status ${res.status}, not 200`);
  }
  const headers = [...res.headers].filter(([name]) => !RUNTIME_HEADERS.has(name));
  const type = res.headers.get("content-type") ?? "";
  const body = type.startsWith("text/") || type.includes("json")
    ? await res.text()
    : await res.bytes();
  return new Response(body, { headers });
}

if (import.meta.main) {
  const [mode, port, ...named] = Deno.args;
  if (!(BARE_MODES as readonly string[]).includes(mode) || !port) {
    console.error(`usage: bare_server.ts ${BARE_MODES.join("|")} PORT [NAME=FILE ...]`);
    Deno.exit(2);
  }
  const files = Object.fromEntries(named.map((x) => x.split("=", 2) as [string, string]));
  const handler = await bareHandler(mode as BareMode, files);
  // Exit normally on SIGTERM, so that `--cpu-prof` writes its profile.
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  Deno.serve({ port: Number(port), hostname: "127.0.0.1", onListen() {} }, handler);
}
