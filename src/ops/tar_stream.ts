/**
 * A minimal POSIX ustar writer and streaming reader for export archives: regular files only,
 * names up to 100 bytes, sizes below 8 GiB. `tar -tvf` and `tar -xf` read what it writes.
 *
 * @module
 */

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Something bytes can be written to in order (a file, a stream writer). */
export interface ByteSink {
  /** Writes all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * The 512-byte ustar header of a regular file.
 *
 * @example
 * ```ts
 * tarHeader("a.txt", 3, 0o600, 0).length; // 512
 * ```
 */
export function tarHeader(name: string, size: number, mode: number, mtime: number): Uint8Array {
  const nameBytes = encoder.encode(name);
  if (nameBytes.length > 100) {
    throw new RangeError(`Cannot store tar entry name ${JSON.stringify(name)}: over 100 bytes`);
  }
  if (!Number.isSafeInteger(size) || size < 0 || size >= 8 * 1024 ** 3) {
    throw new RangeError(`Cannot store tar entry of ${size} bytes`);
  }
  const h = new Uint8Array(BLOCK);
  const put = (text: string, offset: number) => h.set(encoder.encode(text), offset);
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, "0");
  h.set(nameBytes, 0);
  put(octal(mode, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(Math.floor(mtime), 12), 136);
  put("        ", 148);
  put("0", 156);
  put("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  put(octal(sum, 7) + " ", 148);
  return h;
}

/** Writes a tar archive entry by entry. */
export class TarWriter {
  /** Bytes written so far. */
  written = 0;

  /** Creates a writer over `sink`. */
  constructor(readonly sink: ByteSink, readonly mtime = Math.floor(Date.now() / 1000)) {}

  /**
   * Adds a file of exactly `size` bytes whose content `fill` writes through the function it
   * is given. Content beyond `size` throws; content short of it is padded with zero bytes
   * (so the archive stays readable when a source fails half-way); returns the bytes `fill`
   * wrote.
   */
  async add(
    name: string,
    size: number,
    fill: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
  ): Promise<number> {
    await this.#out(tarHeader(name, size, 0o600, this.mtime));
    let got = 0;
    let failure: unknown = null;
    try {
      await fill(async (bytes) => {
        if (got + bytes.byteLength > size) {
          throw new RangeError(`Tar entry ${name} exceeds ${size} bytes`);
        }
        got += bytes.byteLength;
        await this.#out(bytes);
      });
    } catch (err) {
      failure = err;
    }
    const pad = (size - got) + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (pad > 0) await this.#out(new Uint8Array(pad));
    if (failure) throw failure;
    return got;
  }

  /** Adds a file held in memory. */
  async addBytes(name: string, bytes: Uint8Array): Promise<void> {
    await this.add(name, bytes.byteLength, (write) => write(bytes));
  }

  /** Writes the two zero blocks that end an archive. */
  async close(): Promise<void> {
    await this.#out(new Uint8Array(2 * BLOCK));
  }

  async #out(bytes: Uint8Array): Promise<void> {
    await this.sink.write(bytes);
    this.written += bytes.byteLength;
  }
}

/** One file of an archive being read; its content must be read (or skipped) before the next. */
export interface TarEntry {
  /** Entry name. */
  name: string;
  /** Content size. */
  size: number;
  /** The content, in pieces. */
  content(): AsyncIterable<Uint8Array>;
}

/** Exact-length reads over a byte stream. */
class StreamBytes {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #head: Uint8Array = new Uint8Array(0);
  /** Bytes consumed so far. */
  consumed = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Up to `max` bytes (at least 1), or null at the end. */
  async piece(max: number): Promise<Uint8Array | null> {
    while (this.#head.byteLength === 0) {
      const next = await this.#reader.read();
      if (next.done) return null;
      this.#head = next.value;
    }
    const out = this.#head.subarray(0, max);
    this.#head = this.#head.subarray(out.byteLength);
    this.consumed += out.byteLength;
    return out;
  }

  /** Exactly `n` bytes; throws at an early end. */
  async exact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const p = await this.piece(n - filled);
      if (p === null) {
        throw new SyntaxError("Cannot read archive: it ends in the middle of an entry");
      }
      out.set(p, filled);
      filled += p.byteLength;
    }
    return out;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function parseOctal(field: Uint8Array): number {
  const text = decoder.decode(field).replace(/\0.*$/s, "").trim();
  if (!/^[0-7]+$/.test(text)) {
    throw new SyntaxError(`Cannot read archive: bad number field ${JSON.stringify(text)}`);
  }
  return parseInt(text, 8);
}

/**
 * Reads a tar archive from a stream, entry by entry (regular files; other entry types are
 * skipped). Throws `SyntaxError` for a damaged archive. `onBytes` reports the bytes read.
 *
 * @example
 * ```ts
 * for await (const entry of readTar(file.readable)) {
 *   for await (const piece of entry.content()) console.log(entry.name, piece.length);
 * }
 * ```
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  onBytes: (consumed: number) => void = () => {},
): AsyncGenerator<TarEntry> {
  const input = new StreamBytes(stream);
  try {
    for (;;) {
      const header = await input.exact(BLOCK);
      if (header.every((b) => b === 0)) return;
      let sum = 0;
      header.forEach((b, i) => sum += i >= 148 && i < 156 ? 32 : b);
      if (sum !== parseOctal(header.subarray(148, 156))) {
        throw new SyntaxError(
          "Cannot read archive: a header checksum does not match (not a tar file?)",
        );
      }
      const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, "");
      const size = parseOctal(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] || 48);
      let left = size;
      const content = async function* () {
        while (left > 0) {
          const p = await input.piece(Math.min(left, 1 << 20));
          if (p === null) {
            throw new SyntaxError("Cannot read archive: it ends in the middle of an entry");
          }
          left -= p.byteLength;
          onBytes(input.consumed);
          yield p;
        }
      };
      if (type === "0") yield { name, size, content };
      for await (const _ of content()) { /* skip what the consumer did not read */ }
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad > 0) await input.exact(pad);
      onBytes(input.consumed);
    }
  } finally {
    await input.cancel().catch(() => {});
  }
}
