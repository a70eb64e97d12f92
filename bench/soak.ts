/**
 * The soak load generator: `connections` concurrent clients for `seconds`, each request drawn
 * at random — 80 % metadata (`.info`, `.mod`, `list`, `@latest`), 15 % zip downloads (checked
 * byte for byte), 5 % uploads of new versions — then every version that got a 201 is
 * downloaded and compared byte for byte with what was uploaded. Any other outcome (a status
 * other than the expected one, a dropped connection, a wrong body) is an error.
 *
 * The random choices come from a seeded generator: `MODYARD_SOAK_SEED`, else
 * `MODYARD_TEST_SEED`, else 1; the seed is part of the result so a failure can be replayed.
 *
 * @module
 */

import { moduleZip } from "../tests/helpers/zip.ts";

/** How to soak a server. */
export interface SoakOptions {
  /** Base URL of the server. */
  url: string;
  /** Owner to publish under and read from. */
  owner: string;
  /** `Authorization` header value with a write token of the owner. */
  auth: string;
  /** Seconds of load. */
  seconds: number;
  /** Concurrent clients (each has at most one request in flight). */
  connections: number;
  /** Seed of the random choices (default: from the environment, else 1). */
  seed?: number;
  /** Versions published before the load, so that reads have targets (default 8). */
  initialVersions?: number;
  /** Random (incompressible) bytes in each uploaded zip (default 16 KiB). */
  payloadBytes?: number;
  /** Module path prefix (default `soak.example/m`). */
  modulePrefix?: string;
}

/** What a soak saw. */
export interface SoakResult {
  /** The seed used. */
  seed: number;
  /** Seconds the load ran. */
  seconds: number;
  /** Requests made during the load, by kind. */
  requests: { metadata: number; zip: number; upload: number };
  /** Requests per second during the load. */
  rps: number;
  /** Number of errors (load and verification). */
  errorCount: number;
  /** The first errors, described. */
  errors: string[];
  /** Versions that got 201 (before and during the load). */
  published: number;
  /** Of those, versions whose download afterwards was identical to the upload. */
  verified: number;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from `MODYARD_SOAK_SEED` or `MODYARD_TEST_SEED`, else 1. */
export function soakSeed(): number {
  const raw = Deno.env.get("MODYARD_SOAK_SEED") ?? Deno.env.get("MODYARD_TEST_SEED") ?? "1";
  const seed = Number(raw);
  if (!Number.isInteger(seed)) throw new RangeError(`Cannot use soak seed "${raw}"`);
  return seed;
}

interface Published {
  module: string;
  version: string;
  zip: Uint8Array;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Runs the soak against a server; never throws for a server's misbehaviour (that is counted
 * in `errorCount`), only for a bad setup.
 *
 * @example
 * ```ts
 * const r = await runSoak({ url, owner: "bench", auth, seconds: 60, connections: 64 });
 * if (r.errorCount > 0) console.error(r.errors);
 * ```
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const seed = o.seed ?? soakSeed();
  const random = seededRandom(seed);
  const prefix = o.modulePrefix ?? "soak.example/m";
  const payload = o.payloadBytes ?? 16 * 1024;
  const proxy = `${o.url}/api/packages/${o.owner}/go`;
  const published: Published[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const fail = (what: string) => {
    errorCount++;
    if (errors.length < 20) errors.push(what);
  };
  let serial = 0;
  const randomPayload = () => {
    const bytes = new Uint8Array(payload);
    for (let i = 0; i < payload; i++) bytes[i] = Math.floor(random() * 256);
    return bytes;
  };

  const upload = async (): Promise<boolean> => {
    const n = serial++;
    const module = `${prefix}${n % 16}`;
    const version = `v1.${n}.0`;
    const zip = await moduleZip(module, version, {
      "go.mod": `module ${module}\n`,
      "data.bin": randomPayload(),
    });
    try {
      const res = await fetch(`${o.url}/api/packages/${o.owner}/go/upload`, {
        method: "PUT",
        body: zip as Uint8Array<ArrayBuffer>,
        headers: { authorization: o.auth },
      });
      const text = await res.text();
      if (res.status !== 201) {
        fail(`upload ${module}@${version}: ${res.status} ${text.slice(0, 200)}`);
        return false;
      }
      published.push({ module, version, zip });
      return true;
    } catch (err) {
      fail(`upload ${module}@${version}: ${(err as Error).message}`);
      return false;
    }
  };

  const pick = () => published[Math.floor(random() * published.length)];

  const metadata = async () => {
    const p = pick();
    const kind = Math.floor(random() * 4);
    const url = [
      `${proxy}/${p.module}/@v/${p.version}.info`,
      `${proxy}/${p.module}/@v/${p.version}.mod`,
      `${proxy}/${p.module}/@v/list`,
      `${proxy}/${p.module}/@latest`,
    ][kind];
    try {
      const res = await fetch(url);
      const text = await res.text();
      if (res.status !== 200) return fail(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
      if (kind === 0 && JSON.parse(text).Version !== p.version) {
        fail(`GET ${url}: answered ${text.slice(0, 200)}`);
      }
      if (kind === 1 && text !== `module ${p.module}\n`) fail(`GET ${url}: wrong go.mod`);
    } catch (err) {
      fail(`GET ${url}: ${(err as Error).message}`);
    }
  };

  const download = async (p: Published, when: string): Promise<boolean> => {
    const url = `${proxy}/${p.module}/@v/${p.version}.zip`;
    try {
      const res = await fetch(url);
      const body = new Uint8Array(await res.arrayBuffer());
      if (res.status !== 200) {
        fail(`${when} GET ${url}: ${res.status}`);
        return false;
      }
      if (!equalBytes(body, p.zip)) {
        fail(
          `${when} GET ${url}: ${body.byteLength} bytes differ from the ${p.zip.byteLength} uploaded`,
        );
        return false;
      }
      return true;
    } catch (err) {
      fail(`${when} GET ${url}: ${(err as Error).message}`);
      return false;
    }
  };

  for (let i = 0; i < (o.initialVersions ?? 8); i++) {
    if (!await upload()) throw new Error(`soak setup: ${errors.join("; ")}`);
  }

  const requests = { metadata: 0, zip: 0, upload: 0 };
  const started = performance.now();
  const end = started + o.seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const r = random();
      if (r < 0.80) {
        requests.metadata++;
        await metadata();
      } else if (r < 0.95) {
        requests.zip++;
        await download(pick(), "during load:");
      } else {
        requests.upload++;
        await upload();
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, client));
  const seconds = (performance.now() - started) / 1000;

  let verified = 0;
  for (const p of published) if (await download(p, "afterwards:")) verified++;
  const total = requests.metadata + requests.zip + requests.upload;
  return {
    seed,
    seconds,
    requests,
    rps: total / seconds,
    errorCount,
    errors,
    published: published.length,
    verified,
  };
}
