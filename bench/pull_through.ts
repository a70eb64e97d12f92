/**
 * The pull-through cache under load (issue 11): (a) a cached `.zip` (pulled through once) served
 * at 64 connections beside the very same zip hosted by another owner of the same server; (b)
 * first-fetch overhead: N distinct module zips fetched once each through an owner with
 * pull-through on (upstream fetch, chunks into KV, zip checks, then the answer) against the
 * same files fetched directly from the upstream, one client, one request at a time.
 *
 * The upstream is a second modyard process; both run with their defaults, checksum-database
 * verification off (`--sumdb-upstream off`: the bench has no database).
 *
 * @module
 */

import { type Compared, type CompareOptions, compareTargets } from "./compare.ts";
import { storedZip } from "./fixtures.ts";
import { fmt, ok, ratio, table } from "./markdown.ts";
import { spawnModyard } from "./modyard_server.ts";
import { runCli } from "../tests/helpers/server.ts";
import { median } from "./wrk.ts";

/** What the scenario measured. */
export interface PullThroughResult {
  /** Bytes of the zip served at 64 connections. */
  zipSize: number;
  /** Connections of the comparison. */
  connections: number;
  /** wrk threads used. */
  threads: number;
  /** The hosted zip first, then the cached one. */
  rows: Compared[];
  /** First fetches. */
  first: {
    /** Distinct module zips per round. */
    modules: number;
    /** Bytes of each. */
    zipSize: number;
    /** Milliseconds for all `modules` fetches, directly from the upstream, per round. */
    directMs: number[];
    /** Milliseconds for the same number of first fetches through modyard, per round. */
    modyardMs: number[];
    /** Milliseconds for the same files again through modyard (now cached), per round. */
    cachedMs: number[];
  };
}

/** How to run it. */
export interface PullThroughOptions extends CompareOptions {
  /** Scratch directory. */
  dir: string;
  /** The zip file served at 64 connections (a module zip of `module`@v1.0.0). */
  zip: { file: string; module: string; size: number };
  /** wrk threads. */
  threads: number;
  /** Distinct modules per first-fetch round (default 50). */
  firstModules?: number;
  /** Bytes of random payload per first-fetch zip (default 100,000). */
  firstPayload?: number;
}

async function cli(kvPath: string, args: string[]): Promise<string> {
  const out = await runCli(kvPath, args);
  if (out.code !== 0) throw new Error(`cli ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
}

async function upload(base: string, owner: string, token: string, zip: Uint8Array) {
  const res = await fetch(`${base}/api/packages/${owner}/go/upload`, {
    method: "PUT",
    body: zip as Uint8Array<ArrayBuffer>,
    headers: { authorization: "Basic " + btoa(`${owner}:${token}`) },
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload to ${owner}: ${res.status} ${text}`);
}

/** GETs `url`, reads the whole body, and checks its status and size. */
async function getExactly(url: string, size: number): Promise<void> {
  const res = await fetch(url);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || body.byteLength !== size) {
    throw new Error(`${url}: ${res.status}, ${body.byteLength} bytes (expected ${size})`);
  }
}

/** Milliseconds to GET every URL once, one after the other (`sizes[i]`: bytes of `urls[i]`). */
async function timeAll(urls: string[], sizes: number[]): Promise<number> {
  const started = performance.now();
  for (const [i, url] of urls.entries()) await getExactly(url, sizes[i]);
  return performance.now() - started;
}

/**
 * Runs the scenario: starts the upstream and the pull-through server, measures, stops them.
 *
 * @example
 * ```ts
 * const r = await measurePullThrough({ dir, zip: f.one, threads: 1, connections: 64, seconds: 10, rounds: 3, warmupSeconds: 2 });
 * console.log(renderPullThroughSection(r));
 * ```
 */
