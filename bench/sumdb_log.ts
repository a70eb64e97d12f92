/**
 * The owners' checksum logs under load (issue 12): (a) lookups and tiles of a log of N records
 * at 64 connections, beside the bare `Deno.serve` small-JSON anchor of the metadata scenario,
 * loaded the same way in the same run; (b) publishing with the log on against publishing with
 * it off: the same zips, uploaded to the same server, alternately to an owner with a log and
 * one without, one upload at a time.
 *
 * @module
 */

import { type Compared, type CompareOptions, compareTargets, type Target } from "./compare.ts";
import { storedZip } from "./fixtures.ts";
import { fmt, ok, ratio, table } from "./markdown.ts";
import { spawnModyard } from "./modyard_server.ts";
import { allCpus, pinProcesses } from "./pinning.ts";
import { type AtOnceRow, cpuPerRequestAtOnce, renderAtOnceTable } from "./at_once.ts";
import { median } from "./wrk.ts";
import { runCli } from "../tests/helpers/server.ts";
import { openStore } from "../src/store/open_store.ts";
import { enableLog } from "../src/sumdb_log/enable.ts";

/** What the scenario measured. */
export interface SumdbLogResult {
  /** Records in the log served. */
  records: number;
  /** Connections of the comparison. */
  connections: number;
  /** wrk threads used. */
  threads: number;
  /** The anchor first, then `.info`, lookup, full tile, partial tile. */
  rows: Compared[];
  /**
   * Server CPU per request loaded at once: bare copies of the `.info`, lookup and full-tile
   * answers, then the three from modyard (each from its own process over the one store).
   * Absent when no mirror server could be started.
   */
  atOnce?: AtOnceRow[];
  /** Publishing with the log on and off. */
  publish: {
    /** Zips per round (each uploaded once to each owner). */
    zips: number;
    /** Bytes of each zip. */
    zipSize: number;
    /** Milliseconds for the round's uploads to the owner with a log, per round. */
    onMs: number[];
    /** Milliseconds for the same zips to the owner without a log, per round. */
    offMs: number[];
    /** Each zip's upload time with the log ÷ without it, over all rounds. */
    pairRatios: number[];
  };
}

/** How to run it. */
export interface SumdbLogOptions extends CompareOptions {
  /** Scratch directory. */
  dir: string;
  /** The bare `Deno.serve` small-body anchor (already running). */
  anchor: Target;
  /** wrk threads. */
  threads: number;
  /** CPUs the log's server is pinned to while loaded (`taskset -c` list; see pinning.ts). */
  serverCpus?: string;
  /**
   * Starts a bare server (bench/bare_server.ts mode `mirror`) answering `/NAME` with what
   * each URL answers, for the CPU-at-once comparison; the scenario stops it.
   */
  startMirror?: (
    urls: Record<string, string>,
  ) => Promise<{ url: string; pid: number; stop(): Promise<void> }>;
  /** Records in the log before the load (default 300: one full tile and a partial one). */
  records?: number;
  /** Zips per publishing round (default 50). */
  publishZips?: number;
  /** Bytes of random payload per zip (default 10,000: small, so the log's share shows). */
  publishPayload?: number;
}

/** Row name of the full tile. */
const FULL_TILE = "full tile (8,192 bytes)";

/** Row names of bare copies start with this. */
const COPY_PREFIX = "bare copy of ";

/** Row name of the bare copy of a read. */
function copyName(read: string): string {
  return COPY_PREFIX + read;
}

/** The module whose versions fill the log. */
const MODULE = "bench.example/logged";

async function cli(kvPath: string, args: string[]): Promise<string> {
  const out = await runCli(kvPath, args);
  if (out.code !== 0) throw new Error(`cli ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
}

/** Uploads a zip; returns the milliseconds it took (throws unless 201). */
async function upload(base: string, owner: string, token: string, zip: Uint8Array) {
  const started = performance.now();
  const res = await fetch(`${base}/api/packages/${owner}/go/upload`, {
    method: "PUT",
    body: zip as Uint8Array<ArrayBuffer>,
    headers: { authorization: "Basic " + btoa(`${owner}:${token}`) },
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload to ${owner}: ${res.status} ${text}`);
  return performance.now() - started;
}

