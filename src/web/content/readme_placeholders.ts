/**
 * The link placeholders of rendered READMEs. The worker (readme_html.ts) cannot call the
 * page's URL builders, so a link or image inside the module comes out of it as
 * `?modyard-file=<hex path>.<hex fragment>` or `?modyard-raw=<hex path>.`, and
 * {@link fillReadmeLinks} puts the real URLs in on the main thread. No npm imports here:
 * the main thread never loads the Markdown libraries.
 *
 * @module
 */

/** Where a README's relative links and images go. */
export interface ReadmeLinks {
  /** The viewer page of a module file or directory (`""` the root, `dir/` a directory). */
  fileUrl(path: string): string;
  /** The raw bytes of a module file. */
  rawUrl(path: string): string;
}

/** An `a` or `img` tag of the sanitiser's output (text there has every `<` escaped). */
const LINK_TAG = /<(?:a|img)\s[^>]*>/g;
const PLACEHOLDER = /\b(href|src)="\?modyard-(file|raw)=([0-9a-f]*)\.([0-9a-f]*)"/g;

/**
 * Replaces the link placeholders of {@link markdownToHtml}'s output with `links`' URLs
 * (escaped). Only attributes of `a` and `img` tags are touched: in the sanitiser's output
 * every `<` of text is escaped, so text that merely looks like a placeholder never matches.
 *
 * @example
 * ```ts
 * fillReadmeLinks('<a href="?modyard-file=612e6d64.">a</a>', links);
 * // '<a href="/alice/example.com/m/@v1.0.0/files/a.md">a</a>'
 * ```
 */
export function fillReadmeLinks(html: string, links: ReadmeLinks): string {
  return html.replace(
    LINK_TAG,
    (tag) =>
      tag.replace(PLACEHOLDER, (_all, attr: string, kind: string, path: string, frag: string) => {
        const target = kind === "raw" ? links.rawUrl(unhex(path)) : links.fileUrl(unhex(path));
        const fragment = frag ? "#" + encodeURIComponent(unhex(frag)) : "";
        return `${attr}="${escapeHtml(target + fragment)}"`;
      }),
  );
}

/** Escapes text for a quoted attribute value (local: the worker loads only this folder). */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** The placeholder of a module file link (`file`) or image (`raw`). */
export function placeholder(kind: "file" | "raw", path: string, fragment = ""): string {
  return `?modyard-${kind}=${hex(path)}.${hex(fragment)}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function hex(text: string): string {
  return Array.from(encoder.encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(digits: string): string {
  const bytes = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return decoder.decode(bytes);
}
