/**
 * Reading a module zip the way Go's archive/zip and golang.org/x/mod see it: entry names
 * from the raw central-directory bytes (strict UTF-8), every x/mod CheckZip rule, modyard's
 * stricter rules, and the h1 hashes. Works over any zip.js `Reader`, so the registry
 * validates an upload straight from its KV chunks and tests can use in-memory archives.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { configure, type Entry, type FileEntry, type Reader, ZipReader } from "@zip.js/zip.js";
import { goModHash1, hash1, type HashedFile } from "../gomod/dirhash.ts";
import { parseModFile, type Retraction } from "../gomod/modfile.ts";
import { goQuote } from "../gomod/quote.ts";
import {
  checkZipEntries,
  identifyModule,
  MAX_GO_MOD_SIZE,
  type ModuleId,
  ZipRuleError,
} from "../gomod/zipcheck.ts";

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

/**
 * Validates a module zip and computes its hashes. Throws {@link ZipRuleError} (naming the
 * rule and the entry) for every archive modyard refuses; other errors are I/O failures.
 */
export async function inspectModuleZip(source: Reader<unknown>): Promise<ZipInspection> {
  await checkEndRecord(source);
  let serial = 0;
  const reader = new ZipReader(source, {
    useWebWorkers: false,
    checkCrc32: true,
    strictness: "strict",
    checkOverlappingEntry: true,
    // Names are judged by the Go rules on the raw bytes, below, not by zip.js.
    filenameValidation: "tolerant",
    // zip.js's strict mode would refuse duplicate names before the Go rules can name them;
    // a unique alias per entry leaves that verdict (and its message) to checkZipEntries.
    normalizeFilename: (name) => `${serial++}\u0000${name}`,
  });
  try {
    let entries: Entry[];
    try {
      entries = await reader.getEntries();
    } catch (err) {
      throw new ZipRuleError(`not a valid zip file: ${describeZipError(err).text}`);
    }
    const infos = entries.map((e) => ({
      name: decodeName(e.rawFilename),
      size: e.uncompressedSize,
    }));
    const id = identifyModule(infos);
    checkZipEntries(id, infos);
    const prefix = `${id.path}@${id.version}/`;
    const hashed: HashedFile[] = [];
    let goMod: Uint8Array | null = null;
    for (const [i, entry] of entries.entries()) {
      const name = infos[i].name!;
      checkEntryFormat(entry, name);
      const keep = name === prefix + "go.mod";
      const { sha256, content } = await hashEntry(entry, name, keep);
      hashed.push({ name, sha256 });
      if (keep) goMod = content;
    }
    const modText = goMod ?? new TextEncoder().encode(`module ${id.path}\n`);
    const inspection: ZipInspection = {
      id,
      h1: hash1(hashed),
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
        throw new ZipRuleError(`${prefix}go.mod: ${(err as Error).message}`);
      }
      if (parsed.module !== id.path) {
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

const EOCD_LENGTH = 22;

/**
 * Finds the end of central directory record the way Go's archive/zip does (the last
 * signature whose comment fits in the file) and requires it to end the file exactly: a
 * comment length pointing past the end makes Go refuse the archive, one that stops short
 * leaves data after the archive. zip.js tolerates both.
 */
async function checkEndRecord(source: Reader<unknown>): Promise<void> {
  await source.init?.();
  const size = source.size;
  const window = Math.min(size, EOCD_LENGTH + 65_535);
  const tail = await source.readUint8Array(size - window, window);
  for (let i = tail.length - EOCD_LENGTH; i >= 0; i--) {
    if (tail[i] !== 0x50 || tail[i + 1] !== 0x4b || tail[i + 2] !== 0x05 || tail[i + 3] !== 0x06) {
      continue;
    }
    const commentLength = tail[i + 20] | (tail[i + 21] << 8);
    const end = i + EOCD_LENGTH + commentLength;
    if (end > tail.length) continue;
    if (end === tail.length) return;
    throw new ZipRuleError("not a valid zip file: data after the archive is not allowed");
  }
  throw new ZipRuleError("not a valid zip file: no end of central directory record ends the file");
}

/** modyard's stricter per-entry rules on the archive format itself. */
function checkEntryFormat(entry: Entry, name: string): asserts entry is FileEntry {
  if (entry.directory) throw new ZipRuleError(`${name}: directory entries are not allowed`);
  if (entry.encrypted) throw new ZipRuleError(`${name}: encrypted entries are not allowed`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new ZipRuleError(
      `${name}: compression method ${entry.compressionMethod} is not allowed (only stored and deflate)`,
    );
  }
}

/** Streams an entry through SHA-256, refusing data beyond its declared size (zip bombs). */
async function hashEntry(
  entry: FileEntry,
  name: string,
  keep: boolean,
): Promise<{ sha256: string; content: Uint8Array | null }> {
  const hash = createHash("sha256");
  const declared = entry.uncompressedSize;
  const kept: Uint8Array[] = [];
  let total = 0;
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      total += chunk.byteLength;
      if (total > declared) {
        throw new ZipRuleError(
          `${name}: entry inflates to more than its declared size of ${declared} bytes`,
        );
      }
      hash.update(chunk);
      if (keep) kept.push(chunk.slice());
    },
  });
  try {
    await entry.getData(sink);
  } catch (err) {
    if (err instanceof ZipRuleError) throw err;
    const problem = describeZipError(err);
    throw new ZipRuleError(`${name}: ${problem.rule ? "" : "cannot read entry: "}${problem.text}`);
  }
  if (total !== declared) {
    throw new ZipRuleError(`${name}: entry has ${total} bytes but declares ${declared}`);
  }
  if (keep && total > MAX_GO_MOD_SIZE) {
    throw new ZipRuleError(`${name}: go.mod file too large (max size is ${MAX_GO_MOD_SIZE} bytes)`);
  }
  if (!keep) return { sha256: hash.digest("hex"), content: null };
  const content = new Uint8Array(total);
  let offset = 0;
  for (const c of kept) {
    content.set(c, offset);
    offset += c.length;
  }
  return { sha256: hash.digest("hex"), content };
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
