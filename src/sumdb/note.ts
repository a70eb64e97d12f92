/**
 * Go's signed notes (golang.org/x/mod/sumdb/note): a text ending in a newline, a blank line,
 * then signature lines `— <name> <base64(key hash ‖ signature)>`. Signing and opening
 * (verifying) notes with the keys of `note_key.ts`, with x/mod's limits. No I/O.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import { formatKeyHash, isValidKeyName, type Signer, type Verifier } from "./note_key.ts";

/** Most signature lines a note may carry (x/mod's limit). */
export const MAX_SIGNATURES = 100;

/**
 * Largest signed note accepted (x/mod sets none; a tree head is about 200 bytes, so a
 * megabyte leaves room for a hundred signatures with long names and refuses the absurd).
 */
export const MAX_NOTE_BYTES = 1_000_000;

/** One signature of a note. */
export interface Signature {
  /** Name of the key that signed. */
  name: string;
  /** Key hash (uint32). */
  hash: number;
  /** The signature line's base64 (key hash ‖ signature). */
  base64: string;
}

/** A note's text with its signatures. */
export interface Note {
  /** The signed text, ending in a newline. */
  text: string;
  /** Signatures a known key verified. */
  sigs: Signature[];
  /** Signatures of keys not known to the reader. */
  unverifiedSigs: Signature[];
}

