/**
 * The web UI's render time (issue 13): a public module with 200 versions, each zip carrying
 * a 50 KiB README, and its module page and version page requested one at a time, in process,
 * through `app.fetch` (no sockets: the time is the app's — routing, reads, README rendering,
 * templates — plus reading the whole body). The first request (which loads the UI code
 * lazily) is reported apart; then a warm-up, then the measured requests (served from
 * whatever the UI caches, as in production). A last row views every other version's page
 * once, so nothing of it is cached: the uncached render time. `/healthz` through the same
 * `app.fetch` is the floor the pages are read beside. Target: module page median under
 * 50 ms.
 *
 * Run alone: `deno run -A bench/web_ui.ts` (BENCH_WEB_REQUESTS (200), BENCH_WEB_VERSIONS
 * (200), BENCH_WEB_README_KIB (50)); prints the section.
 *
 * @module
 */

import { createApp } from "../src/app.ts";
import { createToken, createUser } from "../src/registry/accounts.ts";
import { openStore } from "../src/store/open_store.ts";
import { moduleUrl, versionUrl } from "../src/web/urls.ts";
import { moduleZip } from "../tests/helpers/zip.ts";
import { fmt, ok, table } from "./markdown.ts";

/** One page's timings. */
export interface WebUiRow {
  /** What was requested. */
  name: string;
  /** Path requested. */
  path: string;
  /** Status of the measured answers (all must agree). */
  status: number;
  /** Body bytes of the last answer. */
  bytes: number;
  /** Milliseconds of the very first request (the UI code loads then). */
  firstMs: number;
  /** Milliseconds of each measured request, in order. */
  ms: number[];
}

/** What the scenario measured. */
export interface WebUiResult {
  /** Versions of the module. */
  versions: number;
  /** Bytes of the README in every version. */
  readmeBytes: number;
  /** Requests warmed up per page before measuring. */
  warmup: number;
  /** Requests measured per page. */
  requests: number;
  /**
   * `/healthz` (the floor), the module page, the version page (repeated requests), then each
   * other version's page viewed once (uncached).
   */
  rows: WebUiRow[];
  /** Seconds the 200 uploads took (setup, not a target). */
  seedSeconds: number;
}

/** How to run it. */
export interface WebUiOptions {
  /** Versions published (default 200). */
  versions?: number;
  /** README bytes (default 51,200). */
  readmeBytes?: number;
  /** Requests per page before measuring (default 20). */
  warmup?: number;
  /** Measured requests per page (default 200). */
  requests?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The module of the scenario. */
export const WEB_UI_MODULE = "example.com/bigreadme";
const OWNER = "webbench";

/**
 * A Markdown README of exactly `bytes` bytes (ASCII): headings, paragraphs with emphasis and
 * links (relative and absolute), lists, code blocks and tables, repeated — what a large real
 * README mixes, so the renderer and sanitiser do representative work.
 *
 * @example
 * ```ts
 * benchReadme(51_200).length; // 51200
 * ```
 */
export function benchReadme(bytes: number): string {
  const parts = [`# ${WEB_UI_MODULE}\n\nA module with a long README, for the UI benchmark.\n\n`];
  let size = parts[0].length;
  for (let i = 1; size < bytes; i++) {
    const section = `## Section ${i}\n\n` +
      `Paragraph ${i} has *emphasis*, **strong text**, \`inline code\`, a [relative link](docs/s${i}.md) ` +
      `and an [absolute one](https://example.com/s/${i}). Lorem ipsum dolor sit amet, ` +
      `consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\n\n` +
      `- item one of ${i}\n- item two with \`code\`\n  - nested item\n\n` +
      "```go\nfunc Example" + i + '() {\n\tfmt.Println("section ' + i + '")\n}\n```\n\n' +
      `| key | value |\n| --- | --- |\n| a${i} | ${i * 7} |\n| b${i} | ${i * 11} |\n\n`;
    parts.push(section);
    size += section.length;
  }
  return parts.join("").slice(0, bytes);
}

/** The version names: 200 of them in a realistic mix (releases, pre-releases). */
function versionNames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    out.push(`v1.${Math.floor(i / 5)}.${i % 5}`);
    if (i % 10 === 9 && out.length < n) out.push(`v1.${Math.floor(i / 5) + 1}.0-rc.1`);
  }
  return out;
}

