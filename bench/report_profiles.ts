/**
 * The report's "where the gap comes from" section: the gap to nginx split into Deno's part and
 * modyard's, and modyard's CPU profiles beside its anchors', per request and by function.
 *
 * @module
 */

import type { Compared } from "./compare.ts";
import type { ProfileSummary } from "./cpu_profile.ts";
import { fmt, table } from "./markdown.ts";
import type { LoadProfile } from "./profile_load.ts";

/** A profile of modyard under a load, with its anchor's under the same load. */
export type ScenarioProfile = LoadProfile & {
  /** Scenario name. */
  name: string;
  /** Name of the anchor. */
  anchorName?: string;
  /** The anchor's profile. */
  anchor?: LoadProfile;
};

/** One download scenario, as the report sees it. */
export interface DownloadGap {
  /** Zip file name. */
  zip: string;
  /** Connections. */
  connections: number;
  /** Rows: nginx first, modyard last, the bare Deno servers between. */
  rows: Compared[];
  /** nginx. */
  nginx: Compared;
  /** modyard. */
  ours: Compared;
  /** modyard ÷ nginx. */
  ratio: number;
}

/** Renders the section. */
export function renderGapSection(
  profiles: ScenarioProfile[],
  dl: DownloadGap[],
  infoRatio: number,
  seconds: number,
): string {
  const share = (p: ProfileSummary, group: string) =>
    p.groups.find((g) => g.name === group)?.share ?? 0;
  const profileFacts = (p: ProfileSummary) => {
    const idle = share(p, "idle (waiting for I/O)");
    const busy = 1 - idle;
    const of = (g: string) => `${fmt(busy > 0 ? share(p, g) / busy * 100 : 0)} %`;
    const ours = p.functions.filter((f) => f.name.includes("src/")).slice(0, 4);
    return `the JavaScript thread was busy ${
      fmt(busy * 100)
    } % of the load window; of that busy time Deno's runtime JavaScript (streams, Response/Headers, serve glue) took ${
      of("Deno runtime (JS)")
    } (by file: ${
      (p.runtime ?? []).slice(0, 4).map((r) =>
        `${r.name} ${fmt(busy > 0 ? r.share / busy * 100 : 0)} %`
      )
        .join(", ")
    }), modyard's own code ${of("modyard / bench code")}, the garbage collector ${
      of("V8 garbage collector")
    } and native work ${of("native (runtime, I/O, V8 outside JS)")}${
      ours.length
        ? `; modyard's costliest functions: ${
          ours.map((f) => `\`${f.name}\` (${fmt(f.share * 100, 1)} %)`).join(", ")
        }`
        : ""
    }.`;
  };
  const gapSection = [
    ...dl.map((x, i) => {
      const deno = x.rows.slice(1, -1);
      const best = deno.reduce((a, b) => b.rps > a.rps ? b : a);
      const prof = profiles[0]?.summary;
      return `- **${x.zip} at ${x.connections} connections**: modyard is ${
        fmt(x.ratio, 2)
      }× nginx = (the best bare Deno server, "${best.name}", at ${
        fmt(best.rps / x.nginx.rps, 2)
      }× nginx) × (modyard at ${
        fmt(x.ours.rps / best.rps, 2)
      }× that server). The first factor is the
  runtime's: nginx hands file pages to the socket with \`sendfile\` (no copy through user space, no
  per-chunk work), a Deno response body is written chunk by chunk from JavaScript. The second
  factor is modyard's.${
        i === 0 && prof ? ` In the profile of this load (below), ${profileFacts(prof)}` : ""
      }`;
    }),
    `- **Metadata**: \`.info\` is ${fmt(infoRatio, 2)}× the bare JSON server, which does nothing
  but answer. ${
      profiles[1]
        ? `In the profile of the \`.info\` load (below), ${profileFacts(profiles[1].summary)}`
        : ""
    }`,
  ].join("\n");

  const perRequest = (
    p: LoadProfile & { name: string; anchorName?: string; anchor?: LoadProfile },
  ) => {
    if (!p.anchor || !p.requests) return "";
    const a = p.anchor;
    const us = (x: LoadProfile, ms: number) => fmt(ms * 1000 / x.requests, 1);
    const groupMs = (x: LoadProfile, name: string) =>
      x.summary.groups.find((g) => g.name === name)?.ms ?? 0;
    const names = p.summary.groups.map((g) => g.name).filter((n) => !n.startsWith("idle"));
    const busyMs = (x: LoadProfile) =>
      x.summary.groups.filter((g) => !g.name.startsWith("idle")).reduce((n, g) => n + g.ms, 0);
    const cpuMs = (x: LoadProfile) => x.serverCores * seconds * 1000;
    const per = (x: LoadProfile, ms: number) => ms * 1000 / x.requests;
    const difference = (x: LoadProfile, y: LoadProfile) => {
      const more = per(x, busyMs(x)) - per(y, busyMs(y));
      const runtime = per(x, groupMs(x, "Deno runtime (JS)")) -
        per(y, groupMs(y, "Deno runtime (JS)"));
      const code = per(x, groupMs(x, "modyard / bench code")) -
        per(y, groupMs(y, "modyard / bench code"));
      const cpu = per(x, cpuMs(x)) - per(y, cpuMs(y));
      const d = (n: number) => n >= 0 ? `${fmt(n, 1)} µs more` : `${fmt(-n, 1)} µs less`;
      return `Against the anchor, modyard's process spends ${d(cpu)} CPU per request; its JavaScript
