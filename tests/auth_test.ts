// Credentials in every form Gitea accepts, throttling of failed passwords, the client
// address behind trusted proxies, and secrets that never reach the store in clear text.
import { createToken, createUser, setPassword } from "../src/registry/accounts.ts";
import { MAX_FAILURES } from "../src/registry/throttle.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, runCli, startTestServer } from "./helpers/server.ts";
import { moduleZip } from "./helpers/zip.ts";

const NO_THROTTLE = { perPair: 1000, perClient: 1000, perAccount: 1000 };

Deno.test("every credential form is accepted: user:password, user:token, token as user, token and Bearer schemes", async () => {
  const server = await startTestServer();
  try {
    await createUser(server.kv, "alice", {
      visibility: "private",
      password: "correct horse battery",
    });
    const { token } = await createToken(server.kv, "alice", { scope: "read" });
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    for (
      const authorization of [
        basic("alice", "correct horse battery"),
        basic("alice", token),
        basic(token, ""),
        `token ${token}`,
        `Bearer ${token}`,
      ]
    ) {
      const res = await fetch(url, { headers: { authorization } });
      assertEquals(res.status, 404, authorization.slice(0, 12)); // authorised: the module just does not exist
      await res.body?.cancel();
    }
    const res = await fetch(url, { headers: { authorization: basic("bob", token) } });
    assertEquals(res.status, 401, "a token presented under another user's name");
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test(`more than ${MAX_FAILURES} failed passwords from one client → 429 with Retry-After; tokens and other clients unaffected`, async () => {
  const server = await startTestServer({ trustedProxies: ["127.0.0.1"] });
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const { token } = await createToken(server.kv, "alice");
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const attempt = async (authorization: string, forwardedFor = "198.51.100.1") => {
      const res = await fetch(url, { headers: { authorization, "x-forwarded-for": forwardedFor } });
      await res.body?.cancel();
      return res;
    };
    for (let i = 0; i < MAX_FAILURES; i++) {
      assertEquals((await attempt(basic("alice", `wrong ${i}`))).status, 401);
    }
    const blocked = await attempt(basic("alice", "wrong again"));
    assertEquals(blocked.status, 429);
    assertOk(Number(blocked.headers.get("retry-after")) >= 1);
    // Even the right password waits: guessing must not be able to go on.
    assertEquals((await attempt(basic("alice", "correct horse battery"))).status, 429);
    // A token is not held up, and another client address is not either.
    assertEquals((await attempt(basic("alice", token))).status, 404);
    assertEquals(
      (await attempt(basic("alice", "correct horse battery"), "198.51.100.2")).status,
      404,
    );
  } finally {
    await server.close();
  }
});

Deno.test("X-Forwarded-For is believed only from trusted proxies (audit shows the client address)", async () => {
  for (const [trusted, want] of [[["127.0.0.1"], "203.0.113.9"], [[], "127.0.0.1"]] as const) {
    const server = await startTestServer({ trustedProxies: [...trusted] });
    try {
      const auth = await server.user("alice");
      const res = await fetch(`${server.url}/api/packages/alice/go/upload`, {
        method: "PUT",
        body: await moduleZip("example.com/xff", "v1.0.0", {
          "go.mod": "module example.com/xff\n",
        }) as Uint8Array<ArrayBuffer>,
        headers: { authorization: auth, "x-forwarded-for": "192.0.2.1, 203.0.113.9" },
      });
      assertEquals(res.status, 201);
      await res.body?.cancel();
      const publishes: string[][] = [];
      for await (
        const e of server.kv.list<
          { action: string; actor: string; target: string; client: string }
        >(
          { prefix: ["audit"] },
        )
      ) {
        const { action, actor, target, client } = e.value;
        if (action === "publish") publishes.push([actor, target, client]);
      }
      // Exactly one publish entry, by alice, from the client address: none at all fails too.
      assertEquals(publishes, [["alice", "alice/example.com/xff@v1.0.0", want]], `${trusted}`);
    } finally {
      await server.close();
    }
  }
});

Deno.test("the raw store holds no token or password in clear text", async () => {
  const dir = await Deno.makeTempDir();
  const kvPath = `${dir}/modyard.kv`;
  try {
    const password = "Tr0ub4dor&3-unique-password";
    await runCli(kvPath, ["user", "create", "alice", "--password-stdin"], password + "\n");
    const tokens = [];
    for (const scope of ["read", "write"]) {
      tokens.push(
        (await runCli(kvPath, ["token", "create", "alice", "--scope", scope])).stdout.trim(),
      );
    }
    const kv = await Deno.openKv(kvPath);
    await setPassword(kv, "alice", password);
    kv.close();
    for (const t of tokens) assertOk(t.startsWith("myd_") && t.length >= 36, t);
    // Every byte of the SQLite file (and its WAL) is searched for the secrets.
    const files = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
    const haystack = files.map((f) => new TextDecoder("latin1").decode(Deno.readFileSync(f))).join(
      "\n",
    );
    for (const secret of [password, ...tokens, tokens[0].slice(4)]) {
      assertEquals(haystack.includes(secret), false, `found ${secret.slice(0, 8)}… in the store`);
    }
    assertIncludes(haystack, "PBKDF2-SHA256");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a flood of bogus passwords is capped: busy checks answer 503 with Retry-After, never 500, and tokens keep working", async () => {
  const server = await startTestServer({ authLimits: NO_THROTTLE });
  try {
    await createUser(server.kv, "alice", { password: "correct horse battery" });
    const { token } = await createToken(server.kv, "alice");
    const url = `${server.proxy("alice")}/example.com/none/@v/list`;
    const flood = Array.from(
      { length: 60 },
      (_, i) =>
        fetch(url, { headers: { authorization: basic("alice", `guess ${i}`) } }).then(async (r) => {
          await r.body?.cancel();
          return [r.status, r.headers.get("retry-after")] as const;
        }),
    );
    const during = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    assertEquals(during.status, 404);
    await during.body?.cancel();
    const results = await Promise.all(flood);
    const statuses = new Set(results.map(([s]) => s));
    assertEquals([...statuses].sort(), [401, 503]);
    for (const [s, retry] of results) if (s === 503) assertEquals(retry, "1");
  } finally {
    await server.close();
  }
});