async function timed(fetcher: (r: Request) => Response | Promise<Response>, url: string) {
  const started = performance.now();
  const res = await fetcher(new Request(url));
  const body = new Uint8Array(await res.arrayBuffer());
  return { ms: performance.now() - started, status: res.status, bytes: body.byteLength };
}

/**
 * Runs the scenario over an in-memory store and returns the timings.
 *
 * @example
 * ```ts
 * console.log(renderWebUiSection(await measureWebUi({ requests: 200 })));
 * ```
 */
export async function measureWebUi(o: WebUiOptions = {}): Promise<WebUiResult> {
  const log = o.log ?? ((line: string) => console.error(line));
  const versions = versionNames(o.versions ?? 200);
  const readmeBytes = o.readmeBytes ?? 50 * 1024;
  const warmup = o.warmup ?? 20;
  const requests = o.requests ?? 200;
  const kv = await openStore(":memory:");
  const app = createApp(kv, {
    maxZipSize: 100 * 1024 * 1024,
    uploadStallSeconds: 120,
    sweepIntervalMs: 0,
  });
  try {
    await createUser(kv, OWNER);
    const { token } = await createToken(kv, OWNER, { scope: "write" });
    const auth = "Basic " + btoa(`${OWNER}:${token}`);
    const readme = benchReadme(readmeBytes);
    const base = "http://modyard.bench";
    const seedStarted = performance.now();
    log(`web UI: publishing ${versions.length} versions with a ${readmeBytes}-byte README`);
    for (const version of versions) {
      const zip = await moduleZip(WEB_UI_MODULE, version, {
        "go.mod": `module ${WEB_UI_MODULE}\n\ngo 1.19\n\nrequire example.com/dep v1.0.0\n\n` +
          `retract v1.0.1 // published by mistake\n`,
        "README.md": readme,
        "bigreadme.go": `// Package bigreadme is benchmark filler.\npackage bigreadme\n`,
        "docs/guide.md": "# Guide\n",
      });
      const res = await app.fetch(
        new Request(`${base}/api/packages/${OWNER}/go/upload`, {
          method: "PUT",
          body: zip as Uint8Array<ArrayBuffer>,
          headers: { authorization: auth },
        }),
      );
      const text = await res.text();
      if (res.status !== 201) throw new Error(`upload ${version}: ${res.status} ${text}`);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    // A few downloads, so the chart has bars to draw.
    for (const version of versions.slice(-20)) {
      const res = await app.fetch(
        new Request(`${base}/api/packages/${OWNER}/go/${WEB_UI_MODULE}/@v/${version}.zip`),
      );
      await res.body?.cancel();
    }

    const pages = [
      { name: "/healthz (floor)", path: "/healthz" },
      { name: "module page", path: moduleUrl(OWNER, WEB_UI_MODULE) },
      // Another version than the module page's latest: its first request renders a README
      // no earlier request has.
      {
        name: "version page",
        path: versionUrl(OWNER, WEB_UI_MODULE, versions[Math.floor(versions.length / 2)]),
      },
    ];
    const rows: WebUiRow[] = [];
    for (const page of pages) {
      const url = base + page.path;
      const first = await timed(app.fetch, url);
      if (first.status !== 200) throw new Error(`${page.path}: ${first.status}`);
      for (let i = 0; i < warmup; i++) await timed(app.fetch, url);
      const ms: number[] = [];
      let last = first;
      for (let i = 0; i < requests; i++) {
        last = await timed(app.fetch, url);
        if (last.status !== first.status) throw new Error(`${page.path}: ${last.status}`);
        ms.push(last.ms);
      }
      rows.push({ ...page, status: last.status, bytes: last.bytes, firstMs: first.ms, ms });
      log(`web UI: ${page.name} median ${fmt(percentile(ms, 50), 2)} ms`);
    }
    // Every other version's page once: no earlier request rendered its README or read its
    // zip's directory, so this is the render time without the UI's caches.
    const seen = new Set([versions.at(-1), versions[Math.floor(versions.length / 2)]]);
    const cold = versions.filter((v) => !seen.has(v));
    if (cold.length > 0) {
      const ms: number[] = [];
      let last = { status: 0, bytes: 0 };
      for (const version of cold) {
        const path = versionUrl(OWNER, WEB_UI_MODULE, version);
        const answer = await timed(app.fetch, base + path);
        if (answer.status !== 200) throw new Error(`${path}: ${answer.status}`);
        ms.push(answer.ms);
        last = answer;
      }
      rows.push({
        name: `version pages, first view of each of ${cold.length}`,
        path: versionUrl(OWNER, WEB_UI_MODULE, "…"),
        status: last.status,
        bytes: last.bytes,
        firstMs: ms[0],
        ms,
      });
      log(`web UI: first views median ${fmt(percentile(ms, 50), 2)} ms`);
    }
    return { versions: versions.length, readmeBytes, warmup, requests, rows, seedSeconds };
  } finally {
    await app.close();
    kv.close();
  }
}

/**
 * The `p`-th percentile (nearest rank) of `values`.
 *
 * @example
 * ```ts
 * percentile([3, 1, 2], 50); // 2
 * ```
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The target: the module page's median render time, in milliseconds. */
export const WEB_UI_TARGET_MS = 50;

/** The section of docs/benchmarks.md. */
export function renderWebUiSection(r: WebUiResult): string {
  const module = r.rows.find((row) => row.name === "module page");
  const rows = r.rows.map((row) => [
    row.name,
    String(row.status),
    fmt(row.bytes),
    fmt(row.firstMs, 1),
    fmt(percentile(row.ms, 50), 2),
    fmt(percentile(row.ms, 95), 2),
    fmt(Math.max(...row.ms), 2),
  ]);
  const median = module ? percentile(module.ms, 50) : NaN;
  return `## Web UI render time

bench/web_ui.ts: one public module with ${fmt(r.versions)} versions, each zip with a ${
    fmt(r.readmeBytes)
  }-byte
Markdown README; its pages requested one at a time in process through \`app.fetch\` (no sockets),
the body read to the end: the first request (which loads the UI code) apart, then ${r.warmup}
warm-up requests, then ${r.requests} measured ones per page; the last row views every other
version's page once (nothing of it cached: README rendering and zip reads included). Publishing the versions took ${
    fmt(r.seedSeconds, 1)
  } s.

${
    table(
      ["page", "status", "bytes", "first request (ms)", "median (ms)", "p95 (ms)", "max (ms)"],
      ["---", "---:", "---:", "---:", "---:", "---:", "---:"],
      rows,
    )
  }

Module page median under ${WEB_UI_TARGET_MS} ms: ${ok(median < WEB_UI_TARGET_MS)} (${
    fmt(median, 2)
  } ms).
`;
}

if (import.meta.main) {
  const env = (name: string, fallback: number) => {
    const n = Number(Deno.env.get(name) ?? fallback);
    if (!(n > 0)) throw new RangeError(`Cannot use ${name}="${Deno.env.get(name)}"`);
    return n;
  };
  const result = await measureWebUi({
    requests: env("BENCH_WEB_REQUESTS", 200),
    versions: env("BENCH_WEB_VERSIONS", 200),
    readmeBytes: env("BENCH_WEB_README_KIB", 50) * 1024,
  });
  console.log(renderWebUiSection(result));
}
