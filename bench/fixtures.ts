/**
 * The bench store and zips: a public owner `bench` and a private owner `secret` (token and
 * password), module zips of 1 KB, 1 MiB and 50 MiB of random stored data, written to disk too
 * so that nginx and the bare Deno servers serve the very same bytes.
 *
 * @module
 */

import { BlobWriter, Uint8ArrayReader, ZipWriter } from "@zip.js/zip.js";
import { runCli } from "../tests/helpers/server.ts";
import { randomBytes } from "../tests/helpers/zip.ts";

/** The password of the private owner `secret`. */
export const SECRET_PASSWORD = "correct horse battery";

/** A zip of the bench. */
export interface BenchZip {
  /** Module path. */
  module: string;
  /** Version. */
  version: string;
  /** File on disk (in the zips directory, as `NAME.zip`). */
  file: string;
  /** File name, e.g. `one.zip`. */
  name: string;
  /** Size in bytes. */
  size: number;
}

/** The store and files every scenario uses. */
export interface BenchFixtures {
  /** Store file. */
  kvPath: string;
  /** Directory of the zip files (nginx's root). */
  zipDir: string;
  /** Write token of `bench`. */
  token: string;
  /** Write token of `secret` (private). */
  secretToken: string;
  /** 1 KB payload (metadata requests). */
  small: BenchZip;
  /** 1 MiB payload. */
  one: BenchZip;
  /** 50 MiB payload. */
  fifty: BenchZip;
  /** A private module of `secret`. */
  private: BenchZip;
}

/** A module zip with a go.mod and `payload` random bytes stored (not deflated). */
export async function storedZip(
  module: string,
  version: string,
  payload: number,
): Promise<Uint8Array> {
  const w = new ZipWriter(new BlobWriter(), { useWebWorkers: false });
  const root = `${module}@${version}/`;
  await w.add(
    `${root}go.mod`,
    new Uint8ArrayReader(new TextEncoder().encode(`module ${module}\n`)),
  );
  await w.add(`${root}data.bin`, new Uint8ArrayReader(randomBytes(payload)), { level: 0 });
  return new Uint8Array(await (await w.close()).arrayBuffer());
}

async function runOk(kvPath: string, args: string[], stdin?: string): Promise<string> {
  const out = await runCli(kvPath, args, stdin);
  if (out.code !== 0) throw new Error(`cli ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
}

/** Creates the owners in a new store under `dir` and writes the zips to `dir/zips`. */
export async function createFixtures(dir: string): Promise<BenchFixtures> {
  const kvPath = `${dir}/bench.kv`;
  const zipDir = `${dir}/zips`;
  await Deno.mkdir(zipDir, { recursive: true });
  await runOk(kvPath, ["user", "create", "bench"]);
  await runOk(
    kvPath,
    ["user", "create", "secret", "--private", "--password-stdin"],
    `${SECRET_PASSWORD}\n`,
  );
  const token = await runOk(kvPath, ["token", "create", "bench", "--scope", "write"]);
  const secretToken = await runOk(kvPath, ["token", "create", "secret", "--scope", "write"]);
  const make = async (name: string, module: string, payload: number): Promise<BenchZip> => {
    const bytes = await storedZip(module, "v1.0.0", payload);
    const file = `${zipDir}/${name}`;
    await Deno.writeFile(file, bytes);
    return { module, version: "v1.0.0", file, name, size: bytes.byteLength };
  };
  return {
    kvPath,
    zipDir,
    token,
    secretToken,
    small: await make("small.zip", "example.com/small", 1000),
    one: await make("one.zip", "example.com/one", 1024 * 1024),
    fifty: await make("fifty.zip", "example.com/fifty", 50 * 1024 * 1024),
    private: await make("private.zip", "example.com/private", 1000),
  };
}

/** Uploads a zip file to an owner of a running server; throws unless 201. */
export async function uploadZip(
  baseUrl: string,
  owner: string,
  secret: string,
  zip: BenchZip,
): Promise<void> {
  const res = await fetch(`${baseUrl}/api/packages/${owner}/go/upload`, {
    method: "PUT",
    body: await Deno.readFile(zip.file),
    headers: { authorization: "Basic " + btoa(`${owner}:${secret}`) },
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`upload of ${zip.name}: ${res.status} ${text}`);
}

/** Publishes the fixtures' zips through a running server. */
export async function publishFixtures(baseUrl: string, f: BenchFixtures): Promise<void> {
  for (const z of [f.small, f.one, f.fifty]) await uploadZip(baseUrl, "bench", f.token, z);
  await uploadZip(baseUrl, "secret", f.secretToken, f.private);
}
