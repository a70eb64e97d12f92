// Password guessing is bounded per (client, name), per client across names and per name across
// clients; attempts count before the slow check; memory stays flat whatever the names; and the
// work of a refusal does not reveal whether an account has a password.
import { createToken, createUser } from "../src/registry/accounts.ts";
import { Authenticator, BusyError } from "../src/registry/authenticate.ts";
import { StateCache } from "../src/registry/state_cache.ts";
import {
  MAX_ACCOUNT_FAILURES,
  MAX_CLIENT_FAILURES,
  MAX_FAILURES,
} from "../src/registry/throttle.ts";
import { openStore } from "../src/store/open_store.ts";
import { assertEquals, assertOk } from "./helpers/assert.ts";
import { basic, startTestServer } from "./helpers/server.ts";

async function statuses(responses: Promise<Response>[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const res of await Promise.all(responses)) {
    await res.body?.cancel();
    out.set(res.status, (out.get(res.status) ?? 0) + 1);
  }
  return out;
}

Deno.test(`40 guesses sent at once get ${MAX_FAILURES} password checks; the rest 429 before any check`, async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    await createUser(server.kv, "bob", { password: "bob's password" });
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const got = await statuses(
      Array.from(
        { length: 40 },
        (_, i) => fetch(url, { headers: { authorization: basic("alice", `guess ${i}`) } }),
      ),
    );
    assertEquals(got.get(401), MAX_FAILURES, JSON.stringify([...got]));
    assertEquals(got.get(429), 40 - MAX_FAILURES, JSON.stringify([...got]));
    // The (client, name) window is full for alice only: bob signs in from the same client.
    const bob = await fetch(url, { headers: { authorization: basic("bob", "bob's password") } });
    assertEquals(bob.status, 404); // authorised: the module just does not exist
    await bob.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test(`one client guessing at many names is stopped after ${MAX_CLIENT_FAILURES} failures; its tokens still work`, async () => {
  const server = await startTestServer();
  try {
    const token = (await createToken(
      server.kv,
      (await createUser(server.kv, "alice", { password: "correct horse battery" })).name,
    )).token;
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const guess = (name: string) =>
      fetch(url, { headers: { authorization: basic(name, "guess") } });
    for (let i = 0; i < MAX_CLIENT_FAILURES; i++) {
      const res = await guess(`user${i}`);
      assertEquals(res.status, 401, `guess ${i}`);
      await res.body?.cancel();
    }
    const blocked = await guess("alice");
    assertEquals(blocked.status, 429);
    assertOk(Number(blocked.headers.get("retry-after")) > 0);
    await blocked.body?.cancel();
    const withToken = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assertEquals(withToken.status, 404); // authorised: the module just does not exist
    await withToken.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test(`guesses at one account spread over many addresses are stopped after ${MAX_ACCOUNT_FAILURES}`, async () => {
  const server = await startTestServer({ trustedProxies: ["127.0.0.1"] });
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const guess = (client: string) =>
      fetch(url, {
        headers: { authorization: basic("alice", "guess"), "x-forwarded-for": client },
      });
    // 20 addresses, each below the per-(client, name) limit.
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const res = await guess(`203.0.113.${i % 20}`);
      await res.body?.cancel();
      if (i < MAX_ACCOUNT_FAILURES) assertEquals(res.status, 401, `guess ${i}`);
      else if (res.status === 429) refused++;
    }
    assertEquals(refused, 40 - MAX_ACCOUNT_FAILURES);
    // The right password from a fresh address waits too: the account is what is throttled.
    const right = await fetch(url, {
      headers: {
        authorization: basic("alice", "correct horse battery"),
        "x-forwarded-for": "198.51.100.1",
      },
    });
    assertEquals(right.status, 429);
    await right.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("a success is not counted: 9 failures, a success, 9 failures never reach the limit", async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const as = (secret: string) =>
      fetch(url, { headers: { authorization: basic("alice", secret) } });
    for (const round of [0, 1]) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) {
        const res = await as(`wrong ${round} ${i}`);
        assertEquals(res.status, 401);
        await res.body?.cancel();
      }
      const ok = await as("correct horse battery");
      assertEquals(ok.status, 404);
      await ok.body?.cancel();
    }
  } finally {
    await server.close();
  }
});

Deno.test("the throttle's memory is bounded: 6,000 failures with 45 KB names from distinct clients", async () => {
  // In a process of its own with an explicit collection before and after, so the figure is
  // what the throttle keeps, not garbage of other tests.
  const script = `
    import { PasswordThrottle } from ${
    JSON.stringify(new URL("../src/registry/throttle.ts", import.meta.url).href)
  };
    const maxKeys = 2000;
    const throttle = new PasswordThrottle({ maxKeys });
    const base = "x".repeat(45000);
    gc();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < 6000; i++) {
      const a = throttle.begin("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), base + i);
      if ("retryAfter" in a) throw new Error("throttled at " + i);
    }
    gc();
    console.log(JSON.stringify({ sizes: throttle.sizes, grownMiB: (Deno.memoryUsage().heapUsed - before) / 1048576 }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const { sizes, grownMiB } = JSON.parse(text);
  for (const size of sizes) assertOk(size <= 2000, `${size} keys > 2000`);
  // The names alone are 270 MB; three windows of fixed-size keys are about a MiB.
  assertOk(grownMiB < 16, `heap grew by ${grownMiB.toFixed(1)} MiB`);
});

Deno.test("a refused password costs one derivation whether or not the account exists or has a password", async () => {
  const kv = await openStore(":memory:");
  const cache = new StateCache(kv);
  try {
    await createUser(kv, "alice", { password: "correct horse battery" });
    await createUser(kv, "nopass");
    const auth = new Authenticator(kv, cache);
    for (const user of ["alice", "nopass", "nobody", "Not A Valid Name"]) {
      const before = auth.passwordChecks;
      assertEquals(await auth.authenticate({ kind: "basic", user, secret: "guess" }), null);
      assertEquals(auth.passwordChecks - before, 1, user);
    }
  } finally {
    cache.close();
    kv.close();
  }
});

Deno.test("at most 2 password checks run at once and 32 wait: of 40 at once, exactly 6 are busy", async () => {
  const kv = await openStore(":memory:");
  const cache = new StateCache(kv);
  try {
    await createUser(kv, "alice", { password: "correct horse battery" });
    const auth = new Authenticator(kv, cache);
    await auth.user("alice"); // cached, so all 40 reach the slots together
    const outcomes = await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) =>
          auth.authenticate({ kind: "basic", user: "alice", secret: `guess ${i}` }).then(
            (p) => (p === null ? "refused" : "accepted"),
            (err) => (err instanceof BusyError ? "busy" : `error ${err}`),
          ),
      ),
    );
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    assertEquals(count("busy"), 40 - 2 - 32, outcomes.join(","));
    assertEquals(count("refused"), 34);
    assertEquals(auth.passwordChecks, 34);
  } finally {
    cache.close();
    kv.close();
  }
});

Deno.test("64 parallel requests with the right password (a cold go command) share one check: all authorised, none 429", async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const got = await statuses(
      Array.from(
        { length: 64 },
        (_, i) =>
          fetch(`${server.proxy("alice")}/example.com/m${i}/@v/list`, {
            headers: { authorization: basic("alice", "correct horse battery") },
          }),
      ),
    );
    assertEquals([...got], [[404, 64]]); // authorised: the modules just do not exist
  } finally {
    await server.close();
  }
});
