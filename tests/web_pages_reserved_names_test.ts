/**
 * Reserved owner names: the web UI's namespace and the server's own top-level paths cannot
 * be registered, and `owner check-names` reports owners that got such a name before it was
 * reserved.
 */

import { createUser } from "../src/registry/accounts.ts";
import { RESERVED_NAMES } from "../src/registry/reserved_names.ts";
import { keys } from "../src/store/keys.ts";
import { openStore } from "../src/store/open_store.ts";
import type { UserRecord } from "../src/store/records.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { runCli, startTestServer } from "./helpers/server.ts";
import { getPage } from "./helpers/web_pages.ts";

Deno.test("reserved names: every top-level path the server answers itself is reserved", () => {
  for (const name of ["-", "api", "healthz", "readyz", "metrics", "favicon.ico", "robots.txt"]) {
    assertOk(RESERVED_NAMES.has(name), `${name} must be reserved`);
  }
});

Deno.test("reserved names: creating an owner named - or metrics is refused", async () => {
  const kv = await openStore(":memory:");
  try {
    for (const name of ["-", "metrics", "readyz"]) {
      let refused = "";
      try {
        await createUser(kv, name);
      } catch (err) {
        refused = String(err);
      }
      // "-" already fails the name pattern (it must start with a letter or digit).
      assertIncludes(refused, name === "-" ? "must be 1-64" : "is reserved", `${name}: ${refused}`);
    }
  } finally {
    kv.close();
  }
});

Deno.test("reserved names: /-/ is the UI's namespace, never an owner page", async () => {
  const s = await startTestServer();
  try {
    assertEquals((await getPage(s.url, "/-/signin")).status, 200);
    const page = await getPage(s.url, "/-/");
    assertEquals(page.status, 404);
    assertOk(!page.html.includes("owner"), page.html);
  } finally {
    await s.close();
  }
});

Deno.test("reserved names: owner check-names reports owners created before the name was reserved", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/store.kv`;
  try {
    const kv = await openStore(path);
    await createUser(kv, "alice");
    const old: UserRecord = {
      name: "metrics",
      admin: false,
      visibility: "public",
      createdAt: new Date().toISOString(),
    };
    await kv.set(keys.user("metrics"), old); // as an older release could have created it
    kv.close();
    const found = await runCli(path, ["owner", "check-names"]);
    assertEquals(found.code, 1, found.stderr);
    assertIncludes(found.stdout, "metrics\treserved name");
    assertOk(!found.stdout.includes("alice"), found.stdout);

    const kv2 = await openStore(path);
    await kv2.delete(keys.user("metrics"));
    kv2.close();
    const clean = await runCli(path, ["owner", "check-names"]);
    assertEquals(clean.code, 0, clean.stderr);
    assertIncludes(clean.stdout, "no owner has a reserved name");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
