/**
 * The Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE` and one line per
 * sample. Written here rather than taken from `prom-client`: the format is a few lines, and
 * the hot path then stays plain map and array increments that are encoded only per scrape.
 *
 * @module
 */

import type { Histogram } from "./histogram.ts";

/** The content type of a scrape answer. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names and values of one sample, in order. */
export type Labels = readonly (readonly [string, string])[];

/**
 * Builds the text of a scrape, one metric family at a time.
 *
 * @example
 * ```ts
 * const text = new PrometheusText();
 * text.family("modyard_up", "gauge", "Whether the server runs.");
 * text.sample("modyard_up", [], 1);
 * text.toString(); // "# HELP modyard_up Whether the server runs.\n# TYPE modyard_up gauge\nmodyard_up 1\n"
 * ```
 */
export class PrometheusText {
  #lines: string[] = [];

  /** Starts a family: its help text and type. */
  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
    return this;
  }

  /** One sample of the current family. */
  sample(name: string, labels: Labels, value: number): this {
    this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** The `_bucket`, `_sum` and `_count` samples of a histogram with these labels. */
  histogram(name: string, labels: Labels, histogram: Histogram): this {
    const cumulative = histogram.cumulative();
    histogram.bounds.forEach((bound, i) => {
      this.sample(`${name}_bucket`, [...labels, ["le", formatValue(bound)]], cumulative[i]);
    });
    this.sample(`${name}_bucket`, [...labels, ["le", "+Inf"]], histogram.count);
    this.sample(`${name}_sum`, labels, histogram.sum);
    this.sample(`${name}_count`, labels, histogram.count);
    return this;
  }

  /** The whole text, ending in a newline. */
  toString(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/** `{a="x",b="y"}`, with `\`, `"` and newlines escaped; `""` without labels. */
export function formatLabels(labels: Labels): string {
  if (labels.length === 0) return "";
  const parts = labels.map(([k, v]) =>
    `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`
  );
  return `{${parts.join(",")}}`;
}

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN`, else the number). */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}
