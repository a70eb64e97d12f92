// The per-client first-fetch limit on its own: windows, their end, and the client budget.
import { FirstFetchLimit } from "../src/upstream/first_fetch_limit.ts";
import { assertEquals } from "./helpers/assert.ts";

Deno.test("first-fetch limit: per client, per window, with the seconds left", () => {
  const limit = new FirstFetchLimit({ perWindow: 2, windowMs: 10_000, maxClients: 100 });
  assertEquals([limit.take("a", 0), limit.take("a", 1), limit.take("a", 2)], [0, 0, 10]);
  assertEquals(limit.take("b", 3), 0);
  assertEquals(limit.take("a", 9_500), 1);
  assertEquals(limit.take("a", 10_000), 0); // a new window
});

Deno.test("first-fetch limit: at most maxClients windows are kept", () => {
  const limit = new FirstFetchLimit({ perWindow: 1, windowMs: 10_000, maxClients: 50 });
  for (let i = 0; i < 10_000; i++) limit.take(`10.0.${i >> 8}.${i & 255}`, i);
  assertEquals(limit.size <= 50, true);
  // Expired windows are dropped first.
  const other = new FirstFetchLimit({ perWindow: 1, windowMs: 10, maxClients: 1000 });
  for (let i = 0; i < 500; i++) other.take(`c${i}`, i * 20);
  assertEquals(other.size, 1);
});
