/**
 * Owners' own checksum logs filled from an upstream checksum database, for tests: a fixture
 * database (tools/sumdbfixture), a counting upstream proxy, and a modyard with pull-through
 * configured whose owners' logs take public records from that database; plus a verifier of
 * lookup answers that reads the owner log's tiles over HTTP, as the `go` command does.
 *
 * @module
 */

import type { PullThroughOptions } from "../../src/upstream/pull_through.ts";
import { createToken, createUser } from "../../src/registry/accounts.ts";
import { newVerifier } from "../../src/sumdb/note_key.ts";
import { type VerifiedLookup, verifyLookup } from "../../src/sumdb/lookup_check.ts";
import { formatTilePath } from "../../src/sumdb/tile.ts";
import type { Tree } from "../../src/sumdb/tlog.ts";
import { enableLog } from "../../src/sumdb_log/enable.ts";
import type { LogMeta } from "../../src/store/records.ts";
import { setPrivatePaths, setPullThrough } from "../../src/upstream/owner_settings.ts";
import { type CountingUpstream, fetchBytes, startCountingUpstream } from "./pull_through.ts";
import { basic, startTestServer, type TestServer } from "./server.ts";
import { startSumdbFixture, type SumdbFixture } from "./sumdb_fixture.ts";

/** A fixture database, a counting upstream, and a modyard whose owners' logs use them. */
export interface UpstreamLogRig {
  /** The upstream checksum database. */
  db: SumdbFixture;
  /** The upstream GOPROXY (its `sumdb/<name>/` forwards to `db` in `viaUpstream` mode). */
  up: CountingUpstream;
  /** The modyard under test. */
  server: TestServer;
  /** Creates an owner with an enabled log (name `<host:port>/<owner>`) and a write token. */
  owner(name: string, options?: OwnerOptions): Promise<LogOwner>;
  /** Stops everything. */
  close(): Promise<void>;
}

/** How an owner of a rig is set up. */
export interface OwnerOptions {
  /** Pull-through on (default off: the log must take public records anyway). */
  pullThrough?: boolean;
  /** GOPRIVATE-style private paths. */
  privatePaths?: string;
  /** A private owner. */
  private?: boolean;
}

/** An owner with an enabled log. */
export interface LogOwner {
  /** Basic header value of a write token. */
  auth: string;
  /** The log's meta (name, verifier key). */
  meta: LogMeta;
  /** The log's base URL (`<owner's GOPROXY>/sumdb/<name>`). */
  log: string;
}

/** Options of a rig. */
export interface RigOptions {
  /** Reach the database through the upstream proxy's `/sumdb/<name>/` (default: its URL). */
  viaUpstream?: boolean;
  /** `--sumdb-upstream` instead of the fixture's key (e.g. `off`). */
  sumdbUpstream?: string;
  /** Bound on appends from upstream. */
  logAppends?: PullThroughOptions["logAppends"];
  /** Upstream timeouts. */
  limits?: PullThroughOptions["limits"];
  /** Paths pulled through without checking the upstream database (GONOSUMDB syntax). */
  upstreamNoSumdb?: string;
  /** A store shared with another rig's server. */
  kv?: Deno.Kv;
}

/** Starts a rig (fixture database, counting upstream, modyard with pull-through). */
export async function startUpstreamLogRig(options: RigOptions = {}): Promise<UpstreamLogRig> {
  const db = await startSumdbFixture();
  const up = await startCountingUpstream();
  if (options.viaUpstream) up.sumdb = { name: db.name, url: db.url };
  const server = await startTestServer({
    store: options.kv,
    pullThrough: {
      upstream: up.goproxy,
      ttlSeconds: 60,
      maxCacheBytes: 1024 * 1024 * 1024,
      sumdbUpstream: options.sumdbUpstream ??
        (options.viaUpstream ? db.vkey : `${db.vkey} ${db.url}`),
      logAppends: options.logAppends,
      limits: options.limits,
      upstreamNoSumdb: options.upstreamNoSumdb,
    },
  });
  return {
    db,
    up,
    server,
    owner: (name, opts) => logOwner(server, name, opts),
    async close() {
      await server.close();
      await up.close();
      await db.close();
    },
  };
}

/** Creates an owner on `server` with an enabled log; see {@link UpstreamLogRig.owner}. */
export async function logOwner(
  server: TestServer,
  name: string,
  options: OwnerOptions = {},
): Promise<LogOwner> {
  const kv = server.kv;
  await createUser(kv, name, { visibility: options.private ? "private" : "public" });
  if (options.pullThrough) await setPullThrough(kv, name, true);
  if (options.privatePaths) await setPrivatePaths(kv, name, options.privatePaths);
  const { token } = await createToken(kv, name, { scope: "write" });
  const meta = await enableLog(kv, name, { baseUrl: server.url });
  return {
    auth: basic(name, token),
    meta,
    log: `${server.proxy(name)}/sumdb/${meta.name}`,
  };
}

/**
 * Verifies a lookup answer of an owner's log as the `go` command does: the head signed by
 * the log's verifier key, consistent with `trusted`, the record proven by the log's hash
 * tiles (fetched from `log` with `auth`).
 */
export async function verifyOwnerLookup(
  owner: LogOwner,
  body: Uint8Array,
  trusted: Tree | null = null,
  auth?: string,
): Promise<VerifiedLookup> {
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  return await verifyLookup(
    body,
    [await newVerifier(owner.meta.verifierKey)],
    (tiles) =>
      Promise.all(tiles.map(async (t) => {
        const r = await fetchBytes(`${owner.log}/${formatTilePath(t)}`, { headers });
        if (r.status !== 200) throw new Error(`tile ${formatTilePath(t)}: ${r.status} ${r.text}`);
        return r.bytes;
      })),
    trusted,
  );
}
