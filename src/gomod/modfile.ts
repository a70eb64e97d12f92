/**
 * A lax go.mod reader: what the `go` command reads from a dependency's go.mod. Only the
 * `module`, `go` and `retract` directives are extracted; every other directive (require,
 * replace, exclude, toolchain, godebug, …) is tokenised and skipped.
 *
 * @module
 */

/** A retracted version or closed range `[low, high]`, with its rationale comment. */
export interface Retraction {
  /** Lowest retracted version. */
  low: string;
  /** Highest retracted version (equal to `low` for a single version). */
  high: string;
  /** The comment before or after the directive, `""` when none. */
  rationale: string;
}

/** What a go.mod declares that modyard uses. */
export interface ModFile {
  /** The module path from the `module` directive, `""` when there is none. */
  module: string;
  /** The `go` directive's version, `""` when there is none. */
  go: string;
  /** The `retract` directives in file order. */
  retract: Retraction[];
}

/** The `go` line of current Go (`1.21`, `1.21.0`, `1.21rc1`). */
const GO_VERSION = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
/** What x/mod's lax parser also accepts in a dependency's go.mod (and truncates). */
const LAX_GO_VERSION = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9].*)$/;

interface Line {
  tokens: string[];
  comment: string;
  lineNo: number;
}

/**
 * Parses go.mod text laxly. Throws a `SyntaxError` naming the line for text that does not
 * even tokenise (an unterminated string, an unbalanced block, a bad `module` line).
 *
 * @example
 * ```ts
 * parseModFile("module example.com/m\n\ngo 1.21.0\ntoolchain go1.22.1\n").go; // "1.21.0"
 * ```
 */
export function parseModFile(text: string): ModFile {
  const result: ModFile = { module: "", go: "", retract: [] };
  let block: { verb: string; lineNo: number } | null = null;
  let pendingComment = "";
  for (const line of tokenize(text)) {
    if (line.tokens.length === 0) {
      pendingComment = line.comment ? joinComment(pendingComment, line.comment) : "";
      continue;
    }
    const [first] = line.tokens;
    if (block) {
      if (first === ")" && line.tokens.length === 1) {
        block = null;
      } else {
        directive(block.verb, line.tokens, line, pendingComment);
      }
      pendingComment = "";
      continue;
    }
    if (line.tokens.length === 2 && line.tokens[1] === "(") {
      block = { verb: first, lineNo: line.lineNo };
      pendingComment = "";
      continue;
    }
    directive(first, line.tokens.slice(1), line, pendingComment);
    pendingComment = "";
  }
  if (block) throw new SyntaxError(`go.mod:${block.lineNo}: unterminated ${block.verb} block`);
  return result;

  function directive(verb: string, args: string[], line: Line, before: string) {
    const where = `go.mod:${line.lineNo}`;
    switch (verb) {
      case "module":
        if (args.length !== 1) throw new SyntaxError(`${where}: usage: module module/path`);
        if (result.module !== "") throw new SyntaxError(`${where}: repeated module statement`);
        result.module = args[0];
        break;
      case "go":
        if (args.length !== 1) {
          throw new SyntaxError(`${where}: go directive expects exactly one argument`);
        }
        if (result.go !== "") throw new SyntaxError(`${where}: repeated go statement`);
        if (!GO_VERSION.test(args[0]) && !LAX_GO_VERSION.test(args[0])) {
          throw new SyntaxError(
            `${where}: invalid go version '${args[0]}': must match format 1.23`,
          );
        }
        result.go = args[0];
        break;
      case "retract": {
        const rationale = line.comment || before;
        if (args.length === 1) {
          result.retract.push({ low: args[0], high: args[0], rationale });
        } else if (args.length === 5 && args[0] === "[" && args[2] === "," && args[4] === "]") {
          result.retract.push({ low: args[1], high: args[3], rationale });
        }
        // Anything else is skipped, not refused: x/mod's lax parser (how the go command reads
        // a dependency's go.mod) ignores retractions it cannot read.
        break;
      }
    }
  }
}

function joinComment(a: string, b: string): string {
  return a ? `${a}\n${b}` : b;
}

function tokenize(text: string): Line[] {
  const lines: Line[] = [];
  const rows = text.split("\n");
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].replace(/\r$/, "");
    const tokens: string[] = [];
    let comment = "";
    let j = 0;
    while (j < row.length) {
      const c = row[j];
      if (c === " " || c === "\t") {
        j++;
      } else if (row.startsWith("//", j)) {
        comment = row.slice(j + 2).trim();
        break;
      } else if (c === "(" || c === ")" || c === "[" || c === "]" || c === ",") {
        tokens.push(c);
        j++;
      } else if (c === '"' || c === "`") {
        const end = findStringEnd(row, j);
        if (end < 0) throw new SyntaxError(`go.mod:${i + 1}: unterminated string`);
        const raw = row.slice(j, end + 1);
        tokens.push(c === "`" ? raw.slice(1, -1) : unquote(raw, i + 1));
        j = end + 1;
      } else {
        let k = j;
        while (k < row.length && !' \t()[],"`'.includes(row[k]) && !row.startsWith("//", k)) k++;
        tokens.push(row.slice(j, k));
        j = k;
      }
    }
    lines.push({ tokens, comment, lineNo: i + 1 });
  }
  return lines;
}

function findStringEnd(row: string, start: number): number {
  const quote = row[start];
  for (let k = start + 1; k < row.length; k++) {
    if (quote === '"' && row[k] === "\\") {
      k++;
      continue;
    }
    if (row[k] === quote) return k;
  }
  return -1;
}

function unquote(raw: string, lineNo: number): string {
  try {
    return JSON.parse(raw);
  } catch {
    throw new SyntaxError(`go.mod:${lineNo}: invalid quoted string ${raw}`);
  }
}
