/**
 * Checks of sanitised HTML for the web content tests: every tag and attribute against the
 * README allow-list, every URL against the allowed schemes. A scan of the sanitiser's own
 * (well-formed, quoted) output, not a general HTML parser.
 *
 * @module
 */

/** Tags the README sanitiser may emit. */
const TAGS = new Set(
  ("h1 h2 h3 h4 h5 h6 p br hr div span ul ol li dl dt dd em strong b i u s del ins sub sup kbd " +
    "mark code pre blockquote table thead tbody tfoot tr th td caption details summary img a input")
    .split(" "),
);

/** Attributes allowed on any tag that has them. */
const ATTRIBUTES = new Set(
  "href title rel src alt width height start align colspan rowspan type checked disabled open class"
    .split(" "),
);

/**
 * What in `html` could be active content: tags or attributes outside the allow-list, event
 * handlers, `style`, URLs with schemes other than http, https and mailto, markup of removed
 * tags shown as text (unless `plainText`: a README shown as text shows its markup). Empty when
 * the HTML is inert.
 *
 * @example
 * ```ts
 * activeContentProblems('<p onclick="x">a</p>'); // ['attribute onclick on <p>']
 * ```
 */
export function activeContentProblems(
  html: string,
  options: { plainText?: boolean } = {},
): string[] {
  const problems: string[] = [];
  for (const tag of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const name = tag[1].toLowerCase();
    if (!TAGS.has(name)) problems.push(`tag <${name}>`);
    const rest = tag[2].replace(/\/$/, "");
    const attrPattern = /\s+([^\s=/>]+)(?:="([^"]*)")?/g;
    let consumed = 0;
    for (const attr of rest.matchAll(attrPattern)) {
      consumed += attr[0].length;
      const attrName = attr[1].toLowerCase();
      if (!ATTRIBUTES.has(attrName)) problems.push(`attribute ${attrName} on <${name}>`);
      if (attrName === "href" || attrName === "src") {
        // deno-lint-ignore no-control-regex -- C0 controls are what browsers strip from URLs
        const url = decodeEntities(attr[2] ?? "").replace(/[\u0000-\u0020]/g, "");
        const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1].toLowerCase();
        if (scheme && !["http", "https", "mailto"].includes(scheme)) {
          problems.push(`${attrName} with scheme ${scheme}`);
        }
        if (/^[/\\]{2}/.test(url) || url.includes("\\")) problems.push(`${attrName} ${url}`);
      }
      const ownClass = (name === "p" && attr[2] === "readme-note") ||
        (name === "pre" && attr[2] === "readme-text");
      const language = name === "code" && /^language-[\w+#-]*$/.test(attr[2] ?? "");
      if (attrName === "class" && !ownClass && !language) {
        problems.push(`class ${attr[2]} on <${name}>`);
      }
    }
    if (consumed !== rest.trimEnd().length) problems.push(`unparsed attributes ${rest}`);
  }
  if (options.plainText) return problems;
  for (const shown of ["&lt;script", "&lt;iframe", "&lt;svg", "&lt;style", "&lt;object"]) {
    if (html.toLowerCase().includes(shown)) problems.push(`removed markup shown as text: ${shown}`);
  }
  return problems;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);?/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);?/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
