/**
 * A byte-level zip writer for hostile test archives: every header field can be set,
 * including ones that disagree with each other. Not a general-purpose zip writer.
 *
 * @module
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE) of a buffer. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Raw deflate of a buffer. */
export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate-raw"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** One entry; every field that is not given is derived consistently. */
export interface RawEntry {
  /** Name in the central directory. */
  name: string | Uint8Array;
  /** Uncompressed content. */
  data?: Uint8Array;
  /** Compression method (0 stored, 8 deflate, anything else as given). */
  method?: number;
  /** Bytes stored as the entry's data (default: `data`, deflated when method is 8). */
  payload?: Uint8Array;
  /** General purpose flags (central and local). */
  flags?: number;
  /** Overrides in the central record. */
  central?: { crc?: number; size?: number; csize?: number; extra?: Uint8Array; offset?: number };
  /** Overrides in the local header. */
  local?: {
    name?: string | Uint8Array;
    crc?: number;
    size?: number;
    csize?: number;
    flags?: number;
    method?: number;
  };
  /** Leave the local header and data out (for a central record pointing elsewhere). */
  noLocal?: boolean;
}

/** Archive-level options. */
export interface RawZipOptions {
  /** Bytes before the first local header (offsets are shifted to stay correct). */
  prefix?: Uint8Array;
  /** Bytes after the end of central directory record. */
  suffix?: Uint8Array;
  /** Add zip64 end records whose entry count is this (disagreeing when ≠ the real count). */
  zip64EntryCount?: number;
}

const enc = new TextEncoder();
const bytesOf = (s: string | Uint8Array) => typeof s === "string" ? enc.encode(s) : s;

class Out {
  parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  u16(v: number) {
    this.bytes(new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  }
  u32(v: number) {
    this.bytes(new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]));
  }
  u64(v: number) {
    this.u32(v % 2 ** 32);
    this.u32(Math.floor(v / 2 ** 32));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Builds an archive from raw entries. */
export async function rawZip(
  entries: RawEntry[],
  options: RawZipOptions = {},
): Promise<Uint8Array> {
  const out = new Out();
  if (options.prefix) out.bytes(options.prefix);
  const records: {
    e: RawEntry;
    offset: number;
    crc: number;
    size: number;
    csize: number;
    method: number;
  }[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array();
    const method = e.method ?? 0;
    const payload = e.payload ?? (method === 8 ? await deflateRaw(data) : data);
    const rec = {
      e,
      offset: out.length,
      crc: crc32(data),
      size: data.length,
      csize: payload.length,
      method,
    };
    records.push(rec);
    if (e.noLocal) continue;
    const name = bytesOf(e.local?.name ?? e.name);
    out.u32(0x04034b50);
    out.u16(20);
    out.u16(e.local?.flags ?? e.flags ?? 0x800);
    out.u16(e.local?.method ?? method);
    out.u16(0);
    out.u16(0x21);
    out.u32(e.local?.crc ?? rec.crc);
    out.u32(e.local?.csize ?? rec.csize);
    out.u32(e.local?.size ?? rec.size);
    out.u16(name.length);
    out.u16(0);
    out.bytes(name);
    out.bytes(payload);
  }
  const cdStart = out.length;
  for (const r of records) {
    const e = r.e;
    const name = bytesOf(e.name);
    const extra = e.central?.extra ?? new Uint8Array();
    out.u32(0x02014b50);
    out.u16(0x031e);
    out.u16(20);
    out.u16(e.flags ?? 0x800);
    out.u16(r.method);
    out.u16(0);
    out.u16(0x21);
    out.u32(e.central?.crc ?? r.crc);
    out.u32(e.central?.csize ?? r.csize);
    out.u32(e.central?.size ?? r.size);
    out.u16(name.length);
    out.u16(extra.length);
    out.u16(0);
    out.u16(0);
    out.u16(0);
    out.u32(0o100644 << 16);
    out.u32(e.central?.offset ?? r.offset);
    out.bytes(name);
    out.bytes(extra);
  }
  const cdSize = out.length - cdStart;
  if (options.zip64EntryCount !== undefined) {
    const eocd64 = out.length;
    out.u32(0x06064b50);
    out.u64(44);
    out.u16(45);
    out.u16(45);
    out.u32(0);
    out.u32(0);
    out.u64(options.zip64EntryCount);
    out.u64(options.zip64EntryCount);
    out.u64(cdSize);
    out.u64(cdStart);
    out.u32(0x07064b50);
    out.u32(0);
    out.u64(eocd64);
    out.u32(1);
  }
  out.u32(0x06054b50);
  out.u16(0);
  out.u16(0);
  out.u16(records.length);
  out.u16(records.length);
  out.u32(cdSize);
  // With zip64 records, the sentinel offset makes readers consult them.
  out.u32(options.zip64EntryCount !== undefined ? 0xffffffff : cdStart);
  out.u16(0);
  if (options.suffix) out.bytes(options.suffix);
  return out.concat();
}

/** An Info-ZIP Unicode Path extra field (0x7075) naming `unicodeName` for raw name `raw`. */
export function unicodePathExtra(raw: string | Uint8Array, unicodeName: string): Uint8Array {
  const name = enc.encode(unicodeName);
  const body = new Uint8Array(5 + name.length);
  body[0] = 1;
  new DataView(body.buffer).setUint32(1, crc32(bytesOf(raw)), true);
  body.set(name, 5);
  const field = new Uint8Array(4 + body.length);
  new DataView(field.buffer).setUint16(0, 0x7075, true);
  new DataView(field.buffer).setUint16(2, body.length, true);
  field.set(body, 4);
  return field;
}
