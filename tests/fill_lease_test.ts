/**
 * The fill lease never fetches a file twice: a file stored by another process between the
 * first look and taking the lease (its filler stores, then releases) is seen under the lease.
 */

import { assertEquals } from "./helpers/assert.ts";
import { underFillLease } from "../src/upstream/fill_lease.ts";

const TIMING = { leaseMs: 5000, waitMs: 1000, pollMs: 10 };

Deno.test("underFillLease looks again under the lease: a file stored just before it was taken is not fetched again", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const leaseKey = ["upstream_fill", "zip", "example.com/m", "v1.0.0"];
    let looks = 0;
    let fills = 0;
    // First look: absent. Then another process stores the file and releases its lease
    // (no lease is left), so this one takes a free lease — and must look again.
    const done = () => Promise.resolve(looks++ > 0);
    await underFillLease(
      kv,
      leaseKey,
      done,
      () => {
        fills++;
        return Promise.resolve();
      },
      TIMING,
      "example.com/m@v1.0.0 (zip)",
    );
    assertEquals(fills, 0);
    assertEquals(looks, 2);
    assertEquals((await kv.get(leaseKey)).value, null, "the lease is released");
  } finally {
    kv.close();
  }
});

Deno.test("underFillLease fills once when the file is absent, and releases the lease", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const leaseKey = ["upstream_fill", "zip", "example.com/m", "v1.0.0"];
    let fills = 0;
    await underFillLease(
      kv,
      leaseKey,
      () => Promise.resolve(false),
      () => {
        fills++;
        return Promise.resolve();
      },
      TIMING,
      "example.com/m@v1.0.0 (zip)",
    );
    assertEquals(fills, 1);
    assertEquals((await kv.get(leaseKey)).value, null);
  } finally {
    kv.close();
  }
});
