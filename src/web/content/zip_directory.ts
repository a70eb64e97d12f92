/**
 * The central directory of a stored module zip, parsed into compact columns: names relative
 * to the module root, sizes, and where each entry's local header is. The zip was validated
 * when it was published (x/mod's rules and modyard's stricter format checks), so this reader
 * only follows the records; it still bounds-checks everything it reads and throws
 * {@link StoredZipError} rather than misread a damaged blob.
 *
 * @module
 */

import { MAX_CENTRAL_DIRECTORY_SIZE, MAX_ZIP_ENTRIES } from "../../gomod/zipcheck.ts";
import type { RangeReader } from "./zip_range_reader.ts";

/** A stored zip that cannot be read as the archive it was when published. */
export class StoredZipError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "StoredZipError";
  }
}

/** The entries of a module zip, sorted by name (UTF-16 code unit order). */
export interface ZipDirectory {
  /** File names relative to the module root (the `module@version/` prefix removed). */
  names: string[];
  /** Uncompressed sizes. */
  sizes: Float64Array;
  /** Stored (compressed) sizes. */
  storedSizes: Float64Array;
  /** Offsets of the local file headers. */
  offsets: Float64Array;
  /** Compression methods (0 stored, 8 deflate). */
  methods: Uint8Array;
  /** Sum of the uncompressed sizes. */
  totalSize: number;
}

const EOCD_LENGTH = 22;
const CENTRAL_LENGTH = 46;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_EOCD_LENGTH = 56;
const MAX_32 = 0xffffffff;
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the central directory of a zip of `size` bytes whose entries all start with
 * `prefix` (`module@version/`). Entries outside the prefix (there are none in a published
 * zip) are left out.
 *
 * @example
 * ```ts
 * const dir = await readZipDirectory(bytesRange(zip), zip.length, "example.com/m@v1.0.0/");
 * dir.names; // ["LICENSE", "go.mod", "m.go"]
 * ```
 */
