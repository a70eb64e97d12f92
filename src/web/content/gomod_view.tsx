/**
 * A go.mod shown in a page: its text exactly, escaped, with the module path of every
 * `require` (single-line and block forms) linking to that module's page when the owner
 * hosts it, and comments marked for styling. Lines are read with the same tokens as the
 * go.mod parser (words, quoted strings, `(`/`)`, `//` comments), but nothing is refused:
 * a go.mod that does not parse is still shown, with fewer links.
 *
 * @module
 */

import type { Child } from "../jsx_runtime.ts";
import type { SafeHtml } from "../safe_html.ts";

/** Bytes of a go.mod shown at most (a go.mod may be 16 MiB). */
export const GOMOD_VIEW_MAX_BYTES = 256 * 1024;

/** Where a required module's page is, or `null` when the owner does not host it. */
export type HostedUrl = (modulePath: string, version: string) => string | null;

interface Token {
  text: string;
  start: number;
  end: number;
}

const decoder = new TextDecoder();

/**
 * Renders go.mod text (or bytes) as `<pre class="gomod"><code>…</code></pre>`, linking each
 * required module the owner hosts. More than {@link GOMOD_VIEW_MAX_BYTES} are cut at a line
 * end, with a note.
 *
 * @example
 * ```ts
 * goModView("module m\n\nrequire example.com/a v1.0.0 // indirect\n", (p) =>
 *   p === "example.com/a" ? "/alice/example.com/a" : null).html;
 * // '<pre class="gomod"><code>module m\n\nrequire <a href="/alice/example.com/a">example.com/a</a>
 * //  v1.0.0 <span class="comment">// indirect</span>\n</code></pre>'
 * ```
 */
export function goModView(source: string | Uint8Array, hostedUrl: HostedUrl): SafeHtml {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  let text = decoder.decode(bytes.subarray(0, GOMOD_VIEW_MAX_BYTES));
  const truncated = bytes.length > GOMOD_VIEW_MAX_BYTES;
  if (truncated) text = text.slice(0, text.lastIndexOf("\n") + 1);
  const parts: Child[] = [];
  let block: "require" | "other" | null = null;
  for (const line of text.split(/(?<=\n)/)) {
    const { tokens, commentAt } = tokenize(line);
    let link: { token: Token; version: string } | null = null;
    const words = tokens.map((t) => t.text);
    if (block !== null) {
      if (words.length === 1 && words[0] === ")") block = null;
      else if (block === "require" && words.length >= 2) {
        link = { token: tokens[0], version: unquote(words[1]) };
      }
    } else if (words.length === 2 && words[1] === "(") {
      block = words[0] === "require" ? "require" : "other";
    } else if (words[0] === "require" && words.length >= 3) {
      link = { token: tokens[1], version: unquote(words[2]) };
    }
    const url = link ? hostedUrl(unquote(link.token.text), link.version) : null;
    const code = commentAt < 0 ? line : line.slice(0, commentAt);
    if (link && url !== null) {
      parts.push(code.slice(0, link.token.start));
      parts.push(<a href={url}>{link.token.text}</a>);
      parts.push(code.slice(link.token.end));
    } else {
      parts.push(code);
    }
    if (commentAt >= 0) {
      const newline = line.endsWith("\n") ? "\n" : "";
      parts.push(
        <span class="comment">{line.slice(commentAt, line.length - newline.length)}</span>,
      );
      parts.push(newline);
    }
  }
  return (
    <>
      <pre class="gomod"><code>{parts}</code></pre>
      {truncated
        ? (
          <p class="gomod-note">
            This go.mod is {bytes.length} bytes; only its first {text.length} characters are shown.
          </p>
        )
        : null}
    </>
  );
}

/** The tokens of one line and where its `//` comment starts (-1: none). */
function tokenize(line: string): { tokens: Token[]; commentAt: number } {
  const tokens: Token[] = [];
  let j = 0;
  while (j < line.length) {
    const c = line[j];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      j++;
    } else if (line.startsWith("//", j)) {
      return { tokens, commentAt: j };
    } else if (c === "(" || c === ")" || c === "[" || c === "]" || c === ",") {
      tokens.push({ text: c, start: j, end: j + 1 });
      j++;
    } else if (c === '"' || c === "`") {
      let k = j + 1;
      while (k < line.length && line[k] !== c && line[k] !== "\n") {
        k += c === '"' && line[k] === "\\" ? 2 : 1;
      }
      const end = Math.min(line.length, k + 1);
      tokens.push({ text: line.slice(j, end), start: j, end });
      j = end;
    } else {
      let k = j;
      while (k < line.length && !' \t\r\n()[],"`'.includes(line[k]) && !line.startsWith("//", k)) {
        k++;
      }
      tokens.push({ text: line.slice(j, k), start: j, end: k });
      j = k;
    }
  }
  return { tokens, commentAt: -1 };
}

/** The value of a quoted token (as the go.mod parser reads it); other tokens as they are. */
function unquote(token: string): string {
  if (token.length >= 2 && token.startsWith("`") && token.endsWith("`")) return token.slice(1, -1);
  if (token.length >= 2 && token.startsWith('"') && token.endsWith('"')) {
    try {
      return JSON.parse(token);
    } catch {
      return token;
    }
  }
  return token;
}
