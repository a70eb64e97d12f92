/**
 * Downloads per version as a small server-rendered SVG bar chart: no script, no chart
 * library, the same bytes for the same input. Accessible: the SVG is one image
 * (`role="img"`) named by its `<title>` and described by a `<desc>` summary, and the same
 * numbers follow as a table in a `<details>` element; colours are presentation attributes
 * (no inline style, which the UI's CSP forbids) with at least 4.5:1 contrast on white, and
 * classes the stylesheet may restyle.
 *
 * @module
 */

import type { SafeHtml } from "../safe_html.ts";

/** One bar: a version and its downloads. */
export interface VersionDownloads {
  /** Version. */
  version: string;
  /** Zip downloads. */
  downloads: number;
}

/** Versions shown at most (the newest ones). */
export const MAX_BARS = 30;

const WIDTH = 600;
const HEIGHT = 220;
const LEFT = 48;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 52;
/** Bars, axis and text: 6.6:1, 7:1 and 17:1 on white. */
const BAR = "#1f5fa8";
const AXIS = "#595959";
const TEXT = "#1a1a1a";

/**
 * The chart of `rows` (oldest first, newest last; only the last {@link MAX_BARS} are drawn),
 * inside a `<figure>` with the table; `id` prefixes the element ids (unique in the page).
 *
 * @example
 * ```ts
 * downloadsChart([{ version: "v1.0.0", downloads: 3 }, { version: "v1.1.0", downloads: 12 }]).html;
 * // '<figure class="downloads-chart"><svg role="img" …><title …>Downloads per version</title>…'
 * ```
 */
export function downloadsChart(
  rows: readonly VersionDownloads[],
  options: { id?: string } = {},
): SafeHtml {
  const id = options.id ?? "downloads-chart";
  const shown = rows.slice(-MAX_BARS).map((r) => ({
    version: r.version,
    downloads: Number.isFinite(r.downloads) && r.downloads > 0 ? Math.floor(r.downloads) : 0,
  }));
  const total = shown.reduce((n, r) => n + r.downloads, 0);
  const top = niceCeiling(Math.max(0, ...shown.map((r) => r.downloads)));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = shown.length > 0 ? plotWidth / shown.length : plotWidth;
  const barWidth = Math.max(2, slot * 0.7);
  const best = shown.reduce<VersionDownloads | null>(
    (b, r) => (b === null || r.downloads > b.downloads ? r : b),
    null,
  );
  const versions = shown.length === 1 ? "1 version" : `${shown.length} versions`;
  const summary = shown.length === 0
    ? "No versions."
    : total === 0
    ? `No downloads yet across ${versions}.`
    : `${formatCount(total)} downloads across ${versions}` +
      (rows.length > shown.length ? ` (the newest ${shown.length} of ${rows.length})` : "") +
      `, from ${shown[0].version} to ${shown[shown.length - 1].version}; most: ${
        best!.version
      } with ${formatCount(best!.downloads)}.`;
  // Label every version when they fit, else about ten of them, always the newest.
  const labelEvery = Math.max(1, Math.ceil(shown.length / 10));
  const baseline = TOP + plotHeight;
  return (
    <figure class="downloads-chart">
      <svg
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        xmlns="http://www.w3.org/2000/svg"
        font-family="system-ui, sans-serif"
        font-size="11"
      >
        <title id={`${id}-title`}>Downloads per version</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        <line
          class="axis"
          x1={LEFT}
          y1={baseline}
          x2={WIDTH - RIGHT}
          y2={baseline}
          stroke={AXIS}
        />
        <line class="axis" x1={LEFT} y1={TOP} x2={LEFT} y2={baseline} stroke={AXIS} />
        <text class="label" x={LEFT - 6} y={TOP + 4} text-anchor="end" fill={TEXT}>
          {formatCount(top)}
        </text>
        <text class="label" x={LEFT - 6} y={baseline} text-anchor="end" fill={TEXT}>0</text>
        {shown.map((r, i) => {
          const h = top > 0 ? (r.downloads / top) * plotHeight : 0;
          const x = LEFT + i * slot + (slot - barWidth) / 2;
          const labelled = (shown.length - 1 - i) % labelEvery === 0;
          const cx = fixed(x + barWidth / 2);
          return (
            <g class="bar">
              <rect
                x={fixed(x)}
                y={fixed(baseline - h)}
                width={fixed(barWidth)}
                height={fixed(h)}
                fill={BAR}
              >
                <title>{`${r.version}: ${formatCount(r.downloads)} downloads`}</title>
              </rect>
              {labelled
                ? (
                  <text
                    class="label"
                    x={cx}
                    y={baseline + 10}
                    text-anchor="end"
                    transform={`rotate(-35 ${cx} ${baseline + 10})`}
                    fill={TEXT}
                  >
                    {shorten(r.version)}
                  </text>
                )
                : null}
            </g>
          );
        })}
      </svg>
      <figcaption>{summary}</figcaption>
      <details>
        <summary>Downloads as a table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Downloads</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr>
                <td>{r.version}</td>
                <td>{formatCount(r.downloads)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** The smallest of 1, 2, 5 × 10^k at or above `n` (0 for 0). */
function niceCeiling(n: number): number {
  if (n <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

/** A count with thousands separators, the same on every machine. */
function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function fixed(n: number): string {
  return n.toFixed(1);
}

/** Long (pseudo-)versions shortened for the axis; the table and tooltips have them whole. */
function shorten(version: string): string {
  return version.length > 18 ? version.slice(0, 17) + "…" : version;
}
