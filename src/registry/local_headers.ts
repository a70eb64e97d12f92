/**
 * The local side of a zip entry: its local file header must agree with the central
 * directory (name, flags, method, and sizes and CRC-32 unless a data descriptor carries
 * them, which must agree instead), its data must lie inside the archive before the central
 * directory, and no two entries may share bytes. The same checks zip.js makes in its strict
 * mode, with its reasons, made here on compact records so an archive of many entries keeps
 * no per-entry objects of zip.js alive.
 *
 * @module
 */

import type { Reader } from "@zip.js/zip.js";
import { ZipRuleError } from "../gomod/zipcheck.ts";

/** What the central directory says about an entry (compact; one per entry). */
export interface CentralRecord {
  /** Offset of the local file header. */
  offset: number;
  /** Stored size. */
  compressedSize: number;
  /** Uncompressed size. */
  uncompressedSize: number;
  /** CRC-32. */
  crc32: number;
  /** Compression method. */
  method: number;
  /** General purpose bit flags. */
  flags: number;
  /** Whether the central record has a zip64 extra field. */
  zip64: boolean;
}

/** Where an entry's bytes are, once its local header is checked. */
export interface LocalLayout {
  /** Offset of the entry's data. */
  dataOffset: number;
  /** Offset just after its data and data descriptor. */
  end: number;
}

const LOCAL_HEADER_LENGTH = 30;
const FLAG_DESCRIPTOR = 0x8;
/** Flags that must agree between the two headers: encryption, descriptor, UTF-8 names. */
const AMBIGUITY_MASK = 0x1 | 0x8 | 0x40 | 0x800;
const MAX_32 = 0xffffffff;
const encoder = new TextEncoder();

/**
 * Checks the local header of `entry`, whose central name is `name` (valid UTF-8, so its
 * bytes are its UTF-8 encoding), and returns where its data is. `dataLimit` is where entry
 * data must end at the latest (the central directory). Throws {@link ZipRuleError}.
 */
export async function checkLocalHeader(
  source: Reader<unknown>,
  entry: CentralRecord,
  name: string,
  dataLimit: number,
): Promise<LocalLayout> {
  const header = await source.readUint8Array(entry.offset, LOCAL_HEADER_LENGTH);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < LOCAL_HEADER_LENGTH || view.getUint32(0, true) !== 0x04034b50) {
    throw new ZipRuleError(`${name}: cannot read entry: Local file header not found`);
  }
  const flags = view.getUint16(6, true);
  const method = view.getUint16(8, true);
  const crc32 = view.getUint32(14, true);
  let compressedSize = view.getUint32(18, true);
  let uncompressedSize = view.getUint32(22, true);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  const rest = await source.readUint8Array(
    entry.offset + LOCAL_HEADER_LENGTH,
    nameLength + extraLength,
  );
  const localName = rest.subarray(0, nameLength);
  const zip64 = zip64Field(rest.subarray(nameLength));
  if (zip64) {
    // As zip.js (and Go) read it: the saturated sizes, in order, from the zip64 field.
    const values = new DataView(zip64.buffer, zip64.byteOffset, zip64.byteLength);
    const wanted = (uncompressedSize === MAX_32 ? 8 : 0) + (compressedSize === MAX_32 ? 8 : 0);
    if (values.byteLength >= wanted) {
      let at = 0;
      if (uncompressedSize === MAX_32) {
        uncompressedSize = Number(values.getBigUint64(at, true));
        at += 8;
      }
      if (compressedSize === MAX_32) compressedSize = Number(values.getBigUint64(at, true));
    }
  }
  const disagree = (what: string) =>
    new ZipRuleError(`${name}: local file header disagrees with the central directory (${what})`);
  if (!sameBytes(localName, encoder.encode(name))) throw disagree("filename");
  if ((flags & AMBIGUITY_MASK) !== (entry.flags & AMBIGUITY_MASK)) {
    throw disagree("general purpose bit flag");
  }
  if (method !== entry.method) throw disagree("compression method");
  if (
    (flags & FLAG_DESCRIPTOR) === 0 && (crc32 || compressedSize || uncompressedSize) &&
    (crc32 !== entry.crc32 || compressedSize !== entry.compressedSize ||
      uncompressedSize !== entry.uncompressedSize)
  ) {
    throw disagree("crc32 or sizes");
  }
  const dataOffset = entry.offset + LOCAL_HEADER_LENGTH + nameLength + extraLength;
  if (dataOffset + entry.compressedSize > dataLimit) {
    throw new ZipRuleError(`${name}: cannot read entry: Entry data out of bounds`);
  }
  let end = dataOffset + entry.compressedSize;
  if (((flags | entry.flags) & FLAG_DESCRIPTOR) !== 0) {
    end += await checkDescriptor(source, end, entry, entry.zip64 || zip64 !== null, disagree);
  }
  return { dataOffset, end };
}

