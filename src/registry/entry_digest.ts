/**
 * The content check of one zip entry: its stored bytes go in (in any number of pieces),
 * out come its size, CRC-32 and SHA-256, or a {@link ZipRuleError} naming what is wrong.
 * Inflation is native (node:zlib for small entries, `DecompressionStream` for large ones)
 * and stops at the declared size, so a zip bomb costs no more than its declared size.
 *
 * A truncated deflate stream is refused. Bytes after the end of a small entry's deflate
 * stream are ignored, as Go's archive/zip ignores them; a large entry is inflated as the
 * body of a gzip member whose trailer carries the declared CRC-32 and size (the way zip.js
 * checks entries), which refuses such bytes.
 *
 * @module
 */

import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { ZipRuleError } from "../gomod/zipcheck.ts";
import { concatBytes } from "../bytes/concat_bytes.ts";

/** What an entry's content turned out to be. */
export interface EntryDigest {
  /** Uncompressed size. */
  size: number;
  /** CRC-32 of the content. */
  crc32: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
  /** The content, when it was asked to be kept. */
  content: Uint8Array | null;
}

/** What the archive says about an entry. */
export interface DeclaredEntry {
  /** Entry name, for error messages. */
  name: string;
  /** 0 (stored) or 8 (deflate). */
  method: number;
  /** Declared uncompressed size. */
  size: number;
  /** Declared CRC-32. */
  crc32: number;
}

/** Compressed entries up to this size are inflated in one synchronous call. */
const SYNC_INFLATE_LIMIT = 1024 * 1024;
/** …if they declare at most this many bytes of content. */
const SYNC_OUTPUT_LIMIT = 16 * 1024 * 1024;

/** SHA-256 of no bytes (many entries are empty: no hash object for them). */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Size, CRC-32 and SHA-256 of content passing through, piece by piece (no hash object for
 * empty content).
 *
 * @example
 * ```ts
 * const d = new ContentDigest();
 * d.add(new TextEncoder().encode("a\n"));
 * d.size; // 2
 * ```
 */
export class ContentDigest {
  #hash: ReturnType<typeof createHash> | null = null;
  /** CRC-32 so far (unsigned). */
  crc = 0;
  /** Bytes so far. */
  size = 0;

  /** Adds the next piece of content. */
  add(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.size += bytes.byteLength;
    this.crc = zlib.crc32(bytes, this.crc);
    (this.#hash ??= createHash("sha256")).update(bytes);
  }

  /** Hex SHA-256 of the content (once: the hash is finished by this call). */
  sha256(): string {
    return this.#hash ? this.#hash.digest("hex") : EMPTY_SHA256;
  }
}

const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

function gzipTrailer(crc: number, size: number): Uint8Array<ArrayBuffer> {
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc >>> 0, true);
  view.setUint32(4, size >>> 0, true);
  return trailer;
}

/**
 * Digests one entry from its stored bytes, written in order with {@link write}, then
 * {@link close}. Throws {@link ZipRuleError} for content that inflates beyond its declared
 * size, fails its CRC-32, has another size than declared, or does not inflate.
 *
 * @example
 * ```ts
 * const d = new EntryDigester({ name: "a.go", method: 0, size: 2, crc32: 0x3d8a5a5e }, false);
 * await d.write(new TextEncoder().encode("a\n"));
 * (await d.close()).size; // 2
 * ```
 */
