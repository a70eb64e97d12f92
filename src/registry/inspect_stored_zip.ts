/**
 * Validating a zip already stored in KV chunks: {@link inspectModuleZip} over a KV-backed
 * reader. The zip reader (zip.js) is loaded on first use, not at start-up, so a server
 * answers its first request without paying for a library only uploads and fills need.
 *
 * @module
 */

import type { InspectOptions, ZipInspection } from "./inspect_zip.ts";

/** Inspects the zip part of blob `blobId` (`size` bytes) as {@link inspectModuleZip} does. */
export async function inspectStoredZip(
  kv: Deno.Kv,
  blobId: string,
  size: number,
  options: InspectOptions = {},
): Promise<ZipInspection> {
  const [{ inspectModuleZip }, { KvBlobReader }] = await Promise.all([
    import("./inspect_zip.ts"),
    import("../store/kv_zip_reader.ts"),
  ]);
  return await inspectModuleZip(new KvBlobReader(kv, blobId, "zip", size), options);
}
