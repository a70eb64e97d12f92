/**
 * A fixed-bucket histogram: one array increment and two additions per observation, rendered
 * cumulatively (as Prometheus wants) only when scraped.
 *
 * @module
 */

/** Request-duration buckets in seconds: sub-millisecond cache hits up to slow uploads. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/**
 * Counts of observations per bucket, their sum and count.
 *
 * @example
 * ```ts
 * const h = new Histogram();
 * h.observe(0.003);
 * h.count; // 1
 * h.cumulative()[3]; // 1 (the 0.005 bucket and every one above it)
 * ```
 */
export class Histogram {
  /** Observations per bucket (not cumulative); the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of the observed values. */
  sum = 0;
  /** Number of observations. */
  count = 0;

  /** Creates a histogram over ascending upper bounds. */
  constructor(readonly bounds: readonly number[] = DURATION_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound, then `+Inf` (equal to {@link count}). */
  cumulative(): number[] {
    const out: number[] = [];
    let total = 0;
    for (const c of this.counts) out.push(total += c);
    return out;
  }
}
