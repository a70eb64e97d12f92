/**
 * The txtar format of golang.org/x/tools/txtar, as x/mod's zip test data uses it: a
 * comment of `key=value` header lines, then files introduced by `-- name --` lines.
 * Works on bytes, because some names and headers are deliberately not valid UTF-8.
 *
 * @module
 */

/** A parsed archive. */
export interface Txtar {
  /** `key=value` lines of the comment (raw bytes of the value). */
  headers: Map<string, Uint8Array>;
  /** Files in order; names are raw bytes. */
  files: { name: Uint8Array; data: Uint8Array }[];
}

/** Parses txtar bytes. */
export function parseTxtar(bytes: Uint8Array): Txtar {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  const latin = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join("");
  const marker = (line: Uint8Array) => {
    const s = latin(line).replace(/\r?\n$/, "");
    return s.startsWith("-- ") && s.endsWith(" --") && s.length >= 6
      ? line.subarray(3, 3 + s.length - 6)
      : null;
  };
  const headers = new Map<string, Uint8Array>();
  const files: Txtar["files"] = [];
  let current: { name: Uint8Array; parts: Uint8Array[] } | null = null;
  const flush = () => {
    if (!current) return;
    const size = current.parts.reduce((n, p) => n + p.length, 0);
    const data = new Uint8Array(size);
    let o = 0;
    for (const p of current.parts) {
      data.set(p, o);
      o += p.length;
    }
    files.push({ name: current.name, data });
  };
  for (const line of lines) {
    const name = marker(line);
    if (name !== null) {
      flush();
      current = { name, parts: [] };
    } else if (current) {
      current.parts.push(line);
    } else {
      const text = latin(line).replace(/\r?\n$/, "");
      const eq = text.indexOf("=");
      if (eq > 0) {
        const end = line[line.length - 1] === 0x0a ? line.length - 1 : line.length;
        headers.set(text.slice(0, eq), line.subarray(eq + 1, end));
      }
    }
  }
  flush();
  return { headers, files };
}
