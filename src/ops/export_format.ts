/**
 * The layout of an export archive (a POSIX tar file), shared by `export` and `import`:
 *
 * | entry | content |
 * | --- | --- |
 * | `modyard-export/manifest.json` | first: `{"format":"modyard-export","formatVersion":1,"schema":N,"createdAt":…}` |
 * | `modyard-export/blobs/<blobId>.zip`, `….mod` | a stored file's bytes (a version's original zip, its go.mod; a cached file) |
 * | `modyard-export/metadata-NNNNNN.ndjson` | KV entries, one `{"k": key, "v": value}` a line ({@link encodeKvValue}) |
 * | `modyard-export/summary.json` | last: counts; its absence means a truncated archive |
 *
 * A blob's entry always comes before the metadata part holding the record that names it.
 *
 * @module
 */

/** Directory every entry lives under. */
export const ARCHIVE_ROOT = "modyard-export";
/** Value of the manifest's `format`. */
export const ARCHIVE_FORMAT = "modyard-export";
/** Version of this layout. */
export const ARCHIVE_FORMAT_VERSION = 1;

/** The first entry of an archive. */
export interface ExportManifest {
  /** Always {@link ARCHIVE_FORMAT}. */
  format: string;
  /** {@link ARCHIVE_FORMAT_VERSION}. */
  formatVersion: number;
  /** The store layout version (`["meta", "schema"]`) of the exported store. */
  schema: number;
  /** ISO time the export began. */
  createdAt: string;
}

/** The last entry of an archive. */
export interface ExportSummary {
  /** Metadata lines written. */
  entries: number;
  /** Hosted versions exported. */
  versions: number;
  /** Pull-through cached files exported. */
  cachedFiles: number;
  /** Blob parts written. */
  blobs: number;
}

/** Entry names. */
export const entryNames = {
  manifest: `${ARCHIVE_ROOT}/manifest.json`,
  summary: `${ARCHIVE_ROOT}/summary.json`,
  blob: (blobId: string, part: string) => `${ARCHIVE_ROOT}/blobs/${blobId}.${part}`,
  metadata: (n: number) => `${ARCHIVE_ROOT}/metadata-${String(n).padStart(6, "0")}.ndjson`,
};

/**
 * Key prefixes never exported: chunks travel as blob entries; the rest is transient (web UI
 * sessions included: a restored store signs everyone out).
 */
export const TRANSIENT_PREFIXES = [
  "blob",
  "upload",
  "reclaim",
  "upstream_fill",
  "session",
  "user_session",
];