/** GETs `url` and checks its status and body size. */
async function expectBody(url: string, size: number): Promise<void> {
  const res = await fetch(url);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200 || body.byteLength !== size) {
    throw new Error(`${url}: ${res.status}, ${body.byteLength} bytes (expected ${size})`);
  }
}

/**
 * Runs the scenario: a store with owners `logon` (log enabled) and `logoff` (no log), each
 * with the same `records` versions published, one server over it; measures; stops the server.
 *
 * @example
 * ```ts
 * const r = await measureSumdbLog({ dir, anchor, threads: 1, connections: 64, seconds: 10, rounds: 3, warmupSeconds: 2 });
 * console.log(renderSumdbLogSection(r));
 * ```
 */
export async function measureSumdbLog(o: SumdbLogOptions): Promise<SumdbLogResult> {
  const log = o.log ?? ((line: string) => console.error(line));
  const records = o.records ?? 300;
  const zips = o.publishZips ?? 50;
  const payload = o.publishPayload ?? 10_000;
  const kvPath = `${o.dir}/sumdb-log.kv`;
  for (const owner of ["logon", "logoff"]) await cli(kvPath, ["user", "create", owner]);
  const onToken = await cli(kvPath, ["token", "create", "logon", "--scope", "write"]);
  const offToken = await cli(kvPath, ["token", "create", "logoff", "--scope", "write"]);
  const kv = await openStore(kvPath);
  let name: string;
  try {
    name = (await enableLog(kv, "logon")).name;
  } finally {
    kv.close();
  }

  const server = await spawnModyard(kvPath);
  try {
    log(`sumdb log: publishing ${records} versions into the log of logon (and to logoff)`);
    for (let i = 0; i < records; i++) {
      const zip = await storedZip(MODULE, `v1.0.${i}`, 100);
      await upload(server.url, "logon", onToken, zip);
      // The same versions without a log: the two owners differ in their logs only.
      await upload(server.url, "logoff", offToken, zip);
    }
    const base = `${server.url}/api/packages/logon/go/sumdb/${name}`;
    const lookupUrl = `${base}/lookup/${MODULE}@v1.0.7`;
    const fullTile = `${base}/tile/8/0/000`;
    const tail = records % 256;
    const partialTile = `${base}/tile/8/0/${String(Math.floor(records / 256)).padStart(3, "0")}${
      tail ? `.p/${tail}` : ""
    }`;
    await expectBody(fullTile, 8192);
    await expectBody(partialTile, (tail || 256) * 32);
    const lookup = await fetch(lookupUrl);
    if (lookup.status !== 200) throw new Error(`${lookupUrl}: ${lookup.status}`);
    await lookup.body?.cancel();

    log(`sumdb log: lookups and tiles at ${o.connections} connections`);
    const mod = [server.pid];
    const infoUrl = `${server.url}/api/packages/logon/go/${MODULE}/@v/v1.0.7.info`;
    if (o.serverCpus !== undefined) await pinProcesses(mod, o.serverCpus);
    const rows = await compareTargets([
      { ...o.anchor, threads: o.threads },
      { name: ".info", url: infoUrl, pids: mod, threads: o.threads },
      { name: "lookup", url: lookupUrl, pids: mod, threads: o.threads },
      { name: FULL_TILE, url: fullTile, pids: mod, threads: o.threads },
      {
        name: `partial tile (${fmt((tail || 256) * 32)} bytes)`,
        url: partialTile,
        pids: mod,
        threads: o.threads,
      },
    ], o);

    let atOnce: AtOnceRow[] | undefined;
    if (o.startMirror) {
      log(
        "sumdb log: CPU per request, .info, lookup and full tile from three new servers and " +
          "three bare copies at once",
      );
      // Three new processes alike (each warmed up alone first), so that none has the main
      // server's longer history (its heap grown by the uploads and the loads before), and a
      // bare server answering each one's exact bytes and headers.
      const reads = [[".info", infoUrl], ["lookup", lookupUrl], [FULL_TILE, fullTile]];
      const ours = [];
      const copies = [];
      try {
        for (const [name, u] of reads) {
          const s = await spawnModyard(kvPath);
          ours.push({ name, url: s.url + u.slice(server.url.length), pids: [s.pid], stop: s.stop });
          const c = await o.startMirror({ copy: u });
          copies.push({ name: copyName(name), url: `${c.url}/copy`, pids: [c.pid], stop: c.stop });
        }
        const targets = [...copies, ...ours];
        if (o.serverCpus !== undefined) {
          await pinProcesses(targets.flatMap((t) => t.pids), o.serverCpus);
        }
        atOnce = await cpuPerRequestAtOnce(
          targets.map(({ name, url, pids }) => ({ name, url, pids })),
          { connections: 32, seconds: o.seconds, rounds: o.rounds, wrkCpus: o.wrkCpus },
        );
      } finally {
        for (const t of [...ours, ...copies]) await t.stop();
      }
    }
    if (o.serverCpus !== undefined) await pinProcesses(mod, allCpus());
    log(`sumdb log: ${o.rounds} rounds of ${zips} uploads, log on and off`);
    const publish: SumdbLogResult["publish"] = {
      zips,
      zipSize: 0,
      onMs: [],
      offMs: [],
      pairRatios: [],
    };
    for (let round = 0; round < o.rounds; round++) {
      let on = 0, off = 0;
      for (let i = 0; i < zips; i++) {
        const bytes = await storedZip(`pub${round}.example/m${i}`, "v1.0.0", payload);
        publish.zipSize = bytes.byteLength;
        // Alternate which owner gets the zip first, so neither side always follows the other.
        let withLog, without;
        if ((round + i) % 2 === 0) {
          withLog = await upload(server.url, "logon", onToken, bytes);
          without = await upload(server.url, "logoff", offToken, bytes);
        } else {
          without = await upload(server.url, "logoff", offToken, bytes);
          withLog = await upload(server.url, "logon", onToken, bytes);
        }
        on += withLog;
        off += without;
        publish.pairRatios.push(withLog / without);
      }
      publish.onMs.push(on);
      publish.offMs.push(off);
      log(`  round ${round + 1}: log on ${fmt(on)} ms, log off ${fmt(off)} ms`);
    }
    return { records, connections: o.connections, threads: o.threads, rows, atOnce, publish };
  } finally {
    await server.stop();
  }
}

