/**
 * `/readyz`: the store answers a read within a deadline. A load balancer takes an instance
 * whose store hangs or is closed out of rotation, with the reason in the 503 body.
 *
 * @module
 */

import { keys } from "../store/keys.ts";

/** Default deadline of the readiness read. */
export const READY_DEADLINE_MS = 2000;

/** The outcome of a readiness check. */
export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Whether `read` settles within `deadlineMs`: `{ready: true}`, or the reason it is not.
 *
 * @example
 * ```ts
 * await checkReadiness(() => kv.get(["meta", "schema"]), 2000); // { ready: true }
 * ```
 */
export async function checkReadiness(
  read: () => Promise<unknown>,
  deadlineMs = READY_DEADLINE_MS,
): Promise<Readiness> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ ready: false, reason: `store did not answer a read within ${deadlineMs} ms` }),
      deadlineMs,
    );
  });
  const attempt = (async (): Promise<Readiness> => {
    try {
      await read();
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `store read failed: ${(err as Error)?.message ?? err}` };
    }
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The read `/readyz` makes by default: the layout version, a single small key. */
export function storeProbe(kv: Deno.Kv): () => Promise<unknown> {
  return () => kv.get(keys.schema());
}