export async function readZipDirectory(
  read: RangeReader,
  size: number,
  prefix: string,
): Promise<ZipDirectory> {
  const { entries, offset, length } = await findDirectory(read, size);
  const bytes = await read(offset, length);
  if (bytes.length !== length) throw new StoredZipError("the central directory is cut short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: { name: string; size: number; stored: number; offset: number; method: number }[] = [];
  let at = 0;
  for (let i = 0; i < entries; i++) {
    if (at + CENTRAL_LENGTH > length || view.getUint32(at, true) !== 0x02014b50) {
      throw new StoredZipError(`central directory entry ${i} not found`);
    }
    const method = view.getUint16(at + 10, true);
    let stored = view.getUint32(at + 20, true);
    let plain = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const next = at + CENTRAL_LENGTH + nameLength + extraLength + commentLength;
    if (next > length) throw new StoredZipError(`central directory entry ${i} is cut short`);
    const extra = bytes.subarray(at + CENTRAL_LENGTH + nameLength, next - commentLength);
    if (plain === MAX_32 || stored === MAX_32 || local === MAX_32) {
      // The zip64 extra field holds the saturated values, in this order.
      const values = zip64Values(extra);
      let k = 0;
      const take = () => {
        if (k >= values.length) throw new StoredZipError(`entry ${i} lacks its zip64 sizes`);
        return values[k++];
      };
      if (plain === MAX_32) plain = take();
      if (stored === MAX_32) stored = take();
      if (local === MAX_32) local = take();
    }
    let name: string;
    try {
      name = decoder.decode(bytes.subarray(at + CENTRAL_LENGTH, at + CENTRAL_LENGTH + nameLength));
    } catch {
      throw new StoredZipError(`entry ${i} has a name that is not UTF-8`);
    }
    if (name.startsWith(prefix) && name.length > prefix.length && !name.endsWith("/")) {
      rows.push({ name: name.slice(prefix.length), size: plain, stored, offset: local, method });
    }
    at = next;
  }
  rows.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const dir: ZipDirectory = {
    names: rows.map((r) => r.name),
    sizes: new Float64Array(rows.length),
    storedSizes: new Float64Array(rows.length),
    offsets: new Float64Array(rows.length),
    methods: new Uint8Array(rows.length),
    totalSize: 0,
  };
  rows.forEach((r, i) => {
    dir.sizes[i] = r.size;
    dir.storedSizes[i] = r.stored;
    dir.offsets[i] = r.offset;
    dir.methods[i] = r.method;
    dir.totalSize += r.size;
  });
  return dir;
}

/**
 * The index of `name` in a directory (binary search on the sorted names), or -1.
 *
 * @example
 * ```ts
 * entryIndex(dir, "go.mod"); // 1
 * ```
 */
export function entryIndex(dir: ZipDirectory, name: string): number {
  let lo = 0, hi = dir.names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const here = dir.names[mid];
    if (here === name) return mid;
    if (here < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Where the central directory is and how many entries it has, from the end records. */
async function findDirectory(
  read: RangeReader,
  size: number,
): Promise<{ entries: number; offset: number; length: number }> {
  const window = Math.min(size, EOCD_LENGTH + 65_535);
  const tail = await read(size - window, window);
  for (let i = tail.length - EOCD_LENGTH; i >= 0; i--) {
    if (tail[i] !== 0x50 || tail[i + 1] !== 0x4b || tail[i + 2] !== 0x05 || tail[i + 3] !== 0x06) {
      continue;
    }
    const eocd = new DataView(tail.buffer, tail.byteOffset + i, EOCD_LENGTH);
    if (i + EOCD_LENGTH + eocd.getUint16(20, true) !== tail.length) continue;
    let entries = eocd.getUint16(10, true);
    let length = eocd.getUint32(12, true);
    let offset = eocd.getUint32(16, true);
    const recordAt = size - window + i;
    if (entries === 0xffff || length === MAX_32 || offset === MAX_32) {
      const zip64 = await readZip64End(read, recordAt);
      if (zip64) ({ entries, length, offset } = zip64);
    }
    if (entries > MAX_ZIP_ENTRIES || length > MAX_CENTRAL_DIRECTORY_SIZE) {
      throw new StoredZipError("the central directory is larger than any module zip's");
    }
    if (offset + length > recordAt) {
      throw new StoredZipError("the central directory does not fit before its end record");
    }
    return { entries, offset, length };
  }
  throw new StoredZipError("no end of central directory record ends the zip");
}

async function readZip64End(
  read: RangeReader,
  recordAt: number,
): Promise<{ entries: number; offset: number; length: number } | null> {
  if (recordAt < ZIP64_LOCATOR_LENGTH) return null;
  const locator = await read(recordAt - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH);
  const lv = new DataView(locator.buffer, locator.byteOffset, locator.byteLength);
  if (locator.length < ZIP64_LOCATOR_LENGTH || lv.getUint32(0, true) !== 0x07064b50) return null;
  const at = Number(lv.getBigUint64(8, true));
  const record = await read(at, ZIP64_EOCD_LENGTH);
  const rv = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.length < ZIP64_EOCD_LENGTH || rv.getUint32(0, true) !== 0x06064b50) return null;
  return {
    entries: Number(rv.getBigUint64(32, true)),
    length: Number(rv.getBigUint64(40, true)),
    offset: Number(rv.getBigUint64(48, true)),
  };
}

/** The 8-byte values of a zip64 extended-information extra field (id 1), in order. */
function zip64Values(extra: Uint8Array): number[] {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= extra.length;) {
    const id = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (at + 4 + length > extra.length) break;
    if (id === 1) {
      const values: number[] = [];
      for (let k = 0; k + 8 <= length; k += 8) {
        values.push(Number(view.getBigUint64(at + 4 + k, true)));
      }
      return values;
    }
    at += 4 + length;
  }
  return [];
}