/**
 * "At metadata speed" (issue 12), with room for run-to-run spread: the lowest ratio that
 * modyard's CPU per `.info` beyond its bare copy's, divided by the same for a lookup or a
 * full tile, may reach (or, without CPU figures, their request rates ÷ the `.info`'s).
 */
export const LOG_READ_TARGET = 0.9;
/** Highest ratio of publishing time with the log to without it. */
export const LOG_PUBLISH_TARGET = 1.1;

/**
 * Publish time with the log on ÷ off: the median of the zips' paired ratios (one upload's
 * stall — a GC, a disk flush — moves a round's total by a third of the difference measured,
 * and falls on either side by chance), else of the rounds' totals.
 */
function publishRatio(r: SumdbLogResult): number {
  const pairs = r.publish.pairRatios;
  return pairs?.length ? median(pairs) : totalsRatio(r);
}

/** The arithmetic mean. */
function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Publish time with the log on ÷ off, medians of the rounds' totals. */
function totalsRatio(r: SumdbLogResult): number {
  return median(r.publish.onMs) / median(r.publish.offMs);
}

/**
 * Each read's CPU per request over its bare copy's, divided by the same for `.info`: how
 * much more (below 1) or less modyard spends on a lookup or tile beyond its bytes than on an
 * `.info` beyond its bytes. `undefined` without the at-once figures.
 */
