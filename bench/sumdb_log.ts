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
import { type AtOnceRow, cpuPerRequestAtOnce } from "./at_once.ts";
import { BARE_TILE_NAME, SAME_WORK_NAME } from "./bare_server.ts";
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
   * Server CPU per request loaded at once: the bare same-work server, the bare server with
   * a tile-sized body, `.info`, lookup and full tile (each from its own modyard process over
   * the one store). Absent in old data and when no bare servers were given.
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
  /** Bare servers (running, pinned by the caller) for the CPU-at-once comparison. */
  bare?: { same: Target; tile: Target };
  /** Records in the log before the load (default 300: one full tile and a partial one). */
  records?: number;
  /** Zips per publishing round (default 50). */
  publishZips?: number;
  /** Bytes of random payload per zip (default 10,000: small, so the log's share shows). */
  publishPayload?: number;
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
 * Runs the scenario: a store with owner `logon` (log enabled, `records` versions published)
 * and `logoff` (no log), one server over it; measures; stops the server.
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
    log(`sumdb log: publishing ${records} versions into the log of logon`);
    for (let i = 0; i < records; i++) {
      await upload(server.url, "logon", onToken, await storedZip(MODULE, `v1.0.${i}`, 100));
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
      {
        name: ".info",
        url: `${server.url}/api/packages/logon/go/${MODULE}/@v/v1.0.7.info`,
        pids: mod,
        threads: o.threads,
      },
      { name: "lookup", url: lookupUrl, pids: mod, threads: o.threads },
      { name: "full tile (8,192 bytes)", url: fullTile, pids: mod, threads: o.threads },
      {
        name: `partial tile (${fmt((tail || 256) * 32)} bytes)`,
        url: partialTile,
        pids: mod,
        threads: o.threads,
      },
    ], o);

    let atOnce: AtOnceRow[] | undefined;
    if (o.bare) {
      log("sumdb log: CPU per request, .info, lookup and full tile from three new servers at once");
      // Three new processes alike (each warmed up alone first), so that none has the main
      // server's longer history (its heap grown by the uploads and the loads before).
      const more = [
        await spawnModyard(kvPath),
        await spawnModyard(kvPath),
        await spawnModyard(kvPath),
      ];
      try {
        const url = (s: { url: string }, u: string) => s.url + u.slice(server.url.length);
        const pids = more.map((s) => s.pid);
        if (o.serverCpus !== undefined) await pinProcesses(pids, o.serverCpus);
        atOnce = await cpuPerRequestAtOnce([
          o.bare.same,
          o.bare.tile,
          { name: ".info", url: url(more[0], infoUrl), pids: [pids[0]] },
          { name: "lookup", url: url(more[1], lookupUrl), pids: [pids[1]] },
          { name: "full tile (8,192 bytes)", url: url(more[2], fullTile), pids: [pids[2]] },
        ], { connections: 32, seconds: o.seconds, rounds: o.rounds, wrkCpus: o.wrkCpus });
      } finally {
        for (const s of more) await s.stop();
      }
    }
    if (o.serverCpus !== undefined) await pinProcesses(mod, allCpus());
    log(`sumdb log: ${o.rounds} rounds of ${zips} uploads, log on and off`);
    const publish: SumdbLogResult["publish"] = { zips, zipSize: 0, onMs: [], offMs: [] };
    for (let round = 0; round < o.rounds; round++) {
      let on = 0, off = 0;
      for (let i = 0; i < zips; i++) {
        const bytes = await storedZip(`pub${round}.example/m${i}`, "v1.0.0", payload);
        publish.zipSize = bytes.byteLength;
        // Alternate which owner gets the zip first, so neither side always follows the other.
        if ((round + i) % 2 === 0) {
          on += await upload(server.url, "logon", onToken, bytes);
          off += await upload(server.url, "logoff", offToken, bytes);
        } else {
          off += await upload(server.url, "logoff", offToken, bytes);
          on += await upload(server.url, "logon", onToken, bytes);
        }
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
 * Lowest ratio to `.info` on the same server that lookups and full tiles must reach: "at
 * metadata speed" (issue 12), with room for run-to-run spread.
 */
export const LOG_READ_TARGET = 0.9;
/** Highest ratio of publishing time with the log to without it. */
export const LOG_PUBLISH_TARGET = 1.1;

/** Publish time with the log on ÷ off (medians of the rounds). */
function publishRatio(r: SumdbLogResult): number {
  return median(r.publish.onMs) / median(r.publish.offMs);
}

/**
 * The read figures the summary judges: by CPU per request when the at-once measurement ran
 * (lookup ÷ `.info`; full tile ÷ `.info` relative to what the same 8 KiB cost a bare server),
 * else by request rate.
 */
function readFigures(
  r: SumdbLogResult,
): { value: number; how: string; ours: string; anchor: string } {
  const cpu = (name: string) => r.atOnce?.find((x) => x.name === name)?.usPerRequest;
  const [same, tile, info, lookup, full] = [
    cpu(SAME_WORK_NAME),
    cpu(BARE_TILE_NAME),
    cpu(".info"),
    cpu("lookup"),
    cpu("full tile (8,192 bytes)"),
  ];
  if (same && tile && info && lookup && full) {
    const lookupRatio = info / lookup;
    const tileRatio = (info / full) / (same / tile);
    return {
      value: Math.min(lookupRatio, tileRatio),
      how: "by CPU/request",
      ours: `lookup ${fmt(lookup, 1)} µs, tile ${fmt(full, 1)} µs`,
      anchor: `.info ${fmt(info, 1)} µs; 8 KiB: bare ×${fmt(tile / same, 2)}`,
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
  if (!rows || rows.length === 0) return "";
  const info = rows.find((x) => x.name === ".info")!;
  return `Request rates measured one after another move with the machine (above: a server's runs spread
by a third). Server CPU per request does not: the bare same-work server (bench/bare_server.ts
\`same\`), the same with an 8,192-byte body (\`tile\`), and \`.info\`, a lookup and the full tile
each from its own new modyard process over the one store, all loaded at the same time (one wrk each, 32
connections, ${info.rounds.length} rounds):

${
    table(
      ["server", "µs/request", "÷ .info", "rounds (µs/request)", "errors"],
      ["---", "---:", "---:", "---", "---:"],
      rows.map((x) => [
        x.name,
        fmt(x.usPerRequest, 2),
        fmt(x.usPerRequest / info.usPerRequest, 2),
        x.rounds.map((v) => fmt(v, 2)).join(", "),
        String(x.errors ?? "—"),
      ]),
    )
  }

${
    readFigures(r).how === "by CPU/request"
      ? `Read at CPU per request: a lookup costs ${
        fmt(rows.find((x) => x.name === "lookup")!.usPerRequest / info.usPerRequest, 2)
      }× an \`.info\`; a full tile ${
        fmt(
          rows.find((x) => x.name.startsWith("full tile"))!.usPerRequest / info.usPerRequest,
          2,
        )
      }× — its 8 KiB cost a bare server ${
        fmt(
          rows.find((x) => x.name === BARE_TILE_NAME)!.usPerRequest /
            rows.find((x) => x.name === SAME_WORK_NAME)!.usPerRequest,
          2,
        )
      }× the small body. The summary's figure is the lower of .info ÷ lookup and
(.info ÷ tile) ÷ (bare small ÷ bare 8 KiB).

`
      : ""
  }`;
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
  } records (versions published through the server), owner \`logoff\` has none. Lookups, the
full tile \`tile/8/0/000\` and the newest partial tile, loaded in turn with an \`.info\` of the same
server and the bare \`Deno.serve\` small-JSON anchor of the metadata scenario (wrk
\`-t${r.threads}\`, ${r.connections} connections; pinned as the metadata scenario is). "At metadata
speed" is read as: lookups and full tiles at ≥ ${LOG_READ_TARGET}× that \`.info\`.

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

Log on ÷ off: ${fmt(publishRatio(r), 2)}× (the target: at most ${LOG_PUBLISH_TARGET}×).
`;
}
