/**
 * Reading a module zip the way Go's archive/zip and golang.org/x/mod see it: entry names
 * from the raw central-directory bytes (strict UTF-8), every x/mod CheckZip rule, modyard's
 * stricter rules, and the h1 hashes. Works over any zip.js `Reader`, so the registry
 * validates an upload straight from its KV chunks and tests can use in-memory archives.
 *
 * @module
 */

import { configure, type Entry, type Reader, ZipReader } from "@zip.js/zip.js";
import { createHash } from "node:crypto";
import { goModHash1, hash1, type HashedFile } from "../gomod/dirhash.ts";
import { parseModFile, type Retraction } from "../gomod/modfile.ts";
import { goQuote } from "../gomod/quote.ts";
import {
  identifyModule,
  MAX_CENTRAL_DIRECTORY_SIZE,
  MAX_GO_MOD_SIZE,
  MAX_ZIP_ENTRIES,
  type ModuleId,
  ZipEntryChecker,
  type ZipEntryInfo,
  ZipRuleError,
} from "../gomod/zipcheck.ts";
import { type EntryDigest, EntryDigester } from "./entry_digest.ts";
import { type CentralRecord, checkLocalHeader, findOverlap } from "./local_headers.ts";
import type { ScannedEntry } from "./zip_prescan.ts";

configure({ useWebWorkers: false });