function readsAtOnce(r: SumdbLogResult): { lookup: number; tile: number } | undefined {
  const cpu = (name: string) => r.atOnce?.find((x) => x.name === name)?.usPerRequest;
  const overhead = (read: string) => {
    const [ours, copy] = [cpu(read), cpu(copyName(read))];
    return ours && copy ? ours / copy : undefined;
  };
  const [info, lookup, tile] = [overhead(".info"), overhead("lookup"), overhead(FULL_TILE)];
  return info && lookup && tile ? { lookup: info / lookup, tile: info / tile } : undefined;
}

/**
 * The read figures the summary judges: by CPU per request when the at-once measurement ran
 * (the lower of {@link readsAtOnce}'s two), else by request rate (the lower of lookup and
 * full tile ÷ `.info`).
 */
function readFigures(
  r: SumdbLogResult,
): { value: number; how: string; ours: string; anchor: string } {
  const cpu = (name: string) => r.atOnce?.find((x) => x.name === name)?.usPerRequest ?? 0;
  const reads = readsAtOnce(r);
  if (reads) {
    return {
      value: Math.min(reads.lookup, reads.tile),
      how: "by CPU/request beyond the bytes",
      ours: `lookup ${fmt(cpu("lookup"), 1)} µs, tile ${fmt(cpu(FULL_TILE), 1)} µs`,
      anchor: `.info ${fmt(cpu(".info"), 1)} µs; bare copies ${
        [".info", "lookup", FULL_TILE].map((x) => fmt(cpu(copyName(x)), 1)).join(" / ")
      } µs`,
    };
  }
  const rows = readRows(r);
  return {
    value: Math.min(rows.lookup.rps, rows.full.rps) / rows.info.rps,
    how: "by rate",
    ours: `${fmt(Math.min(rows.lookup.rps, rows.full.rps))} req/s`,
    anchor: `.info ${fmt(rows.info.rps)} req/s`,
  };
}

/** The summary rows of the report: lookups and full tiles, and publishing. */
export function sumdbLogSummaryRows(r: SumdbLogResult): string[][] {
  const read = readFigures(r);
  const pub = publishRatio(r);
  return [
    [
      `checksum log reads, ${r.connections} conns (lower of lookup / full tile, ${read.how})`,
      read.ours,
      read.anchor,
      ratio(read.value, LOG_READ_TARGET),
      `≥ ${LOG_READ_TARGET}×`,
      ok(read.value >= LOG_READ_TARGET),
    ],
    [
      "publish with the checksum log on",
      `${fmt(median(r.publish.onMs) / r.publish.zips, 1)} ms/zip`,
      `log off ${fmt(median(r.publish.offMs) / r.publish.zips, 1)} ms/zip`,
      `${fmt(pub, 2)}×`,
      `≤ ${LOG_PUBLISH_TARGET}×`,
      ok(pub <= LOG_PUBLISH_TARGET),
    ],
  ];
}

/** The rows of the read load by role (data of runs before the `.info` row have none). */
function readRows(
  r: SumdbLogResult,
): { anchor: Compared; info: Compared; lookup: Compared; full: Compared } {
  const byName = (prefix: string) => r.rows.find((c) => c.name.startsWith(prefix));
  const anchor = r.rows[0];
  return {
    anchor,
    info: byName(".info") ?? anchor,
    lookup: byName("lookup")!,
    full: byName("full tile")!,
  };
}

