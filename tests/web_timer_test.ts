/** afterDelay runs its task once after the delay, and never once cancelled. */

import { assertEquals } from "./helpers/assert.ts";
import { afterDelay } from "../src/ops/web_timer.ts";

Deno.test("afterDelay runs the task once, after at least the delay", async () => {
  const started = performance.now();
  const ran = await new Promise<number>((resolve) =>
    afterDelay(30, () => resolve(performance.now()))
  );
  assertEquals(ran - started >= 29, true, `ran after ${ran - started} ms`);
});

Deno.test("afterDelay's cancel makes the task a no-op", async () => {
  let runs = 0;
  const cancel = afterDelay(10, () => runs++);
  cancel();
  await new Promise<void>((resolve) => afterDelay(40, resolve));
  assertEquals(runs, 0);
});