thread ${d(more)}: ${d(runtime)} in Deno's runtime JavaScript (on modyard's behalf: its responses,
headers and streams) and ${d(code)} in modyard's own code.`;
    };
    return `Per request, modyard beside ${p.anchorName} under the same load (${
      fmt(p.requests)
    } and ${fmt(a.requests)} requests in the window):

${
      table(["", "modyard (µs/request)", `${p.anchorName} (µs/request)`], ["---", "---:", "---:"], [
        ["server process CPU, all threads (from /proc)", us(p, cpuMs(p)), us(a, cpuMs(a))],
        ["JavaScript thread busy (profile)", us(p, busyMs(p)), us(a, busyMs(a))],
        ...names.map((n) => [`— ${n}`, us(p, groupMs(p, n)), us(a, groupMs(a, n))]),
      ])
    }

${difference(p, a)}

`;
  };

  const profileSection = profiles.map((p) =>
    `### ${p.name}

${perRequest(p)}
Sampled ${fmt(p.summary.totalMs)} ms of the server's main thread during the load (start-up and
the graceful stop left out). Meanwhile the server process used ${
      fmt(p.serverCores, 2)
    } cores (all its threads, from /proc).

${
      table(
        ["where", "self time", "share"],
        ["---", "---:", "---:"],
        p.summary.groups.map((g) => [g.name, `${fmt(g.ms)} ms`, `${fmt(g.share * 100, 1)} %`]),
      )
    }

${
      table(
        ["function (top self time)", "self time", "share"],
        ["---", "---:", "---:"],
        p.summary.functions.map((f) => [
          `\`${f.name.replaceAll("|", "\\|")}\``,
          `${fmt(f.ms)} ms`,
          `${fmt(f.share * 100, 1)} %`,
        ]),
      )
    }`
  ).join("\n\n");

  return `## Where the gap to the anchors comes from (CPU profiles)

modyard was started with \`--cpu-prof\` and loaded as in the scenarios above for ${seconds} s,
then stopped with SIGTERM; bench/cpu_profile.ts sums the self time of each function
(\`deno run -A bench/cpu_profile.ts FILE.cpuprofile\` prints the same for any profile). The
profile sees the JavaScript thread only: "idle" is time it waited in the event loop, which is
where Deno's Rust side (hyper parsing and writing, op completions) runs on that same thread, and
the KV store's SQLite work runs off the JavaScript thread. The server process's CPU over the same
window (from /proc, all threads) says how much of that was work rather than waiting: a process
near 1.0 core with a large idle share spends its time below JavaScript.

${gapSection}

${profileSection}
`;
}
