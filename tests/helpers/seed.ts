/**
 * Reproducible randomness for tests: the seed comes from `MODYARD_TEST_SEED` (or a
 * test-specific variable) with a fixed default, never from the clock, so a failure can be
 * replayed exactly; tests print it with every failure message.
 *
 * @module
 */

/** Default seed when no environment variable gives one. */
export const DEFAULT_SEED = 20260611;

const MODULUS = 2147483647; // 2^31 − 1, the Lehmer generator's prime

/**
 * The seed for a test: the first of `names` (then `MODYARD_TEST_SEED`) set in the
 * environment, else {@link DEFAULT_SEED}. Refuses values the generator cannot use.
 *
 * @example
 * ```ts
 * const seed = testSeed("MODYARD_FUZZ_SEED"); // 20260611 unless set
 * ```
 */
export function testSeed(...names: string[]): number {
  for (const name of [...names, "MODYARD_TEST_SEED"]) {
    const raw = Deno.env.get(name);
    if (raw === undefined || raw === "") continue;
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 1 || seed >= MODULUS) {
      throw new RangeError(`${name} must be an integer from 1 to ${MODULUS - 1}, got "${raw}"`);
    }
    return seed;
  }
  return DEFAULT_SEED;
}

/**
 * A Lehmer (MINSTD) generator of numbers in [0, 1) from `seed`.
 *
 * @example
 * ```ts
 * const rand = seededRandom(42);
 * rand(); // 0.000944…, the same on every run
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed % MODULUS || 1;
  return () => (state = (state * 48271) % MODULUS) / MODULUS;
}
