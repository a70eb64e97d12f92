/**
 * Small Markdown helpers for the benchmark report: numbers, tables, verdicts.
 *
 * @module
 */

/**
 * A number with thousands separators and `d` decimals; `—` when not finite.
 *
 * @example
 * ```ts
 * fmt(1234.5, 1); // "1,234.5"
 * ```
 */
export const fmt = (n: number, d = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d })
    : "—";

/** `met`, or a bold `not met`. */
export const ok = (met: boolean): string => met ? "met" : "**not met**";

/**
 * A ratio with 2 decimals, or 3 when 2 would round it onto its target from below (so a missed
 * target never reads as met).
 *
 * @example
 * ```ts
 * ratio(0.4951, 0.5); // "0.495×", not "0.50×"
 * ratio(0.83, 0.7); // "0.83×"
 * ```
 */
export const ratio = (r: number, target: number): string =>
  `${fmt(r, r < target && Number(r.toFixed(2)) >= target ? 3 : 2)}×`;

/**
 * A Markdown table.
 *
 * @example
 * ```ts
 * table(["a", "b"], ["---", "---:"], [["x", "1"]]);
 * ```
 */
export const table = (head: string[], align: string[], rows: string[][]): string =>
  [
    `| ${head.join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
