/**
 * One-shot delays on the web platform's own timer (`AbortSignal.timeout`), for code that
 * runs while the server starts.
 *
 * Deno 2.9's global `setTimeout` and `setInterval` are Node's timers, whose module graph
 * (`node:timers`, async hooks, Node's error machinery) loads on the first call: 15–35 ms on
 * this project's bench machine, more than the rest of a cold start after module loading.
 * `AbortSignal.timeout` costs under a millisecond. Its timer cannot be cleared, and it keeps
 * the process alive until it runs out, so it suits short delays only; cancelling makes the
 * task a no-op.
 *
 * @module
 */

/**
 * Runs `task` once after `ms` milliseconds, unless the returned function was called first.
 *
 * @example
 * ```ts
 * const cancel = afterDelay(50, () => console.log("later"));
 * cancel(); // nothing is printed
 * ```
 */
export function afterDelay(ms: number, task: () => void): () => void {
  let cancelled = false;
  AbortSignal.timeout(ms).addEventListener("abort", () => {
    if (!cancelled) task();
  }, { once: true });
  return () => {
    cancelled = true;
  };
}
