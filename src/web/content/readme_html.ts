/**
 * Markdown to sanitised HTML, the part of README rendering that runs in the renderer worker
 * (readme_worker.ts): `marked` (GitHub-flavoured) renders, `sanitize-html` filters against
 * an allow-list. Both libraries have inputs that take super-linear time (emphasis runs,
 * deep nesting), which is why this runs off the main thread under a deadline.
 *
 * Links and images that stay inside the module come out as placeholders
 * (readme_placeholders.ts) that the main thread replaces with the caller's URL builders,
 * which cannot cross into a worker.
 *
 * @module
 */

import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";
import { resolveReadmeLink } from "./readme_links.ts";
import { placeholder } from "./readme_placeholders.ts";

/** Tags removed together with everything inside them. */
const DROPPED_WITH_CONTENT = [
  "script",
  "style",
  "textarea",
  "option",
  "select",
  "noscript",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "form",
  "button",
  "svg",
  "math",
  "template",
  "noembed",
  "noframes",
  "xmp",
  "plaintext",
  "title",
  "head",
  "canvas",
  "audio",
  "video",
];

const ALLOWED_TAGS = [
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "p",
  "br",
  "hr",
  "div",
  "span",
  "ul",
  "ol",
  "li",
  "dl",
  "dt",
  "dd",
  "em",
  "strong",
  "b",
  "i",
  "u",
  "s",
  "del",
  "ins",
  "sub",
  "sup",
  "kbd",
  "mark",
  "code",
  "pre",
  "blockquote",
  "table",
  "thead",
  "tbody",
  "tfoot",
  "tr",
  "th",
  "td",
  "caption",
  "details",
  "summary",
  "img",
  "a",
  "input",
];

const ALIGNED = ["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "th", "td"];

/** The one Markdown renderer (GitHub-flavoured, synchronous). */
const markdown = new Marked({ gfm: true, async: false });

/**
 * Renders Markdown to sanitised HTML with link placeholders (see the module doc). Throws
 * what `marked` throws (e.g. a `RangeError` for nesting deep enough to exhaust the stack).
 *
 * @example
 * ```ts
 * markdownToHtml("[doc](docs/a.md)", "README.md");
 * // '<p><a href="?modyard-file=646f63732f612e6d64.">doc</a></p>\n'
 * ```
 */
export function markdownToHtml(text: string, readmePath: string): string {
  return sanitizeReadmeHtml(markdown.parse(text) as string, readmePath);
}

/**
 * Sanitises README HTML against the allow-list; links and images of the README at
 * `readmePath` are judged by {@link resolveReadmeLink}.
 *
 * @example
 * ```ts
 * sanitizeReadmeHtml('<p onclick="x()">a<script>b</script></p>', "README.md"); // "<p>a</p>"
 * ```
 */
export function sanitizeReadmeHtml(html: string, readmePath: string): string {
  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    nonTextTags: DROPPED_WITH_CONTENT,
    disallowedTagsMode: "discard",
    allowedAttributes: {
      a: ["href", "title", "rel"],
      img: ["src", "alt", "title", "width", "height"],
      ol: ["start"],
      td: ["align", "colspan", "rowspan"],
      th: ["align", "colspan", "rowspan"],
      input: ["type", "checked", "disabled"],
      details: ["open"],
      ...Object.fromEntries(
        ALIGNED.filter((t) => t !== "td" && t !== "th").map((t) => [t, ["align"]]),
      ),
    },
    allowedClasses: { code: ["language-*"] },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    nestingLimit: 64,
    transformTags: {
      a: (_tag: string, attribs: Record<string, string>) => ({
        tagName: "a",
        attribs: linkAttributes(attribs, readmePath),
      }),
      img: (_tag: string, attribs: Record<string, string>) => ({
        tagName: "img",
        attribs: imageAttributes(attribs, readmePath),
      }),
      // Only the read-only checkboxes of GitHub task lists.
      input: (_tag: string, attribs: Record<string, string>) => ({
        tagName: attribs.type === "checkbox" ? "input" : "span",
        attribs: attribs.type === "checkbox"
          ? { type: "checkbox", disabled: "", ...("checked" in attribs ? { checked: "" } : {}) }
          : {},
      }),
    },
    allowedEmptyAttributes: ["alt", "checked", "disabled", "open"],
  });
}

function linkAttributes(attribs: Record<string, string>, readmePath: string) {
  const out: Record<string, string> = {};
  if (attribs.title !== undefined) out.title = attribs.title;
  if (attribs.href === undefined) return out;
  const target = resolveReadmeLink(attribs.href, readmePath);
  switch (target.kind) {
    case "external":
      out.href = target.url;
      out.rel = "nofollow noopener";
      break;
    case "fragment":
      out.href = "#" + encodeURIComponent(decodeFragment(target.fragment));
      break;
    case "module":
      out.href = placeholder("file", target.path, decodeFragment(target.fragment));
      break;
  }
  return out;
}

function imageAttributes(attribs: Record<string, string>, readmePath: string) {
  const out: Record<string, string> = {};
  for (const name of ["alt", "title", "width", "height"]) {
    if (attribs[name] !== undefined) out[name] = attribs[name];
  }
  for (const name of ["width", "height"]) {
    if (out[name] !== undefined && !/^\d{1,5}%?$/.test(out[name].trim())) delete out[name];
  }
  if (attribs.src === undefined) return out;
  const target = resolveReadmeLink(attribs.src, readmePath);
  if (target.kind === "external" && /^https?:/i.test(target.url)) out.src = target.url;
  else if (target.kind === "module" && target.path !== "" && !target.path.endsWith("/")) {
    out.src = placeholder("raw", target.path);
  }
  return out;
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}
