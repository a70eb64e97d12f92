/**
 * A real browser for the web UI tests: Debian's Chromium (`/usr/bin/chromium`) driven by
 * `playwright-core` (no browser download: `executablePath`), the axe-core accessibility
 * checker run inside a page, and screenshots at a fixed viewport written to docs/screenshots/.
 *
 * One browser per test file (launching costs ~0.3 s, a page ~50 ms); close it in `finally`.
 *
 * @module
 */

import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import axe from "axe-core";

/** Debian's Chromium (package `chromium`), or the browser `MODYARD_CHROMIUM` names. */
export const CHROMIUM: string = Deno.env.get("MODYARD_CHROMIUM") ?? "/usr/bin/chromium";

/** The viewport of every page and screenshot: stable pixels from run to run. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** The axe-core rule tags checked: WCAG 2.0 and 2.1, levels A and AA. */
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] as const;

/** Where screenshots go (committed, shown in the README). */
export const SCREENSHOT_DIR = new URL("../../docs/screenshots/", import.meta.url).pathname;

/**
 * Whether the browser tests can run: Chromium is installed. In CI (`CI` set) a missing
 * Chromium is an error, so the suite fails loudly; elsewhere the tests are skipped with a
 * message saying what to install. Use as `ignore: !browserPrerequisites()`.
 *
 * @example
 * ```ts
 * Deno.test({ name: "…", ignore: !browserPrerequisites(), fn: async () => {} });
 * ```
 */
export function browserPrerequisites(): boolean {
  try {
    if (Deno.statSync(CHROMIUM).isFile) return true;
  } catch { /* missing */ }
  const message = `browser tests need ${CHROMIUM} (apt-get install chromium fonts-dejavu-core)`;
  if (Deno.env.get("CI")) throw new Error(message);
  console.warn(`SKIPPING: ${message}`);
  return false;
}

/**
 * Launches headless Chromium. As root (CI containers) Chromium refuses to start with its
 * sandbox, so `--no-sandbox` is passed then, and only then.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * try { … } finally { await browser.close(); }
 * ```
 */
export async function launchBrowser(): Promise<Browser> {
  const args = [
    "--disable-dev-shm-usage", // containers often have a 64 MiB /dev/shm
    "--font-render-hinting=none", // the same glyph pixels on every machine
    "--disable-gpu",
  ];
  if (Deno.uid() === 0) args.push("--no-sandbox");
  return await chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30_000 });
}

/**
 * A fresh context (its own cookies, like a new private window) with the fixed viewport, a
 * fixed locale and time zone, light colours, no animations, and — when `origin` is given —
 * permission to read and write the clipboard on that origin. Returns its first page.
 *
 * @example
 * ```ts
 * const page = await openPage(browser, server.url);
 * await page.goto(server.url + "/");
 * ```
 */
export async function openPage(browser: Browser, origin?: string): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
    reducedMotion: "reduce",
    baseURL: origin,
  });
  if (origin) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return await context.newPage();
}

/** One axe-core violation: which rule, how bad, and the elements (CSS selectors) it found. */
export interface AxeViolation {
  /** Rule id, e.g. `color-contrast`. */
  id: string;
  /** `minor` … `critical`. */
  impact: string | null;
  /** What the rule wants. */
  help: string;
  /** A selector per offending element. */
  targets: string[];
}

/**
 * Runs axe-core in the page (injected from npm `axe-core`, so no CDN) with the WCAG 2.0/2.1
 * A and AA tags, and returns the violations (empty when the page passes).
 *
 * The page's CSP (`script-src 'self'`) does not stop this: `evaluate` runs the script
 * through the DevTools protocol, not as a page `<script>`.
 *
 * @example
 * ```ts
 * assertEquals(formatViolations(await axeViolations(page)), "");
 * ```
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate("typeof globalThis.axe === 'object'");
  if (!loaded) await page.evaluate(axe.source);
  const script = `globalThis.axe.run(document, {
    runOnly: { type: "tag", values: ${JSON.stringify(AXE_TAGS)} },
    resultTypes: ["violations"],
  }).then((r) => r.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? null,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  })))`;
  return await page.evaluate(script) as AxeViolation[];
}

/**
 * Violations as one line each (`rule (impact): help — selectors`), or `""` when there are
 * none: compare with `""` so a failure names every rule and element.
 *
 * @example
 * ```ts
 * formatViolations([]); // ""
 * ```
 */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact ?? "?"}): ${v.help} — ${v.targets.join(", ")}`)
    .join("\n");
}

/**
 * Writes a PNG of the page's viewport (1280×800), or with `fullPage` of the whole page at
 * that width, to `{dir}/{name}.png` (by default docs/screenshots/); returns its path. Hover and caret are hidden so the pixels depend on
 * the page alone.
 *
 * @example
 * ```ts
 * await screenshot(page, "home"); // docs/screenshots/home.png
 * ```
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { dir?: string; fullPage?: boolean } = {},
): Promise<string> {
  const dir = options.dir ?? SCREENSHOT_DIR;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new RangeError(`Cannot use name "${name}"`);
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir.replace(/\/?$/, "/")}${name}.png`;
  await page.mouse.move(0, 0);
  await page.screenshot({
    path,
    type: "png",
    caret: "hide",
    animations: "disabled",
    fullPage: options.fullPage ?? false,
  });
  return path;
}

/** The text in the page's clipboard (needs the permission {@link openPage} grants). */
export async function readClipboard(page: Page): Promise<string> {
  return await page.evaluate("navigator.clipboard.readText()") as string;
}

/**
 * GETs `url` from inside the page (same session cookies, the page's origin) and returns
 * the status: for what a click cannot show, such as a 410 on the GOPROXY `.info`.
 */
export async function statusFromPage(page: Page, url: string): Promise<number> {
  return await page.evaluate(
    `fetch(${JSON.stringify(url)}, { credentials: "same-origin" }).then((r) => r.status)`,
  ) as number;
}

export type { Browser, Page };