/**
 * Reads the data descriptor at `offset` as zip.js does (with or without its signature, in
 * the classic or zip64 layout, preferring one that agrees with the central directory) and
 * requires it to agree; returns its length.
 */
async function checkDescriptor(
  source: Reader<unknown>,
  offset: number,
  entry: CentralRecord,
  zip64: boolean,
  disagree: (what: string) => ZipRuleError,
): Promise<number> {
  const available = Math.min(24, Math.max(0, source.size - offset));
  const bytes = available ? await source.readUint8Array(offset, available) : new Uint8Array(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (wide: boolean, signed: boolean) => {
    const length = (wide ? 20 : 12) + (signed ? 4 : 0);
    if (view.byteLength < length || (signed && view.getUint32(0, true) !== 0x08074b50)) {
      return null;
    }
    const at = signed ? 4 : 0;
    return {
      length,
      crc32: view.getUint32(at, true),
      compressedSize: wide ? Number(view.getBigUint64(at + 4, true)) : view.getUint32(at + 4, true),
      uncompressedSize: wide
        ? Number(view.getBigUint64(at + 12, true))
        : view.getUint32(at + 8, true),
    };
  };
  const candidates = [
    read(zip64, true),
    read(zip64, false),
    read(!zip64, true),
    read(!zip64, false),
  ]
    .filter((d) =>
      d !== null && d.compressedSize === entry.compressedSize &&
      d.uncompressedSize === entry.uncompressedSize
    );
  const found = candidates.find((d) => d!.crc32 === entry.crc32) ?? candidates[0] ??
    read(zip64, true) ?? read(zip64, false);
  if (!found) return zip64 ? 20 : 12; // none to read at the end of the archive
  if (
    found.crc32 !== entry.crc32 || found.compressedSize !== entry.compressedSize ||
    found.uncompressedSize !== entry.uncompressedSize
  ) {
    throw disagree("crc32 or sizes");
  }
  return found.length;
}

/**
 * The index (in directory order) of an entry whose bytes overlap another's, or -1. Of an
 * overlapping pair, the one later in the directory is named, as a reader going through
 * the directory in order would find it.
 */
export function findOverlap(starts: Float64Array, ends: Float64Array): number {
  const order = new Uint32Array(starts.length).map((_, i) => i);
  order.sort((a, b) => starts[a] - starts[b] || a - b);
  let worst = -1;
  let reach = -Infinity, reacher = -1;
  for (const i of order) {
    if (starts[i] < reach) {
      const later = Math.max(i, reacher);
      if (worst < 0 || later < worst) worst = later;
    }
    if (ends[i] > reach) {
      reach = ends[i];
      reacher = i;
    }
  }
  return worst;
}

/** The data of the zip64 extra field (tag 0x0001) among a header's extra fields, if any. */
function zip64Field(extra: Uint8Array): Uint8Array | null {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= extra.length;) {
    const size = view.getUint16(at + 2, true);
    if (view.getUint16(at, true) === 0x0001) return extra.subarray(at + 4, at + 4 + size);
    at += 4 + size;
  }
  return null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
