/**
 * Single-flight across processes sharing one KV: a lease key with a deadline. The holder
 * renews it while it fetches; others wait for the file to appear, and take over once the
 * lease has expired (its holder crashed).
 *
 * @module
 */

import type { FillLease } from "../store/records.ts";
import { UpstreamError } from "./upstream_error.ts";

/** The owner name upload leases of fills carry (not a nameable owner). */
export const FILL_LEASE_OWNER = "(pull-through)";

/** How long a lease lasts without renewal, and how waiters poll. */
export interface FillLeaseTiming {
  /** Milliseconds a lease lasts unless renewed (renewed every third of it). */
  leaseMs: number;
  /** Milliseconds a waiter waits for another process's fill before answering 504. */
  waitMs: number;
  /** Milliseconds between a waiter's checks. */
  pollMs: number;
}

/**
 * Runs `fill` under the lease at `leaseKey` unless `done()` already holds, or another live
 * lease holder finishes first. Throws a 504 {@link UpstreamError} when another process holds
 * the lease for longer than `waitMs`.
 */
export async function underFillLease(
  kv: Deno.Kv,
  leaseKey: Deno.KvKey,
  done: () => Promise<boolean>,
  fill: () => Promise<void>,
  timing: FillLeaseTiming,
  what: string,
): Promise<void> {
  const giveUp = Date.now() + timing.waitMs;
  for (;;) {
    if (await done()) return;
    const current = await kv.get<FillLease>(leaseKey);
    const now = Date.now();
    if (current.value === null || current.value.deadline < now) {
      const holder = crypto.randomUUID();
      const lease: FillLease = { holder, deadline: now + timing.leaseMs };
      let res: Deno.KvCommitResult | Deno.KvCommitError;
      try {
        res = await kv.atomic().check(current).set(leaseKey, lease).commit();
      } catch (err) {
        // SQLite refuses a write while another process holds its lock: look again.
        if (!isBusy(err) || Date.now() > giveUp) throw err;
        await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
        continue;
      }
      if (res.ok) {
        // Another process may have stored the file and released its lease between the look
        // above and this commit (a filler stores first, then releases): look again under
        // the lease, or the file would be fetched twice.
        await holdWhile(kv, leaseKey, res.versionstamp, holder, timing.leaseMs, async () => {
          if (!(await done())) await fill();
        });
        return;
      }
      continue; // another process took it first
    }
    if (now > giveUp) {
      throw new UpstreamError(
        504,
        `${what}: another modyard process is fetching it and did not finish within ${timing.waitMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
  }
}

async function holdWhile(
  kv: Deno.Kv,
  key: Deno.KvKey,
  versionstamp: string,
  holder: string,
  leaseMs: number,
  fill: () => Promise<void>,
): Promise<void> {
  let stamp = versionstamp;
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(async () => {
      const lease: FillLease = { holder, deadline: Date.now() + leaseMs };
      const res = await kv.atomic().check({ key, versionstamp: stamp }).set(key, lease).commit()
        .catch(() => null);
      if (res?.ok) stamp = res.versionstamp;
    });
  }, Math.max(20, Math.floor(leaseMs / 3)));
  try {
    await fill();
  } finally {
    clearInterval(timer);
    await renewing;
    await kv.atomic().check({ key, versionstamp: stamp }).delete(key).commit().catch(() => {});
  }
}

/** Whether a store error is SQLite's "database is locked" (another process is writing). */
function isBusy(err: unknown): boolean {
  return err instanceof Error && /database is locked/.test(err.message);
}