/** The at-once CPU table of the section, or `""`. */
function renderAtOnce(r: SumdbLogResult): string {
  const rows = r.atOnce;
  const reads = readsAtOnce(r);
  if (!rows || !reads) return "";
  const us = (name: string) => rows.find((x) => x.name === name)!.usPerRequest;
  const info = us(".info");
  return `Request rates measured one after another move with the machine (above: a server's runs spread
by a third). Server CPU per request does not: \`.info\`, a lookup and the full tile, each from its
own new modyard process over the one store, and beside each a bare copy of its answer
(bench/bare_server.ts \`mirror\`: a bare \`Deno.serve\` sending the same body and headers,
fetched from modyard once), all loaded at the same time (one wrk each, 32 connections,
${rows[0].rounds.length} rounds):

${
    renderAtOnceTable(rows, [
      { heading: "÷ .info", cell: (x) => fmt(x.usPerRequest / info, 2) },
      {
        heading: "÷ its bare copy",
        cell: (x) =>
          x.name.startsWith(COPY_PREFIX) ? "" : fmt(x.usPerRequest / us(copyName(x.name)), 2),
      },
    ])
  }

A lookup costs ${fmt(us("lookup") / info, 2)}× an \`.info\` and a full tile ${
    fmt(us(FULL_TILE) / info, 2)
  }×; their bare copies cost ${fmt(us(copyName("lookup")) / us(copyName(".info")), 2)}× and ${
    fmt(us(copyName(FULL_TILE)) / us(copyName(".info")), 2)
  }×
the \`.info\`'s copy: that much is what Deno spends on the bigger bodies (a lookup is ~330 bytes
to an \`.info\`'s ~50). What modyard adds beyond its bytes, relative to \`.info\`:
lookup ${fmt(reads.lookup, 2)}×, tile ${fmt(reads.tile, 2)}× (the summary's figure is the lower).

`;
}

/** The report's section on the checksum logs. */
export function renderSumdbLogSection(r: SumdbLogResult): string {
  const { anchor, info } = readRows(r);
  const rows = r.rows.map((c) => [
    c.name,
    fmt(c.rps),
    fmt(c.rps / anchor.rps, 2),
    fmt(c.rps / info.rps, 2),
    c.runs.map((x) => fmt(x.rps)).join(", "),
    String(c.errors),
    fmt(c.othersMax, 2),
  ]);
  const p = r.publish;
  const ms = (xs: number[]) => xs.map((x) => fmt(x)).join(", ");
  return `## Checksum logs

bench/sumdb_log.ts: one server; owner \`logon\` has a checksum log of ${
    fmt(r.records)
  } records (versions published through the server), owner \`logoff\` the same versions and no
log. Lookups, the
full tile \`tile/8/0/000\` and the newest partial tile, loaded in turn with an \`.info\` of the same
server and the bare \`Deno.serve\` small-JSON anchor of the metadata scenario (wrk
\`-t${r.threads}\`, ${r.connections} connections; pinned as the metadata scenario is). "At metadata
speed" is read as: modyard spends on a lookup or a full tile, beyond what its bytes cost a
bare \`Deno.serve\`, no more than on an \`.info\` beyond its bytes, within ${
    fmt(100 - LOG_READ_TARGET * 100)
  } %
(CPU per request, below); without that measurement, their rates ≥ ${LOG_READ_TARGET}× the \`.info\`'s.

${
    table(
      [
        "request",
        "requests/s",
        "× anchor",
        "× .info",
        "runs (req/s)",
        "errors",
        "others' CPU (max)",
      ],
      ["---", "---:", "---:", "---:", "---", "---:", "---:"],
      rows,
    )
  }

${renderAtOnce(r)}**Publishing**: ${p.zips} zips of ${
    fmt(p.zipSize)
  } bytes per round, each uploaded once to \`logon\` and once to \`logoff\` (alternating which
goes first), one upload at a time, to the same server.

${
    table(["", "median (ms)", "per zip (ms)", "rounds (ms)"], ["---", "---:", "---:", "---"], [
      ["log on", fmt(median(p.onMs)), fmt(median(p.onMs) / p.zips, 1), ms(p.onMs)],
      ["log off", fmt(median(p.offMs)), fmt(median(p.offMs) / p.zips, 1), ms(p.offMs)],
    ])
  }

Log on ÷ off: ${fmt(publishRatio(r), 2)}× (the median of the ${
    fmt(p.pairRatios?.length ?? 0)
  } zips' paired ratios; the target: at most ${LOG_PUBLISH_TARGET}×); the rounds' total times: ${
    fmt(totalsRatio(r), 2)
  }×, and the zips' mean ${fmt(mean(p.pairRatios ?? []), 2)}×.
`;
}