export class EntryDigester {
  #digest = new ContentDigest();
  #kept: Uint8Array[] = [];
  #buffered: Uint8Array[] = [];
  #bufferedBytes = 0;
  #stream: {
    writer: WritableStreamDefaultWriter<BufferSource>;
    drained: Promise<void>;
  } | null = null;
  #failure: unknown = null;

  /** Starts the digest of `entry`; `keep` keeps the content in memory (for a go.mod). */
  constructor(readonly entry: DeclaredEntry, readonly keep: boolean) {}

  /** Takes the next piece of the entry's stored bytes. */
  async write(stored: Uint8Array): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.entry.method === 0) {
      this.#output(stored);
      return;
    }
    if (this.#stream) {
      await this.#feed(stored);
      return;
    }
    this.#buffered.push(stored);
    this.#bufferedBytes += stored.byteLength;
    if (this.#bufferedBytes > SYNC_INFLATE_LIMIT || this.entry.size > SYNC_OUTPUT_LIMIT) {
      this.#startStream();
      const pieces = this.#buffered;
      this.#buffered = [];
      for (const piece of pieces) await this.#feed(piece);
    }
  }

  /** Ends the entry and checks it; returns its digest. */
  async close(): Promise<EntryDigest> {
    if (this.#failure) throw this.#failure;
    if (this.entry.method !== 0) {
      if (this.#stream) await this.#finishStream();
      else this.#inflateBuffered();
    }
    const { name, size, crc32 } = this.entry;
    const digest = this.#digest;
    if (digest.size !== size) {
      throw new ZipRuleError(`${name}: entry has ${digest.size} bytes but declares ${size}`);
    }
    if (digest.crc !== crc32 >>> 0) {
      throw new ZipRuleError(`${name}: CRC-32 does not match the content`);
    }
    return {
      size: digest.size,
      crc32: digest.crc,
      sha256: digest.sha256(),
      content: this.keep ? concatBytes(this.#kept, digest.size) : null,
    };
  }

  /** Stops a digest that will not be finished (frees the inflater). */
  abort(): void {
    this.#failure ??= new ZipRuleError(`${this.entry.name}: entry was not read to its end`);
    this.#stream?.writer.abort(this.#failure).catch(() => {});
    this.#stream = null;
  }

  #output(bytes: Uint8Array): void {
    if (this.#digest.size + bytes.byteLength > this.entry.size) {
      throw this.#fail(this.#tooLarge());
    }
    this.#digest.add(bytes);
    if (this.keep) this.#kept.push(bytes.slice());
  }

  #tooLarge(): ZipRuleError {
    const { name, size } = this.entry;
    return new ZipRuleError(
      `${name}: entry inflates to more than its declared size of ${size} bytes`,
    );
  }

  #fail(err: unknown): unknown {
    this.#failure ??= err;
    return this.#failure;
  }

  #inflateBuffered(): void {
    const input = concatBytes(this.#buffered, this.#bufferedBytes);
    this.#buffered = [];
    let out: Uint8Array;
    try {
      out = zlib.inflateRawSync(input, { maxOutputLength: Math.max(1, this.entry.size) });
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
        throw this.#fail(this.#tooLarge());
      }
      throw this.#fail(this.#inflateError(err));
    }
    this.#output(out);
  }

  #startStream(): void {
    const inflater = new DecompressionStream("gzip");
    const writer = inflater.writable.getWriter();
    const reader = inflater.readable.getReader();
    const drained = (async () => {
      for (;;) {
        const next = await reader.read();
        if (next.done) return;
        try {
          this.#output(next.value);
        } catch (err) {
          await reader.cancel(err).catch(() => {});
          throw err;
        }
      }
    })();
    drained.catch((err) => this.#fail(this.#inflateError(err)));
    this.#stream = { writer, drained };
    writer.write(GZIP_HEADER).catch(() => {});
  }

  async #feed(stored: Uint8Array): Promise<void> {
    const stream = this.#stream!;
    try {
      await stream.writer.ready;
      await stream.writer.write(stored as Uint8Array<ArrayBuffer>);
    } catch (err) {
      await stream.drained.catch(() => {});
      throw this.#fail(this.#failure ?? this.#inflateError(err));
    }
    if (this.#failure) throw this.#failure;
  }

  async #finishStream(): Promise<void> {
    const stream = this.#stream!;
    this.#stream = null;
    try {
      await stream.writer.write(gzipTrailer(this.entry.crc32, this.entry.size));
      await stream.writer.close();
      await stream.drained;
    } catch (err) {
      await stream.drained.catch(() => {});
      throw this.#fail(this.#failure ?? this.#inflateError(err));
    }
  }

  /** An inflater error as a rule: a complete entry with a bad checksum, else unreadable. */
  #inflateError(err: unknown): ZipRuleError {
    if (err instanceof ZipRuleError) return err;
    const { name, size, crc32 } = this.entry;
    if (this.#digest.size === size && this.#digest.crc !== crc32 >>> 0) {
      return new ZipRuleError(`${name}: CRC-32 does not match the content`);
    }
    return new ZipRuleError(`${name}: cannot read entry: ${(err as Error).message}`);
  }
}