/** What a valid module zip holds. */
export interface ZipInspection {
  /** Module path and version named by the entries. */
  id: ModuleId;
  /** go.sum hash of the zip. */
  h1: string;
  /** go.sum hash of the go.mod (synthesised `module <path>\n` when absent). */
  goModH1: string;
  /** The root go.mod, or `null` when the zip has none. */
  goMod: Uint8Array | null;
  /** `go` directive of the go.mod, `""` when none. */
  goVersion: string;
  /** `retract` directives of the go.mod. */
  retract: Retraction[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeName(raw: Uint8Array): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/** How an inspection may use work done earlier. */
export interface InspectOptions {
  /**
   * Digests of entries computed while the archive was received (by local header offset):
   * used only for an entry whose local header, data offset, sizes, method and CRC-32 all
   * agree with them; every other entry is read from `source`.
   */
  scanned?: (headerOffset: number) => ScannedEntry | undefined;
  /**
   * `false` skips the publish-only go.mod policy (it must parse and its `module` line name
   * the zip's module): for zips other proxies already serve, which x/mod's rules alone judge.
   * Default `true`.
   */
  goModPolicy?: boolean;
}

/**
 * Validates a module zip and computes its hashes. Throws {@link ZipRuleError} (naming the
 * rule and the entry) for every archive modyard refuses; other errors are I/O failures.
 * The entry count is read from the end records before any entry is, and refused above
 * {@link MAX_ZIP_ENTRIES}. Long validations pause every few milliseconds, so a large archive
 * never holds up other requests.
 */
export async function inspectModuleZip(
  source: Reader<unknown>,
  options: InspectOptions = {},
): Promise<ZipInspection> {
  await checkEndRecord(source);
  let serial = 0;
  const reader = new ZipReader(source, {
    useWebWorkers: false,
    strictness: "strict",
    // Names are judged by the Go rules on the raw bytes, below, not by zip.js.
    filenameValidation: "tolerant",
    // zip.js's strict mode would refuse duplicate names before the Go rules can name them;
    // a unique alias per entry leaves that verdict (and its message) to ZipEntryChecker.
    normalizeFilename: (name) => `${serial++}\u0000${name}`,
  });
  const pacer = new Pacer();
  try {
    // zip.js reads the central directory; its entry objects take kilobytes each, so only
    // compact records are kept, and the local headers and data are read from those.
    const infos: ZipEntryInfo[] = [];
    const records: Central[] = [];
    await forEachEntry(reader, pacer, (entry) => {
      infos.push({ name: decodeName(entry.rawFilename), size: entry.uncompressedSize });
      records.push({
        offset: entry.offset,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        crc32: (entry.crc32 ?? 0) >>> 0,
        method: entry.compressionMethod,
        flags: entry.rawBitFlag ?? 0,
        zip64: entry.zip64,
        directory: entry.directory,
        encrypted: entry.encrypted,
      });
    });
    const id = identifyModule(infos);
    const checker = new ZipEntryChecker(id);
    for (const info of infos) {
      checker.add(info);
      await pacer.pause();
    }
    checker.finish();
    const prefix = `${id.path}@${id.version}/`;
    const dataLimit = Math.min(source.size, reader.directoryOffset ?? source.size);
    const dataOffsets = new Float64Array(records.length);
    const starts = new Float64Array(records.length), ends = new Float64Array(records.length);
    for (const [i, record] of records.entries()) {
      checkEntryFormat(record, infos[i].name!);
      const layout = await checkLocalHeader(source, record, infos[i].name!, dataLimit);
      dataOffsets[i] = layout.dataOffset;
      starts[i] = record.offset;
      ends[i] = layout.end;
      await pacer.pause();
    }
    const overlapping = findOverlap(starts, ends);
    if (overlapping >= 0) {
      throw new ZipRuleError(`${infos[overlapping].name}: entry overlaps another entry`);
    }
    const hashed: HashedFile[] = [];
    let goMod: Uint8Array | null = null;
    for (const [i, record] of records.entries()) {
      const name = infos[i].name!;
      const keep = name === prefix + "go.mod";
      const { sha256, content } = await digestEntry(
        source,
        record,
        dataOffsets[i],
        name,
        keep,
        options.scanned,
      );
      hashed.push({ name, sha256 });
      if (keep) goMod = content;
      await pacer.pause();
    }
    const modText = goMod ?? new TextEncoder().encode(`module ${id.path}\n`);
    const inspection: ZipInspection = {
      id,
      h1: await pacedHash1(hashed, pacer),
      goModH1: goModHash1(modText),
      goMod,
      goVersion: "",
      retract: [],
    };
    if (goMod) {
      let parsed;
      try {
        parsed = parseModFile(new TextDecoder().decode(goMod));
      } catch (err) {
        if (options.goModPolicy === false) return inspection;
        throw new ZipRuleError(`${prefix}go.mod: ${(err as Error).message}`);
      }
      if (parsed.module !== id.path && options.goModPolicy !== false) {
        throw new ZipRuleError(
          `${prefix}go.mod: module line says ${goQuote(parsed.module)}, but the zip is for ${
            goQuote(id.path)
          }`,
        );
      }
      inspection.goVersion = parsed.go;
      inspection.retract = parsed.retract;
    }
    return inspection;
  } finally {
    await reader.close();
  }
}

/**
 * Calls `visit` for each central directory entry in order, pausing between entries when
 * the pacer says so. A central directory zip.js cannot read is refused as not a zip.
 */
async function forEachEntry(
  reader: ZipReader<unknown>,
  pacer: Pacer,
  visit: (entry: Entry, index: number) => void | Promise<void>,
): Promise<void> {
  const entries = reader.getEntriesGenerator();
  try {
    for (let index = 0;; index++) {
      let next: IteratorResult<Entry, boolean>;
      try {
        next = await entries.next();
      } catch (err) {
        throw new ZipRuleError(`not a valid zip file: ${describeZipError(err).text}`);
      }
      if (next.done) return;
      await visit(next.value, index);
      await pacer.pause();
    }
  } finally {
    await entries.return(true);
  }
}

/**
 * {@link hash1} with pauses, for archives of many entries. Names without UTF-16 surrogates
 * sort the same as strings and as UTF-8 bytes (Go's order), so they are sorted natively and
 * summed a slice at a time; any other name set is left to hash1 itself.
 */
async function pacedHash1(files: HashedFile[], pacer: Pacer): Promise<string> {
  if (files.some((f) => /[\uD800-\uDFFF\n]/.test(f.name))) return hash1(files);
  files.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  await pacer.pause();
  const summary = createHash("sha256");
  for (const f of files) {
    summary.update(`${f.sha256}  ${f.name}\n`);
    await pacer.pause();
  }
  return "h1:" + summary.digest("base64");
}

/**
 * Gives the event loop a turn once a slice of synchronous-looking work (zip.js resolves
 * most of its promises at once when the data is cached) has run for a few milliseconds.
 */
class Pacer {
  #since = performance.now();

  constructor(readonly sliceMs = 10) {}

  /** Waits for a macrotask turn if the current slice is used up. */
  async pause(): Promise<void> {
    if (performance.now() - this.#since < this.sliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#since = performance.now();
  }
}

const EOCD_LENGTH = 22;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_EOCD_LENGTH = 56;

/** What the end records declare, read before any entry. */
export interface EndRecord {
  /** Number of entries (the zip64 count when the classic one is saturated). */
  entries: number;
  /** Size of the central directory in bytes. */
  directorySize: number;
}

/**
 * Finds the end of central directory record the way Go's archive/zip does (the last
 * signature whose comment fits in the file) and requires it to end the file exactly: a
 * comment length pointing past the end makes Go refuse the archive, one that stops short
 * leaves data after the archive. zip.js tolerates both. Then refuses archives that declare
 * more entries than {@link MAX_ZIP_ENTRIES} or a central directory larger than
 * {@link MAX_CENTRAL_DIRECTORY_SIZE}, before anything reads them.
 */
export async function checkEndRecord(source: Reader<unknown>): Promise<EndRecord> {
  await source.init?.();
  const size = source.size;
  const window = Math.min(size, EOCD_LENGTH + 65_535);
  const tail = await source.readUint8Array(size - window, window);
  for (let i = tail.length - EOCD_LENGTH; i >= 0; i--) {
    if (tail[i] !== 0x50 || tail[i + 1] !== 0x4b || tail[i + 2] !== 0x05 || tail[i + 3] !== 0x06) {
      continue;
    }
    const view = new DataView(tail.buffer, tail.byteOffset + i, EOCD_LENGTH);
    const commentLength = view.getUint16(20, true);
    const end = i + EOCD_LENGTH + commentLength;
    if (end > tail.length) continue;
    if (end !== tail.length) {
      throw new ZipRuleError("not a valid zip file: data after the archive is not allowed");
    }
    const record = await declaredCounts(source, size - window + i, view);
    if (record.entries > MAX_ZIP_ENTRIES) {
      throw new ZipRuleError(
        `zip file has too many entries (${record.entries}; limit is ${MAX_ZIP_ENTRIES})`,
      );
    }
    const recordOffset = size - window + i;
    if (record.directorySize > recordOffset) {
      throw new ZipRuleError(
        `not a valid zip file: the central directory (${record.directorySize} bytes) does not fit before the end record`,
      );
    }
    if (record.directorySize > MAX_CENTRAL_DIRECTORY_SIZE) {
      throw new ZipRuleError(
        `zip central directory is too large (${record.directorySize} bytes; limit is ${MAX_CENTRAL_DIRECTORY_SIZE})`,
      );
    }
    return record;
  }
  throw new ZipRuleError("not a valid zip file: no end of central directory record ends the file");
}

/**
 * The entry count and directory size of the end record at `offset`, taken from the zip64
 * end record when the classic fields are saturated (as every reader does).
 */
async function declaredCounts(
  source: Reader<unknown>,
  offset: number,
  eocd: DataView,
): Promise<EndRecord> {
  const record = { entries: eocd.getUint16(10, true), directorySize: eocd.getUint32(12, true) };
  const saturated = record.entries === 0xffff || record.directorySize === 0xffffffff ||
    eocd.getUint32(16, true) === 0xffffffff;
  if (!saturated || offset < ZIP64_LOCATOR_LENGTH) return record;
  const locator = new DataView(
    (await source.readUint8Array(offset - ZIP64_LOCATOR_LENGTH, ZIP64_LOCATOR_LENGTH)).buffer,
  );
  if (locator.byteLength < ZIP64_LOCATOR_LENGTH || locator.getUint32(0, true) !== 0x07064b50) {
    return record;
  }
  const at = Number(locator.getBigUint64(8, true));
  if (at + ZIP64_EOCD_LENGTH > source.size) return record;
  const zip64 = new DataView((await source.readUint8Array(at, ZIP64_EOCD_LENGTH)).buffer);
  if (zip64.byteLength < ZIP64_EOCD_LENGTH || zip64.getUint32(0, true) !== 0x06064b50) {
    return record;
  }
  // Either record may be the one a reader believes: the larger count is the one to bound.
  return {
    entries: Math.max(record.entries, Number(zip64.getBigUint64(32, true))),
    directorySize: Math.max(record.directorySize, Number(zip64.getBigUint64(40, true))),
  };
}

/** What the central directory says about an entry, kept for the checks after the names. */
interface Central extends CentralRecord {
  /** Whether zip.js sees a directory (by name or attributes). */
  directory: boolean;
  /** Whether the entry is encrypted. */
  encrypted: boolean;
}

/** modyard's stricter per-entry rules on the archive format itself. */
function checkEntryFormat(entry: Central, name: string): void {
  if (entry.directory) throw new ZipRuleError(`${name}: directory entries are not allowed`);
  if (entry.encrypted) throw new ZipRuleError(`${name}: encrypted entries are not allowed`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipRuleError(
      `${name}: compression method ${entry.method} is not allowed (only stored and deflate)`,
    );
  }
}

/** Bytes of stored entry data read from the source at a time. */
const READ_PIECE = 1024 * 1024;

/**
 * Digests an entry's content, from the upload scan when it vouches for exactly this entry,
 * else by reading its stored bytes: refusing data beyond its declared size (zip bombs),
 * bad CRC-32s and data that does not inflate.
 */
async function digestEntry(
  source: Reader<unknown>,
  entry: CentralRecord,
  dataOffset: number,
  name: string,
  keep: boolean,
  scanned?: (headerOffset: number) => ScannedEntry | undefined,
): Promise<EntryDigest> {
  const early = keep ? undefined : scanned?.(entry.offset);
  if (
    early && early.dataOffset === dataOffset && early.compressedSize === entry.compressedSize &&
    early.method === entry.method && early.size === entry.uncompressedSize &&
    early.crc32 === entry.crc32
  ) {
    return { size: early.size, crc32: early.crc32, sha256: early.sha256, content: null };
  }
  const digester = new EntryDigester({
    name,
    method: entry.method,
    size: entry.uncompressedSize,
    crc32: entry.crc32,
  }, keep);
  try {
    for (let done = 0; done < entry.compressedSize;) {
      const length = Math.min(READ_PIECE, entry.compressedSize - done);
      const piece = await source.readUint8Array(dataOffset + done, length);
      if (piece.byteLength !== length) {
        throw new ZipRuleError(`${name}: cannot read entry: the archive ends inside it`);
      }
      await digester.write(piece);
      done += length;
    }
    const digest = await digester.close();
    if (keep && digest.size > MAX_GO_MOD_SIZE) {
      throw new ZipRuleError(
        `${name}: go.mod file too large (max size is ${MAX_GO_MOD_SIZE} bytes)`,
      );
    }
    return digest;
  } catch (err) {
    digester.abort();
    throw err;
  }
}

/** zip.js's ambiguity reasons, and other errors, phrased as the rule they break. */
const ZIP_ERROR_RULES: [RegExp, string][] = [
  [/^prepended data$/, "data before the archive is not allowed"],
  [/^appended data$/, "data after the archive is not allowed"],
  [/zip64/, "zip64 end of central directory record disagrees with the classic record"],
  [
    /^mismatched local file header \((.*)\)$/,
    "local file header disagrees with the central directory ($1)",
  ],
  [/^Overlapping entry found$/, "entry overlaps another entry"],
  [/^Invalid uncompressed size$/, "entry inflates to more than its declared size"],
  [/^Invalid CRC32$/, "CRC-32 does not match the content"],
  [
    /^Split zip file$/,
    "split (multi-disk) archives are not allowed: the end record must name disk 0",
  ],
  [
    /^trailing central directory data$/,
    "the central directory size disagrees with its entries (trailing central directory data)",
  ],
  [
    /^mismatched central directory offset$/,
    "the central directory offset disagrees with where the directory is",
  ],
  [/^multiple end of central directory records$/, "more than one end record ends the file"],
  [/^duplicate filename$/, "an entry name appears twice in the central directory"],
];

function describeZipError(err: unknown): { rule: boolean; text: string } {
  const message = err instanceof Error ? err.message : String(err);
  const reason = (err as { reason?: unknown })?.reason;
  const detail = typeof reason === "string" ? reason : message;
  for (const [pattern, rule] of ZIP_ERROR_RULES) {
    if (pattern.test(detail)) return { rule: true, text: detail.replace(pattern, rule) };
  }
  return { rule: false, text: typeof reason === "string" ? `${message} (${reason})` : message };
}
