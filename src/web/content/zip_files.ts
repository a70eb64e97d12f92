/**
 * The files of a stored module version, for the web UI's file list and viewer: the listing
 * comes from the zip's central directory (cached per blob, bounded in bytes), and one file
 * is read by following its local header and inflating only its own data, with a bound on
 * what is kept. Never the whole zip in memory.
 *
 * @module
 */

import type { VersionRecord } from "../../store/records.ts";
import { ByteLru } from "./byte_lru.ts";
import {
  entryIndex,
  readZipDirectory,
  StoredZipError,
  type ZipDirectory,
} from "./zip_directory.ts";
import { type RangeReader, storedZipRange } from "./zip_range_reader.ts";

export { StoredZipError };

/** A zip to read: its bytes, size, entry prefix and a cache key. */
export interface ZipSource {
  /** Cache key of the immutable zip (its blob id). */
  key: string;
  /** Size in bytes. */
  size: number;
  /** The `module@version/` prefix of every entry. */
  prefix: string;
  /** Reads its bytes. */
  read: RangeReader;
}

/** One file of a module version. */
export interface ZipFileInfo {
  /** Path relative to the module root, e.g. `internal/x/x.go`. */
  path: string;
  /** Uncompressed size in bytes. */
  size: number;
}

/** What {@link readZipFile} read of a file. */
export interface ZipFileContent {
  /** Path relative to the module root. */
  path: string;
  /** The first `min(size, maxBytes)` bytes of the content. */
  bytes: Uint8Array;
  /** The file's full size. */
  size: number;
  /** Whether `bytes` is only the start of the content. */
  truncated: boolean;
}

/** A whole file as a stream, for the raw route. */
export interface ZipFileStream {
  /** Path relative to the module root. */
  path: string;
  /** The file's size (the stream's length). */
  size: number;
  /** The inflated content, read from the store as it is consumed. */
  stream: ReadableStream<Uint8Array>;
}

/** Bytes of zip directories kept per process. */
const DIRECTORY_CACHE_BYTES = 16 * 1024 * 1024;
/** Stored bytes read from the store at a time while reading an entry. */
const READ_PIECE = 64 * 1024;
const LOCAL_HEADER_LENGTH = 30;

const directories = new ByteLru<ZipDirectory>(DIRECTORY_CACHE_BYTES);

/**
 * The zip of a published version, read from its KV chunks.
 *
 * @example
 * ```ts
 * const files = await listZipFiles(storedZip(ctx.services.kv, record));
 * ```
 */
export function storedZip(
  kv: Deno.Kv,
  record: Pick<VersionRecord, "blobId" | "size" | "module" | "version">,
): ZipSource {
  return {
    key: record.blobId,
    size: record.size,
    prefix: `${record.module}@${record.version}/`,
    read: storedZipRange(kv, record.blobId, record.size),
  };
}

/**
 * The central directory of a zip, from the per-process cache or read now. Throws
 * {@link StoredZipError} when the stored bytes are not the archive they were.
 */
export async function zipDirectory(source: ZipSource): Promise<ZipDirectory> {
  const cached = directories.get(source.key);
  if (cached) return cached;
  const dir = await readZipDirectory(source.read, source.size, source.prefix);
  const bytes = dir.names.reduce((n, name) => n + 2 * name.length + 64, 256);
  directories.set(source.key, dir, bytes);
  return dir;
}

/**
 * Every file of the zip, sorted by path, with its uncompressed size.
 *
 * @example
 * ```ts
 * await listZipFiles(storedZip(kv, record)); // [{ path: "go.mod", size: 28 }, …]
 * ```
 */
export async function listZipFiles(source: ZipSource): Promise<ZipFileInfo[]> {
  const dir = await zipDirectory(source);
  return dir.names.map((path, i) => ({ path, size: dir.sizes[i] }));
}

