/**
 * Brings a server's hot-zip cache to its budget before memory is measured: a bounded cache
 * that is still filling grows RSS by design (up to the budget), which says nothing about a
 * leak. Publishes distinct zips and downloads each once, so the least-recently-used cache is
 * full and every later insertion evicts.
 *
 * @module
 */

import { storedZip } from "./fixtures.ts";

/** Size of each warm-up zip: a quarter of the default budget is the largest entry cached. */
const WARMUP_ZIP_BYTES = 32 * 1024 * 1024;

/**
 * Publishes `ceil(budget / 32 MiB) + 1` distinct 32 MiB zips to `owner` and downloads each
 * once; returns the bytes downloaded. Throws unless every upload is 201 and every download
 * returns the uploaded length.
 *
 * @example
 * ```ts
 * await fillZipCache(server.url, "bench", token, 256 * 1024 * 1024);
 * const afterWarmup = readRss(server.pid);
 * ```
 */
export async function fillZipCache(
  baseUrl: string,
  owner: string,
  secret: string,
  budget: number,
): Promise<number> {
  const auth = "Basic " + btoa(`${owner}:${secret}`);
  const count = Math.ceil(budget / WARMUP_ZIP_BYTES) + 1;
  let downloaded = 0;
  for (let i = 0; i < count; i++) {
    const module = `warmup.example/cache${i}`;
    const zip = await storedZip(module, "v1.0.0", WARMUP_ZIP_BYTES);
    const put = await fetch(`${baseUrl}/api/packages/${owner}/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { authorization: auth },
    });
    const text = await put.text();
    if (put.status !== 201 && put.status !== 409) {
      throw new Error(`warm-up upload of ${module}: ${put.status} ${text}`);
    }
    const get = await fetch(`${baseUrl}/api/packages/${owner}/go/${module}/@v/v1.0.0.zip`, {
      headers: { authorization: auth },
    });
    const bytes = (await get.arrayBuffer()).byteLength;
    if (get.status !== 200 || bytes !== zip.byteLength) {
      throw new Error(`warm-up download of ${module}: ${get.status}, ${bytes} bytes`);
    }
    downloaded += bytes;
  }
  return downloaded;
}
