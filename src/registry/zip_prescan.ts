/**
 * Digesting a zip's entries while it is still being received. A module zip is a sequence
 * of local headers, each followed by its data (and, from streaming writers such as Go's and
 * zip.js's, a data descriptor), then the central directory: this scanner follows that
 * sequence through the upload and digests each entry's content (inflate, CRC-32, SHA-256)
 * as it passes, so validation afterwards need not read the data back from the store.
 *
 * It only ever saves work and trusts nothing: the validation still reads the central
 * directory and every local header, and uses a scanned digest only for an entry whose
 * header offset, data offset, stored size, size, method and CRC-32 all agree with the
 * central directory. Anything the scan cannot follow (encrypted or zip64-sized entries,
 * stored entries of unknown size, bytes where a header should be, deflate data that does
 * not end where the entry does, more content than a module may have) stops the scan or
 * skips the entry, and validation reads those entries from the store as before.
 *
 * @module
 */

import zlib from "node:zlib";
import { MAX_ZIP_ENTRIES, MAX_ZIP_SIZE } from "../gomod/zipcheck.ts";
import { ContentDigest } from "./entry_digest.ts";
import { concatBytes } from "../bytes/concat_bytes.ts";

/** An entry whose content was digested during the upload. */
export interface ScannedEntry {
  /** Offset of its data (after the local header). */
  dataOffset: number;
  /** Stored (compressed) size: where its deflate stream ended, or the declared size. */
  compressedSize: number;
  /** Compression method (0 or 8). */
  method: number;
  /** Size of the content. */
  size: number;
  /** CRC-32 of the content. */
  crc32: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
}

/** Deflate data up to this size is inflated in one synchronous call. */
const SYNC_INFLATE_LIMIT = 1024 * 1024;
/** …when it inflates to at most this much (more goes through a stream, or is a bomb). */
const SYNC_OUTPUT_LIMIT = 64 * 1024 * 1024;

const LOCAL_HEADER_LENGTH = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DESCRIPTOR = 0x8;

/** The entry whose data is passing through the scanner. */
interface Current {
  headerOffset: number;
  dataOffset: number;
  method: number;
  /** Stored bytes still to come; `Infinity` until a deflate stream of unknown size ends. */
  remaining: number;
  /** Bytes of a data descriptor that follow the data (0 when none). */
  descriptor: boolean;
  zip64: boolean;
  digest: ContentDigest;
  /** The zlib stream of a deflate entry too large for one synchronous inflation. */
  inflater: zlib.InflateRaw | null;
  /** Deflate data kept for one synchronous inflation. */
  buffered: Uint8Array[];
  bufferedBytes: number;
  /** Bytes kept at the last synchronous try of a deflate stream of unknown size. */
  lastAttempt: number;
  /** Stored bytes given to the inflater, and whether it stopped consuming them. */
  fed: number;
  /** The stored size, once known. */
  compressedSize: number;
  /** `false` once the content cannot be recorded (the rest of the entry is skipped). */
  ok: boolean;
}

/**
 * Follows local headers through a zip as it is written, in order. Feed every byte with
 * {@link write}, then {@link close}; {@link lookup} gives the digest of the entry whose
 * local header starts at an offset, if the scan digested it.
 *
 * @example
 * ```ts
 * const scan = new ZipPrescan();
 * await scan.write(zipBytes);
 * await scan.close();
 * scan.lookup(0)?.sha256; // the first entry's content hash, if it could be scanned
 * ```
 */
export class ZipPrescan {
  #entries = new Map<number, ScannedEntry>();
  /** Offset of the next byte to be consumed. */
  #offset = 0;
  /** Bytes of a header or descriptor not complete yet. */
  #pending = new Uint8Array(0);
  #current: Current | null = null;
  #stopped = false;
  /** Bytes taken past the end of an entry's data, to be scanned again. */
  #giveBack: Uint8Array | null = null;
  /** Content produced so far (bounded like a module's total size). */
  #produced = 0;