/** Why a note is refused; `reason` is what x/mod's `Open`/`Sign` says (`err.Error()`). */
export class NoteError extends SyntaxError {
  /** x/mod's wording. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = "NoteError";
    this.reason = reason;
  }
}

/** The note parsed, but no known key signed it; `note` holds its unverified signatures. */
export class UnverifiedNoteError extends NoteError {
  /** The note as read. */
  readonly note: Note;
  constructor(note: Note) {
    const names = note.unverifiedSigs.map((s) => `${s.name}+${formatKeyHash(s.hash)}`);
    super(
      "note has no verifiable signatures",
      `Note has no verifiable signatures (signed by ${names.join(", ") || "nobody"})`,
    );
    this.name = "UnverifiedNoteError";
    this.note = note;
  }
}

/** A known key's signature does not verify: the note was altered or forged. */
export class InvalidSignatureError extends NoteError {
  constructor(name: string, hash: number) {
    const key = `${name}+${formatKeyHash(hash)}`;
    super(`invalid signature for key ${key}`, `Invalid signature for key ${key}`);
    this.name = "InvalidSignatureError";
  }
}

/** The key a note names is not among the known ones (x/mod's `UnknownVerifierError`). */
export class UnknownVerifierError extends NoteError {
  constructor(name: string, hash: number) {
    const key = `${name}+${formatKeyHash(hash)}`;
    super(`unknown key ${key}`, `Unknown key ${key}`);
    this.name = "UnknownVerifierError";
  }
}

/** Finds the verifier for a name and key hash; throws {@link UnknownVerifierError}. */
export interface Verifiers {
  /** The verifier of `name`+`hash`. */
  verifier(name: string, hash: number): Verifier;
}

/**
 * The known verifiers as a lookup. Two verifiers with one name and hash make that key
 * ambiguous: a note signed with it is refused (x/mod's `VerifierList`).
 *
 * @example
 * ```ts
 * const known = verifierList(await newVerifier(vkey));
 * ```
 */
export function verifierList(...list: Verifier[]): Verifiers {
  const map = new Map<string, Verifier[]>();
  for (const v of list) {
    const k = `${v.name}+${formatKeyHash(v.hash)}`;
    map.set(k, [...(map.get(k) ?? []), v]);
  }
  return {
    verifier(name, hash) {
      const k = `${name}+${formatKeyHash(hash)}`;
      const found = map.get(k);
      if (found === undefined) throw new UnknownVerifierError(name, hash);
      if (found.length > 1) throw new NoteError(`ambiguous key ${k}`, `Ambiguous key ${k}`);
      return found[0];
    },
  };
}

const malformed = (why: string) => new NoteError("malformed note", `Malformed note: ${why}`);
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const NEWLINE = 0x0a;

/** Index of the last "\n\n" in `msg`, or -1. */
function lastBlankLine(msg: Uint8Array): number {
  for (let i = msg.length - 2; i >= 0; i--) {
    if (msg[i] === NEWLINE && msg[i + 1] === NEWLINE) return i;
  }
  return -1;
}

/**
 * Opens a signed note: checks its syntax and every signature by a known key (x/mod's
 * `Open`). Returns the note when at least one known key signed it. Throws
 * {@link NoteError} (malformed), {@link InvalidSignatureError} (a known key's signature
 * fails), {@link UnverifiedNoteError} (no known key signed it). Duplicate signature lines
 * are dropped; more than {@link MAX_SIGNATURES} lines or {@link MAX_NOTE_BYTES} bytes are
 * refused.
 *
 * @example
 * ```ts
 * const note = await openNote(body, verifierList(await newVerifier(vkey)));
 * note.text; // "go.sum database tree\n…"
 * ```
 */
export async function openNote(
  msg: Uint8Array | string,
  known: Verifiers | Verifier[],
): Promise<Note> {
  const verifiers = Array.isArray(known) ? verifierList(...known) : known;
  const bytes = typeof msg === "string" ? encoder.encode(msg) : msg;
  if (bytes.length > MAX_NOTE_BYTES) throw malformed(`longer than ${MAX_NOTE_BYTES} bytes`);
  try {
    decoder.decode(bytes);
  } catch {
    throw malformed("not valid UTF-8");
  }
  if (bytes.some((b) => b < 0x20 && b !== NEWLINE)) throw malformed("control character");
  const split = lastBlankLine(bytes);
  if (split < 0) throw malformed("no blank line before the signatures");
  const textBytes = bytes.subarray(0, split + 1);
  const sigBytes = bytes.subarray(split + 2);
  if (sigBytes.length === 0 || sigBytes[sigBytes.length - 1] !== NEWLINE) {
    throw malformed("signatures do not end in a newline");
  }
  const note: Note = { text: decoder.decode(textBytes), sigs: [], unverifiedSigs: [] };
  const lines = decoder.decode(sigBytes).split("\n");
  lines.pop(); // after the final newline
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  let count = 0;
  for (const full of lines) {
    if (!full.startsWith("— ")) throw malformed(`signature line does not start with "— "`);
    const line = full.slice(2);
    const space = line.indexOf(" ");
    const name = space < 0 ? line : line.slice(0, space);
    const b64 = space < 0 ? "" : line.slice(space + 1);
    const raw = decodeBase64(b64);
    if (raw === null || !isValidKeyName(name) || b64 === "" || raw.length < 5) {
      throw malformed(`bad signature line for ${JSON.stringify(name.slice(0, 100))}`);
    }
    const hash = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    if (++count > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
    let v: Verifier;
    try {
      v = verifiers.verifier(name, hash);
    } catch (e) {
      if (!(e instanceof UnknownVerifierError)) throw e;
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        note.unverifiedSigs.push({ name, hash, base64: b64 });
      }
      continue;
    }
    if (v.name !== name || v.hash !== hash) {
      throw new NoteError(
        "verifier name or hash doesn't match signature",
        `Verifier for ${name}+${formatKeyHash(hash)} names another key`,
      );
    }
    const key = `${name}+${formatKeyHash(hash)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!await v.verify(textBytes, raw.subarray(4))) throw new InvalidSignatureError(name, hash);
    note.sigs.push({ name, hash, base64: b64 });
  }
  if (note.sigs.length === 0) throw new UnverifiedNoteError(note);
  return note;
}

/**
 * Signs a note (x/mod's `Sign`): the text, a blank line, the signatures already on the note
 * (verified, then unverified) except those of keys signing now, then one line per signer.
 * Throws {@link NoteError} when the text does not end in a newline or an existing signature
 * is malformed, and "invalid signer" for a signer with an invalid name.
 *
 * @example
 * ```ts
 * const signed = await signNote("go.sum database tree\n1\n…=\n", await newSigner(skey));
 * ```
 */
export async function signNote(
  note: string | Pick<Note, "text"> & Partial<Note>,
  ...signers: Signer[]
): Promise<string> {
  const n = typeof note === "string" ? { text: note } : note;
  if (!n.text.endsWith("\n")) throw malformed("text does not end in a newline");
  if (!n.text.isWellFormed()) throw malformed("text is not well-formed Unicode");
  const text = encoder.encode(n.text);
  const have = new Set<string>();
  let added = "";
  for (const s of signers) {
    have.add(`${s.name}+${formatKeyHash(s.hash)}`);
    if (!isValidKeyName(s.name)) {
      throw new NoteError("invalid signer", `Invalid signer name ${JSON.stringify(s.name)}`);
    }
    const sig = await s.sign(text);
    const raw = new Uint8Array(4 + sig.length);
    new DataView(raw.buffer).setUint32(0, s.hash);
    raw.set(sig, 4);
    added += `— ${s.name} ${encodeBase64(raw)}\n`;
  }
  let out = n.text + "\n";
  for (const sig of [...(n.sigs ?? []), ...(n.unverifiedSigs ?? [])]) {
    if (!isValidKeyName(sig.name)) throw malformed(`bad signer name ${JSON.stringify(sig.name)}`);
    if (have.has(`${sig.name}+${formatKeyHash(sig.hash)}`)) continue;
    const raw = decodeBase64(sig.base64);
    if (
      raw === null || raw.length < 4 ||
      new DataView(raw.buffer, raw.byteOffset).getUint32(0) !== sig.hash
    ) {
      throw malformed(`signature of ${sig.name} does not match its key hash`);
    }
    out += `— ${sig.name} ${sig.base64}\n`;
  }
  return out + added;
}
