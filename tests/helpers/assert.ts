/**
 * The few assertions the tests use, from Node's built-in `assert/strict`
 * (`@std/assert` is not reachable from the development machines).
 *
 * @module
 */

import assert from "node:assert/strict";

/** Deep equality. */
export const assertEquals: <T>(
  actual: unknown,
  expected: T,
  message?: string,
) => asserts actual is T = assert.deepStrictEqual;
/** Truthiness. */
export const assertOk: (value: unknown, message?: string) => asserts value = assert.ok;
/** A string matches a pattern. */
export const assertMatch: (value: string, pattern: RegExp, message?: string) => void = assert.match;

/** A string contains a substring. */
export function assertIncludes(actual: string, expected: string, message?: string): void {
  assert.ok(
    actual.includes(expected),
    message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}