  /** Takes the next bytes of the archive. Never fails: a scan that cannot go on stops. */
  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    try {
      while (at < bytes.length && !this.#stopped) {
        const rest = bytes.subarray(at);
        const taken = this.#current
          ? (this.#current.remaining === 0
            ? this.#descriptorBytes(rest)
            : await this.#dataBytes(rest))
          : this.#headerBytes(rest);
        at += taken;
        this.#offset += taken;
        const back = this.#giveBack;
        if (back) {
          // Bytes kept past the end of a deflate stream of unknown size: scanned again.
          this.#giveBack = null;
          this.#offset -= back.length;
          await this.write(back);
        }
      }
    } catch {
      this.#stop(); // validation reads whatever the scan did not vouch for
    }
  }

  /** Ends the scan; an entry cut off by the end of the archive is not recorded. */
  close(): Promise<void> {
    this.#stop();
    return Promise.resolve();
  }

  /** The digest of the entry whose local header starts at `headerOffset`, if scanned. */
  lookup(headerOffset: number): ScannedEntry | undefined {
    return this.#entries.get(headerOffset);
  }

  /** Entries digested so far. */
  get size(): number {
    return this.#entries.size;
  }

  #stop(): void {
    this.#stopped = true;
    this.#current?.inflater?.destroy();
    this.#current = null;
  }

  /** Appends up to `need` bytes to the pending buffer; returns how many were taken. */
  #collect(bytes: Uint8Array, need: number): number {
    const take = Math.max(0, Math.min(need - this.#pending.length, bytes.length));
    const grown = new Uint8Array(this.#pending.length + take);
    grown.set(this.#pending);
    grown.set(bytes.subarray(0, take), this.#pending.length);
    this.#pending = grown;
    return take;
  }

  /** Consumes bytes of a local header and starts its entry once it is complete. */
  #headerBytes(bytes: Uint8Array): number {
    let taken = this.#collect(bytes, LOCAL_HEADER_LENGTH);
    if (this.#pending.length < LOCAL_HEADER_LENGTH) return taken;
    const view = new DataView(this.#pending.buffer);
    const length = LOCAL_HEADER_LENGTH + view.getUint16(26, true) + view.getUint16(28, true);
    if (view.getUint32(0, true) !== LOCAL_HEADER_SIGNATURE) {
      this.#stop(); // the central directory, or bytes the scan does not expect
      return taken;
    }
    taken += this.#collect(bytes.subarray(taken), length);
    if (this.#pending.length === length) this.#begin(this.#offset + taken);
    return taken;
  }

  /** Starts the entry whose complete local header is pending; `dataOffset` follows it. */
  #begin(dataOffset: number): void {
    const header = this.#pending;
    this.#pending = new Uint8Array(0);
    const view = new DataView(header.buffer);
    const flags = view.getUint16(6, true);
    const method = view.getUint16(8, true);
    const declared = view.getUint32(18, true);
    const descriptor = (flags & FLAG_DESCRIPTOR) !== 0;
    const followable = (flags & FLAG_ENCRYPTED) === 0 && (method === 0 || method === 8) &&
      (method === 8 || !descriptor) && declared !== 0xffffffff &&
      view.getUint32(22, true) !== 0xffffffff && this.#entries.size < MAX_ZIP_ENTRIES;
    if (!followable) {
      this.#stop();
      return;
    }
    const known = !descriptor;
    this.#current = {
      headerOffset: dataOffset - header.length,
      dataOffset,
      method,
      remaining: known ? declared : Infinity,
      descriptor,
      zip64: hasZip64Extra(header.subarray(LOCAL_HEADER_LENGTH + view.getUint16(26, true))),
      digest: new ContentDigest(),
      inflater: null,
      buffered: [],
      bufferedBytes: 0,
      lastAttempt: 0,
      fed: 0,
      compressedSize: known ? declared : -1,
      ok: true,
    };
    if (known && declared === 0 && method === 0) this.#record(this.#current);
  }

  #inflater(): zlib.InflateRaw {
    const inflater = zlib.createInflateRaw();
    inflater.on("data", (chunk: Uint8Array) => {
      const current = this.#current;
      if (!current || current.inflater !== inflater) return;
      this.#add(current, chunk);
    });
    inflater.on("error", () => {
      const current = this.#current;
      if (current?.inflater !== inflater) return;
      current.ok = false;
      // Without a declared size the end of the entry is unknown: nothing more to follow.
      if (current.remaining === Infinity) this.#stop();
    });
    return inflater;
  }

  /** Consumes bytes of the current entry's data; returns how many. */
  async #dataBytes(bytes: Uint8Array): Promise<number> {
    const current = this.#current!;
    const take = Math.min(current.remaining, bytes.length);
    const piece = bytes.subarray(0, take);
    if (!current.ok && current.remaining !== Infinity) {
      current.remaining -= take; // skipped: validation reads this entry from the store
      if (current.remaining === 0) this.#record(current);
      return take;
    }
    if (current.method === 0) {
      this.#add(current, piece);
      current.remaining -= take;
      if (current.remaining === 0) this.#record(current);
      return take;
    }
    if (!current.inflater) return await this.#smallDeflate(current, bytes);
    const inflater = current.inflater;
    const before = inflater.bytesWritten;
    await settled(inflater, (done) => inflater.write(piece, () => done()));
    if (this.#current !== current) return take; // stopped meanwhile
    if (!current.ok) {
      inflater.destroy();
      return await this.#dataBytes(bytes); // skips the rest of the entry
    }
    const consumed = current.inflater.bytesWritten - before;
    current.fed += consumed;
    if (consumed === take && current.remaining !== Infinity) {
      current.remaining -= take;
      if (current.remaining === 0) await this.#endInflate(current);
      return take;
    }
    if (consumed === take) return take;
    // The deflate stream ended inside this piece.
    if (current.remaining !== Infinity) {
      // Bytes after the end of the deflate data but inside the entry: leave it to validation.
      current.ok = false;
      current.remaining -= take;
      if (current.remaining === 0) await this.#endInflate(current);
      return take;
    }
    current.compressedSize = current.fed;
    current.remaining = 0;
    await this.#endInflate(current);
    return consumed;
  }

  /** Adds content to the entry's digest, within the total a module may have. */
  #add(current: Current, content: Uint8Array): void {
    this.#produced += content.byteLength;
    if (this.#produced > MAX_ZIP_SIZE) {
      this.#stop(); // more content than any module may have: validation will say so
      return;
    }
    current.digest.add(content);
  }

  /**
   * Deflate data while an entry's stays within {@link SYNC_INFLATE_LIMIT}: buffered and
   * inflated in one synchronous call (most entries are small, and a zlib stream each costs
   * more than their content). An entry of unknown size is retried as its bytes arrive until
   * its deflate stream ends, which tells where its data ends. Larger entries continue
   * through a stream.
   */
  async #smallDeflate(current: Current, bytes: Uint8Array): Promise<number> {
    if (current.remaining !== Infinity) {
      const take = Math.min(current.remaining, bytes.length);
      if (current.bufferedBytes + take > SYNC_INFLATE_LIMIT) {
        await this.#toStream(current);
        return this.#current === current ? await this.#dataBytes(bytes) : bytes.length;
      }
      current.buffered.push(bytes.slice(0, take));
      current.bufferedBytes += take;
      current.remaining -= take;
      if (current.remaining === 0) {
        const input = concatBytes(current.buffered, current.bufferedBytes);
        current.buffered = [];
        const inflated = this.#inflateSync(input);
        // Truncated data, data that does not inflate, or bytes after its end: validation's.
        if (typeof inflated === "object" && inflated?.consumed === input.length) {
          this.#add(current, inflated.output);
        } else {
          current.ok = false;
        }
        if (this.#current === current) this.#record(current);
      }
      return take;
    }
    // Unknown size: everything is taken and kept; the stream is tried again each time the
    // kept bytes have doubled (a trickle of tiny pieces costs a few tries, not one each), and
    // the bytes found after its end are given back to the scan.
    // The first try reads the piece in place (most entries end inside it); kept bytes are
    // copied, as the piece belongs to the caller.
    const first = current.bufferedBytes === 0;
    if (!first) current.buffered.push(bytes.slice());
    current.bufferedBytes += bytes.length;
    const full = current.bufferedBytes > SYNC_INFLATE_LIMIT;
    if (!first && !full && current.bufferedBytes < 2 * current.lastAttempt) {
      return bytes.length;
    }
    current.lastAttempt = current.bufferedBytes;
    const input = first ? bytes : concatBytes(current.buffered, current.bufferedBytes);
    const inflated = this.#inflateSync(input);
    if (inflated === "more") {
      current.buffered = [first ? bytes.slice() : input];
      if (full) await this.#toStream(current);
      return bytes.length;
    }
    if (!inflated || inflated.consumed <= 0) {
      this.#stop(); // where this entry ends is unknown: nothing more to follow
      return bytes.length;
    }
    current.buffered = [];
    current.bufferedBytes = 0;
    this.#add(current, inflated.output);
    current.compressedSize = inflated.consumed;
    current.remaining = 0;
    this.#giveBack = input.subarray(inflated.consumed);
    return bytes.length;
  }

  /**
   * Inflates a whole deflate stream at the start of `input`; returns the content and the
   * bytes the stream took, `"more"` when `input` ends before the stream does, or `null`
   * when it does not inflate (or inflates to more than a slice of the module's budget).
   */
  #inflateSync(input: Uint8Array): { output: Uint8Array; consumed: number } | "more" | null {
    const budget = Math.max(1, Math.min(SYNC_OUTPUT_LIMIT, MAX_ZIP_SIZE - this.#produced));
    try {
      const { buffer, engine } = zlib.inflateRawSync(input, {
        info: true,
        maxOutputLength: budget,
      } as zlib.ZlibOptions) as unknown as {
        buffer: Uint8Array;
        engine: { bytesWritten: number };
      };
      return { output: buffer, consumed: engine.bytesWritten };
    } catch (err) {
      return (err as { code?: string }).code === "Z_BUF_ERROR" ? "more" : null;
    }
  }

  /**
   * Continues an entry through a zlib stream, starting with its buffered bytes (none of
   * which lies past the end of its deflate data: a synchronous try said so, or its size is
   * known).
   */
  async #toStream(current: Current): Promise<void> {
    const buffered = current.buffered;
    if (current.remaining !== Infinity) current.remaining += current.bufferedBytes;
    current.buffered = [];
    current.bufferedBytes = 0;
    current.inflater = this.#inflater();
    for (const piece of buffered) {
      await this.#dataBytes(piece);
      if (this.#current !== current) return; // stopped, or the entry ended
    }
  }

  /** Lets the inflater flush and finish; an unfinished deflate stream is not recorded. */
  async #endInflate(current: Current): Promise<void> {
    const inflater = current.inflater!;
    await settled(inflater, (done) => {
      inflater.once("end", done);
      inflater.end();
    });
    if (this.#current !== current) return;
    if (current.compressedSize < 0) current.compressedSize = current.fed;
    if (!current.descriptor) this.#record(current);
  }

  /** Consumes the data descriptor after an entry of unknown size, then records it. */
  #descriptorBytes(bytes: Uint8Array): number {
    const current = this.#current!;
    if (!current.descriptor) {
      this.#current = null; // already recorded (or skipped)
      return 0;
    }
    let taken = this.#collect(bytes, 4);
    if (this.#pending.length < 4) return taken;
    const signed = new DataView(this.#pending.buffer).getUint32(0, true) === DESCRIPTOR_SIGNATURE;
    const length = (signed ? 4 : 0) + (current.zip64 ? 20 : 12);
    taken += this.#collect(bytes.subarray(taken), length);
    if (this.#pending.length === length) {
      this.#pending = new Uint8Array(0);
      this.#record(current);
    }
    return taken;
  }

  #record(current: Current): void {
    this.#current = null;
    if (!current.ok || this.#stopped) return;
    this.#entries.set(current.headerOffset, {
      dataOffset: current.dataOffset,
      compressedSize: current.compressedSize,
      method: current.method,
      size: current.digest.size,
      crc32: current.digest.crc >>> 0,
      sha256: current.digest.sha256(),
    });
  }
}

/**
 * Runs `start` and resolves when it calls `done`, or when the stream fails or closes
 * (a write to a failed stream may never call back).
 */
function settled(
  stream: zlib.InflateRaw,
  start: (done: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("error", done);
    stream.once("close", done);
    start(done);
  });
}

/** Whether a local header's extra fields hold a zip64 record (tag 0x0001). */
function hasZip64Extra(extra: Uint8Array): boolean {
  const view = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let at = 0; at + 4 <= extra.length;) {
    if (view.getUint16(at, true) === 0x0001) return true;
    at += 4 + view.getUint16(at + 2, true);
  }
  return false;
}