/**
 * At most `maxBytes` of one file's content (inflated only that far), its full size and
 * whether it was cut; `null` when the zip has no file at `path`.
 *
 * @example
 * ```ts
 * const readme = await readZipFile(storedZip(kv, record), "README.md", 1024 * 1024);
 * if (readme?.truncated) console.log(`first ${readme.bytes.length} of ${readme.size} bytes`);
 * ```
 */
export async function readZipFile(
  source: ZipSource,
  path: string,
  maxBytes: number,
): Promise<ZipFileContent | null> {
  const dir = await zipDirectory(source);
  const i = entryIndex(dir, path);
  if (i < 0) return null;
  const size = dir.sizes[i];
  const want = Math.max(0, Math.min(size, Math.floor(maxBytes)));
  const out = new Uint8Array(want);
  let filled = 0;
  if (want > 0) {
    const reader = (await entryStream(source, dir, i)).getReader();
    try {
      while (filled < want) {
        const { done, value } = await reader.read();
        if (done) break;
        const take = Math.min(value.length, want - filled);
        out.set(value.subarray(0, take), filled);
        filled += take;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
  if (filled !== want) throw new StoredZipError(`${path}: the entry ends before its size`);
  return { path, bytes: out, size, truncated: want < size };
}

/**
 * One whole file as a stream (inflated piece by piece as it is read), or `null` when the zip
 * has no file at `path`.
 *
 * @example
 * ```ts
 * const file = await streamZipFile(storedZip(kv, record), "logo.png");
 * if (file) return new Response(file.stream);
 * ```
 */
export async function streamZipFile(
  source: ZipSource,
  path: string,
): Promise<ZipFileStream | null> {
  const dir = await zipDirectory(source);
  const i = entryIndex(dir, path);
  if (i < 0) return null;
  return { path, size: dir.sizes[i], stream: await entryStream(source, dir, i) };
}

/** The content of entry `i`, never longer than its declared size. */
async function entryStream(
  source: ZipSource,
  dir: ZipDirectory,
  i: number,
): Promise<ReadableStream<Uint8Array>> {
  const name = dir.names[i];
  const header = await source.read(dir.offsets[i], LOCAL_HEADER_LENGTH);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < LOCAL_HEADER_LENGTH || view.getUint32(0, true) !== 0x04034b50) {
    throw new StoredZipError(`${name}: local file header not found`);
  }
  const dataStart = dir.offsets[i] + LOCAL_HEADER_LENGTH + view.getUint16(26, true) +
    view.getUint16(28, true);
  const dataEnd = dataStart + dir.storedSizes[i];
  if (dataEnd > source.size) throw new StoredZipError(`${name}: the entry ends past the zip`);
  let at = dataStart;
  const stored = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= dataEnd) {
        controller.close();
        return;
      }
      const length = Math.min(READ_PIECE, dataEnd - at);
      const piece = await source.read(at, length);
      if (piece.length !== length) throw new StoredZipError(`${name}: the zip is cut short`);
      at += length;
      controller.enqueue(piece);
    },
  }, { highWaterMark: 0 });
  const content = dir.methods[i] === 8
    ? stored.pipeThrough(
      new DecompressionStream("deflate-raw") as TransformStream<
        Uint8Array,
        Uint8Array
      >,
    )
    : stored;
  return capped(content, dir.sizes[i], name);
}

/** `stream` cut at `limit` bytes (a deflate stream inflating past its entry's size stops). */
function capped(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  name: string,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Loop until a byte is sent or the end: a pull that enqueues nothing is not repeated.
      for (;;) {
        if (sent >= limit) {
          await reader.cancel().catch(() => {});
          controller.close();
          return;
        }
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (err) {
          throw new StoredZipError(`${name}: cannot inflate: ${(err as Error).message}`);
        }
        if (next.done) {
          if (sent !== limit) throw new StoredZipError(`${name}: the entry ends before its size`);
          controller.close();
          return;
        }
        const piece = next.value.subarray(0, limit - sent);
        sent += piece.length;
        if (piece.length > 0) {
          controller.enqueue(piece);
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
