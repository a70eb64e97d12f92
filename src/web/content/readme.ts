/**
 * A module version's README as safe HTML. Markdown is rendered by `marked` (GitHub-flavoured)
 * and the result sanitised by `sanitize-html` against an allow-list, the two well-kept
 * libraries the README names: no hand-written HTML filtering.
 *
 * What survives: headings, paragraphs, lists, emphasis, code and `pre`, tables, block
 * quotes, `details`/`summary`, images (src, alt, width, height) and links (href, title).
 * What is removed with its content (not shown as escaped text): script, style, iframe,
 * object, embed, form, svg, math and the like. Every other tag is dropped and its text kept;
 * every attribute not listed (event handlers, `style`, `id`, …) is dropped. Links and images
 * are judged by {@link resolveReadmeLink}: http, https and mailto stay (with
 * `rel="nofollow noopener"` on links), relative ones become the viewer page (links) or the
 * raw file (images) of the same module version, and any other scheme loses its URL.
 *
 * @module
 */

import { escapeHtml } from "../jsx_runtime.ts";
import { SafeHtml } from "../safe_html.ts";
import { fillReadmeLinks, type ReadmeLinks } from "./readme_placeholders.ts";
import { renderMarkdownInWorker } from "./readme_renderer.ts";

export type { ReadmeLinks };

/** Bytes of a README rendered at most; the rest is left out with a note. */
export const README_MAX_BYTES = 1024 * 1024;

/** How a README file is shown. */
export type ReadmeFormat = "markdown" | "text";

/** The README picked among a version's files. */
export interface ReadmeChoice {
  /** Its path (at the module root). */
  path: string;
  /** Markdown or plain text, by its extension. */
  format: ReadmeFormat;
}

/** What {@link renderReadme} needs besides the text. */
export interface ReadmeOptions {
  /** Link builders for the module version. */
  links: ReadmeLinks;
  /** The README's module-relative path (relative links resolve against it). Default `README.md`. */
  path?: string;
  /** Markdown (default) or plain text. */
  format?: ReadmeFormat;
  /** The file's full size, when `source` is only its start. */
  size?: number;
}

/** README names by preference: Markdown first, then plain text. Matched ignoring case. */
const README_NAMES: [string, ReadmeFormat][] = [
  ["readme.md", "markdown"],
  ["readme.markdown", "markdown"],
  ["readme.mdown", "markdown"],
  ["readme.mkdn", "markdown"],
  ["readme", "text"],
  ["readme.txt", "text"],
  ["readme.rst", "text"],
  ["readme.adoc", "text"],
  ["readme.org", "text"],
];

/**
 * The README of a module version: a file at the module root whose name, ignoring case, is
 * one of `README.md`, `README.markdown`, `README.mdown`, `README.mkdn` (rendered as
 * Markdown), `README`, `README.txt`, `README.rst`, `README.adoc`, `README.org` (shown as
 * plain text) — the first in that order. Case is ignored because module zips cannot hold
 * two names that differ only in case (x/mod refuses such collisions), so at most one file
 * matches each name. `null` when there is none; READMEs in subdirectories do not count.
 *
 * @example
 * ```ts
 * pickReadme(["Readme.txt", "docs/README.md", "readme.MD"]); // { path: "readme.MD", format: "markdown" }
 * ```
 */
export function pickReadme(paths: Iterable<string>): ReadmeChoice | null {
  let best: ReadmeChoice | null = null;
  let rank = README_NAMES.length;
  for (const path of paths) {
    if (path.includes("/")) continue;
    const i = README_NAMES.findIndex(([name]) => name === path.toLowerCase());
    if (i >= 0 && i < rank) {
      rank = i;
      best = { path, format: README_NAMES[i][1] };
    }
  }
  return best;
}

const decoder = new TextDecoder();

/**
 * Renders a README (Markdown by default) to sanitised HTML whose relative links and images
 * point into the same module version. At most {@link README_MAX_BYTES} are rendered; a
 * longer README (or one given cut, see {@link ReadmeOptions.size}) ends with a note linking
 * to the raw file. Markdown is rendered in a worker under a deadline; Markdown that cannot
 * be rendered in time (or at all) is shown as plain text, with a note saying so.
 *
 * @example
 * ```ts
 * (await renderReadme("# Hi\n<script>alert(1)</script>[doc](docs/a.md)", { links })).html;
 * // '<h1>Hi</h1>\n<p><a href="/alice/example.com/m/@v1.0.0/files/docs/a.md">doc</a></p>\n'
 * ```
 */
export async function renderReadme(
  source: Uint8Array | string,
  options: ReadmeOptions,
): Promise<SafeHtml> {
  return (await renderReadmeOutcome(source, options)).html;
}

/**
 * {@link renderReadme}, also saying whether the result is `transient`: plain text only
 * because the renderer was busy, so not worth caching.
 */
export async function renderReadmeOutcome(
  source: Uint8Array | string,
  options: ReadmeOptions,
): Promise<{ html: SafeHtml; transient: boolean }> {
  const bytes = typeof source === "string" ? new TextEncoder().encode(source) : source;
  const path = options.path ?? "README.md";
  const size = Math.max(options.size ?? bytes.length, bytes.length);
  const shown = Math.min(bytes.length, README_MAX_BYTES);
  let text = decoder.decode(bytes.subarray(0, shown)).replace(/^\uFEFF/, "");
  const truncated = size > shown;
  // A multi-byte character cut at the end decodes to U+FFFD: drop it.
  if (truncated) text = text.replace(/\uFFFD+$/, "");
  let html: string;
  let note = "";
  let transient = false;
  if (options.format === "text") {
    html = plainText(text);
  } else {
    const outcome = await renderMarkdownInWorker(text, path);
    if ("html" in outcome) {
      html = fillReadmeLinks(outcome.html, options.links);
    } else {
      html = plainText(text);
      transient = outcome.failure === "busy";
      note = outcome.failure === "busy"
        ? "The server is busy rendering other READMEs; this one is shown as plain text."
        : outcome.failure === "timeout"
        ? "This README could not be rendered in time; it is shown as plain text."
        : "This README could not be rendered as Markdown here; it is shown as plain text.";
    }
  }
  if (note) html = `<p class="readme-note">${escapeHtml(note)}</p>` + html;
  if (truncated) {
    html += `<p class="readme-note">This README is ${
      escapeHtml(formatBytes(size))
    }; only its first ${escapeHtml(formatBytes(shown))} are shown. <a href="${
      escapeHtml(options.links.rawUrl(path))
    }">View the whole file</a>.</p>`;
  }
  return { html: new SafeHtml(html), transient };
}

function plainText(text: string): string {
  return `<pre class="readme-text">${escapeHtml(text)}</pre>`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