export async function measurePullThrough(o: PullThroughOptions): Promise<PullThroughResult> {
  const log = o.log ?? ((line: string) => console.error(line));
  const modules = o.firstModules ?? 50;
  const payload = o.firstPayload ?? 100_000;
  const upKv = `${o.dir}/pt-upstream.kv`;
  const downKv = `${o.dir}/pt-downstream.kv`;
  await cli(upKv, ["user", "create", "up"]);
  const upToken = await cli(upKv, ["token", "create", "up", "--scope", "write"]);
  for (const owner of ["hosted", "acme"]) await cli(downKv, ["user", "create", owner]);
  const hostedToken = await cli(downKv, ["token", "create", "hosted", "--scope", "write"]);
  await cli(downKv, ["owner", "pull-through", "acme", "on"]);

  const upstream = await spawnModyard(upKv);
  const stops = [() => upstream.stop()];
  try {
    const upProxy = `${upstream.url}/api/packages/up/go`;
    const down = await spawnModyard(downKv, [], [
      "--upstream",
      upProxy,
      "--sumdb-upstream",
      "off",
    ]);
    stops.push(() => down.stop());
    const zip = await Deno.readFile(o.zip.file);
    await upload(upstream.url, "up", upToken, zip);
    await upload(down.url, "hosted", hostedToken, zip);
    const file = `/${o.zip.module}/@v/v1.0.0.zip`;
    const hostedUrl = `${down.url}/api/packages/hosted/go${file}`;
    const cachedUrl = `${down.url}/api/packages/acme/go${file}`;
    await getExactly(cachedUrl, zip.byteLength); // the one fill
    await getExactly(hostedUrl, zip.byteLength);

    log(
      `pull-through: cached vs hosted ${
        fmt(zip.byteLength)
      }-byte zip at ${o.connections} connections`,
    );
    const rows = await compareTargets([
      { name: "hosted zip", url: hostedUrl, pids: [down.pid], threads: o.threads },
      { name: "pulled-through zip (cached)", url: cachedUrl, pids: [down.pid], threads: o.threads },
    ], o);

    log(
      `pull-through: ${o.rounds} rounds of ${modules} first fetches of ${fmt(payload)}-byte zips`,
    );
    const first = {
      modules,
      zipSize: 0,
      directMs: [],
      modyardMs: [],
      cachedMs: [],
    } as PullThroughResult["first"];
    for (let round = 0; round < o.rounds; round++) {
      const paths: string[] = [];
      // Module names differ in length (m0 … m49), and so do their zips by a few bytes.
      const sizes: number[] = [];
      for (let i = 0; i < modules; i++) {
        const module = `first${round}.example/m${i}`;
        const bytes = await storedZip(module, "v1.0.0", payload);
        first.zipSize = bytes.byteLength;
        sizes.push(bytes.byteLength);
        await upload(upstream.url, "up", upToken, bytes);
        paths.push(`/${module}/@v/v1.0.0.zip`);
      }
      const direct = paths.map((p) => `${upProxy}${p}`);
      const through = paths.map((p) => `${down.url}/api/packages/acme/go${p}`);
      // Unmeasured: once directly, so the upstream serves both sides from the same warm state
      // (its hot-zip cache); then alternate which side goes first.
      await timeAll(direct, sizes);
      const sides = [
        async () => first.directMs.push(await timeAll(direct, sizes)),
        async () => first.modyardMs.push(await timeAll(through, sizes)),
      ];
      if (round % 2) sides.reverse();
      for (const side of sides) await side();
      first.cachedMs.push(await timeAll(through, sizes));
      log(
        `  round ${round + 1}: direct ${fmt(first.directMs.at(-1)!)} ms, first fetches ${
          fmt(first.modyardMs.at(-1)!)
        } ms, cached ${fmt(first.cachedMs.at(-1)!)} ms`,
      );
    }
    return { zipSize: zip.byteLength, connections: o.connections, threads: o.threads, rows, first };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

/** Ratio of the cached zip's rate to the hosted one's below which the report says "not met". */
export const SAME_RATE = 0.9;

/** The summary row of the report (cached vs hosted zip). */
export function pullThroughSummaryRow(r: PullThroughResult): string[] {
  const [hosted, cached] = r.rows;
  const x = cached.rps / hosted.rps;
  return [
    `pulled-through ${fmt(r.zipSize / 1048576, 0)} MiB zip (cached), ${r.connections} conns`,
    `${fmt(cached.rps * r.zipSize / 1e6)} MB/s`,
    `hosted ${fmt(hosted.rps * r.zipSize / 1e6)} MB/s`,
    ratio(x, SAME_RATE),
    `≥ ${SAME_RATE}× (same rate)`,
    ok(x >= SAME_RATE),
  ];
}

/** The report's section on the pull-through cache. */
export function renderPullThroughSection(r: PullThroughResult): string {
  const [hosted, cached] = r.rows;
  const f = r.first;
  const per = (ms: number[]) => median(ms) / f.modules;
  const overhead = per(f.modyardMs) - per(f.directMs);
  const rows = r.rows.map((c) => [
    c.name,
    fmt(c.rps),
    fmt(c.rps * r.zipSize / 1e6),
    fmt(c.rps / hosted.rps, 2),
    c.runs.map((x) => fmt(x.rps)).join(", "),
    String(c.errors),
    fmt(c.othersMax, 2),
  ]);
  const ms = (xs: number[]) => xs.map((x) => fmt(x)).join(", ");
  return `## Pull-through cache

bench/pull_through.ts: an upstream modyard in its own process, and the server under test with
\`--upstream\` pointing at it (\`--sumdb-upstream off\`). Owner \`hosted\` hosts the
${fmt(r.zipSize)}-byte zip; owner \`acme\` (pull-through on) got the same bytes from the upstream
once, so its answers come from the cache. Both on the same server, loaded in turn (wrk
\`-t${r.threads}\`, ${r.connections} connections).

${
    table(
      ["zip", "requests/s", "MB/s", "× hosted", "runs (req/s)", "errors", "others' CPU (max)"],
      ["---", "---:", "---:", "---:", "---", "---:", "---:"],
      rows,
    )
  }

Cached ÷ hosted: ${
    ratio(cached.rps / hosted.rps, SAME_RATE)
  } (the claim: the same rate; met at ≥ ${SAME_RATE}×).

**First fetches**: ${f.modules} distinct module zips of ${fmt(f.zipSize)} bytes per round, fetched
one after the other by one client: directly from the upstream, and through \`acme\` (each a first
fetch: upstream request, chunks into KV, x/mod zip checks, one commit, then the answer); then the
same files through \`acme\` again (cached). The upstream served every file once before each round,
so both sides find it equally warm; which side goes first alternates by round.

${
    table(["", "median (ms)", "per zip (ms)", "rounds (ms)"], ["---", "---:", "---:", "---"], [
      [
        "directly from the upstream",
        fmt(median(f.directMs)),
        fmt(per(f.directMs), 1),
        ms(f.directMs),
      ],
      [
        "first fetch through modyard",
        fmt(median(f.modyardMs)),
        fmt(per(f.modyardMs), 1),
        ms(f.modyardMs),
      ],
      ["through modyard, cached", fmt(median(f.cachedMs)), fmt(per(f.cachedMs), 1), ms(f.cachedMs)],
    ])
  }

First-fetch overhead: ${fmt(overhead, 1)} ms per zip (${
    fmt(median(f.modyardMs) / median(f.directMs), 2)
  }× the direct time).
`;
}
