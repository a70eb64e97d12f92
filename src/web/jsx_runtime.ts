/**
 * The web UI's JSX runtime (`"jsx": "react-jsx"` with `jsxImportSource` pointing here, see
 * deno.json): every element renders straight to a {@link SafeHtml} string. Every string or
 * number child and every attribute value is escaped; only {@link SafeHtml} (the output of
 * other elements, the sanitiser, or the chart builder) is emitted as is. URL attributes are
 * refused unless they are relative or http(s)/mailto, so no template can emit a
 * `javascript:` link even from untrusted data.
 *
 * @module
 */

import { SafeHtml } from "./safe_html.ts";

/** What a template may put between tags. */
export type Child = SafeHtml | string | number | boolean | null | undefined | Child[];

/** A component: props in, markup out. */
export type Component<P = Record<string, unknown>> = (props: P) => SafeHtml;

export declare namespace JSX {
  /** What every JSX expression evaluates to. */
  type Element = SafeHtml;
  /** Any HTML element with any attributes (values are escaped). */
  interface IntrinsicElements {
    [name: string]: Record<string, unknown>;
  }
  /** Props carry their children under `children`. */
  interface ElementChildrenAttribute {
    children: unknown;
  }
}

const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "poster", "cite"]);
const NAME = /^[a-zA-Z][a-zA-Z0-9-]*$/;
const ATTRIBUTE = /^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/;
const SAFE_URL = /^(?:[^:/?#]*(?:[/?#]|$)|https?:|mailto:)/i;
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for an HTML text node or a quoted attribute value.
 *
 * @example
 * ```ts
 * escapeHtml(`<a href="x">`); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]) : text;
}

function renderChild(child: unknown, out: string[]): void {
  if (child === null || child === undefined || child === false || child === true) return;
  if (child instanceof SafeHtml) out.push(child.html);
  else if (Array.isArray(child)) { for (const c of child) renderChild(c, out); }
  else if (typeof child === "string") out.push(escapeHtml(child));
  else if (typeof child === "number" || typeof child === "bigint") out.push(String(child));
  else throw new TypeError(`Cannot render ${typeof child} as HTML`);
}

/** Renders children (escaping text) into one piece of markup. */
export function renderChildren(children: Child): SafeHtml {
  const out: string[] = [];
  renderChild(children, out);
  return new SafeHtml(out.join(""));
}

function attributes(props: Record<string, unknown>): string {
  let out = "";
  for (const name in props) {
    if (name === "children") continue;
    const value = props[name];
    if (value === null || value === undefined || value === false) continue;
    if (!ATTRIBUTE.test(name) || /^on/i.test(name)) {
      throw new TypeError(`Cannot render attribute "${name}"`);
    }
    if (value === true) {
      out += " " + name;
      continue;
    }
    const text = value instanceof SafeHtml ? value.html : String(value);
    if (URL_ATTRIBUTES.has(name.toLowerCase()) && !SAFE_URL.test(text.trim())) {
      throw new TypeError(`Cannot render URL "${text.slice(0, 80)}" in attribute "${name}"`);
    }
    out += ` ${name}="${escapeHtml(text)}"`;
  }
  return out;
}

/**
 * Renders one element (the JSX transform calls this).
 *
 * @example
 * ```ts
 * jsx("p", { class: "x", children: "<b>" }).html; // '<p class="x">&lt;b&gt;</p>'
 * ```
 */
export function jsx(
  type: string | Component<Record<string, unknown>>,
  props: Record<string, unknown>,
): SafeHtml {
  if (typeof type === "function") return type(props);
  if (!NAME.test(type)) throw new TypeError(`Cannot render element "${type}"`);
  const open = `<${type}${attributes(props)}>`;
  if (VOID.has(type)) return new SafeHtml(open);
  const out = [open];
  renderChild(props.children, out);
  out.push(`</${type}>`);
  return new SafeHtml(out.join(""));
}

/** Same as {@link jsx} (elements with several static children). */
export const jsxs: typeof jsx = jsx;

/** Same as {@link jsx} (the development transform). */
export const jsxDEV: typeof jsx = jsx;

/** `<>…</>`: its children, nothing around them. */
export function Fragment(props: { children?: Child }): SafeHtml {
  return renderChildren(props.children);
}
