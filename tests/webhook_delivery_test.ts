// Webhooks delivered by an in-process server to a receiver on loopback: signed JSON POSTs for
// publish, delete, pin clear and visibility changes; nothing for refused uploads or events a
// webhook does not subscribe to; retries until a receiver that was down returns; redirects
// not followed; loopback refused without --webhook-allow-private (at registration and at
// delivery); attempts and redelivery through the API; who may manage webhooks; two servers
// on one store make each attempt once.
import { createToken, createUser, setMember } from "../src/registry/accounts.ts";
import { CLI_ACTOR } from "../src/registry/audit.ts";
import { SecretBox } from "../src/webhooks/secret_box.ts";
import { createWebhook } from "../src/webhooks/webhook_store.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { basic, freePort, startTestServer, type TestServer } from "./helpers/server.ts";
import {
  expectedSignature,
  type Received,
  sleep,
  startReceiver,
} from "./helpers/webhook_receiver.ts";
import { moduleZip } from "./helpers/zip.ts";

const MOD = "example.com/hooked";
const SECRET = "s3cret-for-the-receiver";
/** Fast retries, loopback allowed: what the tests need. */
const FAST = { attempts: 8, backoffMs: 150, timeoutMs: 3000, allowPrivate: true };

function zip(version: string, text = "package hooked\n"): Promise<Uint8Array> {
  return moduleZip(MOD, version, { "go.mod": `module ${MOD}\n`, "a.go": text });
}

/** Registers a webhook through the API; returns the answer's JSON (asserting 201). */
async function addHook(
  server: TestServer,
  auth: string,
  url: string,
  events: string[],
  owner = "alice",
): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/api/v1/owners/${owner}/webhooks`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/json" },
    body: JSON.stringify({ url, events, secret: SECRET }),
  });
  const body = await res.json();
  assertEquals(res.status, 201, JSON.stringify(body));
  return body;
}

async function deliveries(server: TestServer, auth: string, id: unknown, owner = "alice") {
  const res = await fetch(`${server.url}/api/v1/owners/${owner}/webhooks/${id}/deliveries`, {
    headers: { authorization: auth },
  });
  assertEquals(res.status, 200);
  return await res.json() as {
    id: string;
    event: string;
    event_id: string;
    state: string;
    attempts_made: number;
    redelivery_of: string | null;
    payload: Record<string, unknown>;
    attempts: { status: number | null; error: string | null; duration_ms: number }[];
  }[];
}

async function assertSigned(r: Received): Promise<void> {
  assertEquals(r.headers["x-modyard-signature"], await expectedSignature(SECRET, r.body));
  assertEquals(r.headers["x-hub-signature-256"], r.headers["x-modyard-signature"]);
  assertEquals(r.headers["content-type"], "application/json");
}

Deno.test("webhook: a publish is delivered once, signed (HMAC-SHA256 of the body), with event and delivery ids; refused uploads deliver nothing", async () => {
  const receiver = startReceiver();
  const server = await startTestServer({ webhooks: FAST });
  try {
    const auth = await server.user("alice");
    const hook = await addHook(server, auth, receiver.url, ["publish"]);
    assertEquals(hook.events, ["publish"]);
    assertEquals("secret" in hook, false);
    const v1 = await zip("v1.0.0");
    const res = await server.upload("alice", v1, auth);
    const published = await res.json();
    assertEquals(res.status, 201);
    const [r] = await receiver.waitFor(1);
    await assertSigned(r);
    assertEquals(r.headers["x-modyard-event"], "publish");
    assertEquals(r.json.event, "publish");
    assertEquals(r.json.owner, "alice");
    assertEquals(r.json.actor, "alice");
    assertEquals(r.json.module, MOD);
    assertEquals(r.json.version, "v1.0.0");
    assertEquals(r.json.h1, published.h1);
    assertEquals(r.json.gomod_h1, published.gomod_h1);
    assertEquals(r.headers["x-modyard-event-id"], r.json.event_id);
    const [d] = await deliveries(server, auth, hook.id);
    assertEquals(r.headers["x-modyard-delivery"], d.id);
    assertEquals([d.state, d.attempts_made, d.attempts[0].status], ["delivered", 1, 200]);

    // Refused: the same version again (409), and a zip that is not a module zip (400).
    const again = await server.upload("alice", await zip("v1.0.0", "package hooked // 2\n"), auth);
    assertEquals(again.status, 409);
    await again.body?.cancel();
    const bad = await server.upload("alice", new TextEncoder().encode("not a zip"), auth);
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
    await sleep(1500); // three polls
    assertEquals(receiver.received.length, 1);
    assertEquals((await deliveries(server, auth, hook.id)).length, 1);
    assertEquals(await count(server.kv, "webhook_outbox"), 0);
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("webhook: delete, pin clear and visibility events are delivered to webhooks that subscribe, and only to them", async () => {
  const all = startReceiver();
  const publishOnly = startReceiver();
  const server = await startTestServer({ webhooks: FAST, deleteGraceSeconds: 0 });
  try {
    const admin = await server.user("root", { admin: true });
    const auth = await server.user("alice");
    await addHook(server, auth, all.url, ["delete", "pin.clear", "owner.visibility"]);
    await addHook(server, auth, publishOnly.url, ["publish"]);
    assertEquals((await server.upload("alice", await zip("v1.0.0"), auth)).status, 201);
    await publishOnly.waitFor(1);
    let res = await fetch(
      `${server.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
      { method: "DELETE", headers: { authorization: auth } },
    );
    assertEquals(res.status, 204);
    const { clearPin } = await import("../src/registry/lifecycle.ts");
    await clearPin(server.kv, "alice", MOD, "v1.0.0", CLI_ACTOR);
    res = await fetch(`${server.url}/api/v1/admin/owners/alice`, {
      method: "PATCH",
      headers: { authorization: admin, "content-type": "application/json" },
      body: JSON.stringify({ visibility: "private" }),
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    const got = await all.waitFor(3);
    for (const r of got) await assertSigned(r);
    const events = got.map((r) => r.json).sort((a, b) =>
      String(a.event_id).localeCompare(String(b.event_id))
    );
    assertEquals(events.map((e) => [e.event, e.module ?? e.visibility]), [
      ["delete", MOD],
      ["pin.clear", MOD],
      ["owner.visibility", "private"],
    ]);
    assertEquals(events[2].previous, "public");
    assertEquals(events[2].actor, "root");
    await sleep(1000);
    assertEquals(all.received.length, 3);
    assertEquals(publishOnly.received.length, 1);
  } finally {
    await server.close();
    await all.close();
    await publishOnly.close();
  }
});

Deno.test("webhook: a receiver that is down gets the delivery once it is back; every attempt is listed", async () => {
  const port = freePort();
  const server = await startTestServer({ webhooks: FAST });
  let receiver;
  try {
    const auth = await server.user("alice");
    const hook = await addHook(server, auth, `http://127.0.0.1:${port}/hook`, ["publish"]);
    assertEquals((await server.upload("alice", await zip("v1.0.0"), auth)).status, 201);
    // Attempts at 0, 150, 450, 1050 ms… fail while nothing listens.
    let failed = 0;
    for (let i = 0; i < 100 && failed < 2; i++) {
      await sleep(50);
      failed = (await deliveries(server, auth, hook.id))[0]?.attempts.length ?? 0;
    }
    assertOk(failed >= 2, `expected two failed attempts, saw ${failed}`);
    receiver = startReceiver({ port });
    const [r] = await receiver.waitFor(1);
    await assertSigned(r);
    const [d] = await deliveries(server, auth, hook.id);
    assertEquals(d.state, "delivered");
    assertOk(d.attempts_made >= 3);
    assertEquals(d.attempts.at(-1)!.status, 200);
    for (const a of d.attempts.slice(0, -1)) {
      assertEquals(a.status, null);
      assertOk(a.error, "a failed attempt says why");
      assertIncludes(a.error!, "Connection refused");
      assertEquals(a.error!.includes("/hook"), false, `the URL's path is not kept: ${a.error}`);
    }
  } finally {
    await server.close();
    await receiver?.close();
  }
});

Deno.test("webhook: a redirect is not followed (the attempt fails with its status); redelivery through the API sends the same body again", async () => {
  const target = startReceiver();
  let redirecting = true;
  const receiver = startReceiver({
    answer: () =>
      redirecting
        ? new Response(null, { status: 302, headers: { location: target.url } })
        : new Response("thanks"),
  });
  const server = await startTestServer({ webhooks: { ...FAST, attempts: 1 } });
  try {
    const auth = await server.user("alice");
    const hook = await addHook(server, auth, receiver.url, ["publish"]);
    assertEquals((await server.upload("alice", await zip("v1.0.0"), auth)).status, 201);
    await receiver.waitFor(1);
    let [d] = await deliveries(server, auth, hook.id);
    for (let i = 0; i < 40 && d.state === "pending"; i++) {
      await sleep(50);
      [d] = await deliveries(server, auth, hook.id);
    }
    assertEquals([d.state, d.attempts[0].status], ["failed", 302]);
    assertIncludes(d.attempts[0].error!, "not followed");
    await sleep(500);
    assertEquals(target.received.length, 0);

    redirecting = false;
    const res = await fetch(
      `${server.url}/api/v1/owners/alice/webhooks/${hook.id}/deliveries/${d.id}/redeliver`,
      { method: "POST", headers: { authorization: auth } },
    );
    const again = await res.json();
    assertEquals(res.status, 202);
    assertEquals(again.redelivery_of, d.id);
    assertEquals(
      (await listAudit(server)).filter((l) => l.startsWith("webhook.redeliver")),
      [`webhook.redeliver alice webhook=${hook.id} delivery=${d.id} new=${again.id}`],
    );
    const got = await receiver.waitFor(2);
    assertEquals(got[1].body, got[0].body);
    assertEquals(got[1].headers["x-modyard-event-id"], got[0].headers["x-modyard-event-id"]);
    assertEquals(got[1].headers["x-modyard-delivery"], again.id);
    await assertSigned(got[1]);
    const list = await deliveries(server, auth, hook.id);
    assertEquals(list.map((x) => x.id), [again.id, d.id]);
    for (let i = 0; i < 40 && list[0].state !== "delivered"; i++) {
      await sleep(50);
      list[0] = (await deliveries(server, auth, hook.id))[0];
    }
    assertEquals([list[0].state, list[0].attempts[0].status], ["delivered", 200]);
    const missing = await fetch(
      `${server.url}/api/v1/owners/alice/webhooks/${hook.id}/deliveries/0000000000000-00000000/redeliver`,
      { method: "POST", headers: { authorization: auth } },
    );
    assertEquals(missing.status, 404);
    assertEquals(typeof (await missing.json()).message, "string");
  } finally {
    await server.close();
    await receiver.close();
    await target.close();
  }
});

Deno.test("webhook: loopback targets are refused without --webhook-allow-private, at registration (400) and at delivery time (no request)", async () => {
  const receiver = startReceiver();
  const server = await startTestServer({ webhooks: { ...FAST, allowPrivate: false, attempts: 1 } });
  try {
    const auth = await server.user("alice");
    for (
      const url of [
        receiver.url,
        "http://localhost:1/x",
        "http://[::1]/x",
        "http://10.0.0.7/x",
        "ftp://example.com/x",
        "http://u:p@example.com/x",
      ]
    ) {
      const res = await fetch(`${server.url}/api/v1/owners/alice/webhooks`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({ url, events: ["publish"], secret: SECRET }),
      });
      assertEquals(res.status, 400, url);
      assertOk((await res.json()).message, url);
    }
    // Registered while allowed (another server's setting, or DNS that changed since):
    // this server checks the address again when it delivers, and refuses.
    const hook = await createWebhook(server.kv, "alice", {
      url: receiver.url,
      events: ["publish"],
      secret: SECRET,
    }, { allowPrivate: true, box: new SecretBox(), actor: CLI_ACTOR });
    // A name is judged by what it resolves to (Deno.resolveDns) when delivering.
    const named = await createWebhook(server.kv, "alice", {
      url: `http://localhost:${receiver.port}/hook`,
      events: ["publish"],
      secret: SECRET,
    }, { allowPrivate: true, box: new SecretBox(), actor: CLI_ACTOR });
    assertEquals((await server.upload("alice", await zip("v1.0.0"), auth)).status, 201);
    const failed = async (id: unknown) => {
      let d;
      for (let i = 0; i < 60; i++) {
        [d] = await deliveries(server, auth, id);
        if (d?.state === "failed") break;
        await sleep(50);
      }
      assertEquals(d?.state, "failed");
      assertEquals(d!.attempts[0].status, null);
      return d!.attempts[0].error!;
    };
    assertIncludes(await failed(hook.id), "127.0.0.1 is a loopback address");
    // localhost resolves to a loopback address (or, where it does not resolve, is refused too).
    assertOk(
      /^localhost (\(127\.0\.0\.1\) is a loopback address|.*did not resolve)/.test(
        await failed(named.id),
      ),
    );
    await sleep(300);
    assertEquals(receiver.received.length, 0);
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("webhook API: the owner, an org's owner members and admins manage webhooks; others 403, anonymous 401, read tokens may only list; secrets never answered", async () => {
  const server = await startTestServer({ webhooks: FAST });
  try {
    const alice = await server.user("alice");
    const bob = await server.user("bob");
    const admin = await server.user("root", { admin: true });
    const aliceRead = basic(
      "alice",
      (await createToken(server.kv, "alice", { scope: "read" })).token,
    );
    const { createOrg } = await import("../src/registry/accounts.ts");
    await createOrg(server.kv, "acme", "alice");
    await createUser(server.kv, "carol");
    await setMember(server.kv, "acme", "carol", "write");
    const carol = basic("carol", (await createToken(server.kv, "carol", { scope: "write" })).token);
    const post = (owner: string, auth?: string) =>
      fetch(`${server.url}/api/v1/owners/${owner}/webhooks`, {
        method: "POST",
        headers: { ...(auth ? { authorization: auth } : {}), "content-type": "application/json" },
        body: JSON.stringify({
          url: "http://127.0.0.1:9/h",
          events: "publish,delete",
          secret: SECRET,
        }),
      });
    const statuses: number[] = [];
    for (
      const [owner, auth] of [["alice", undefined], ["alice", bob], ["alice", aliceRead], [
        "acme",
        carol,
      ], ["nobody", admin]] as const
    ) {
      const res = await post(owner, auth);
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assertEquals(statuses, [401, 403, 403, 403, 404]);
    for (const [owner, auth] of [["alice", alice], ["acme", alice], ["alice", admin]] as const) {
      const res = await post(owner, auth);
      assertEquals(res.status, 201, `${owner}`);
      await res.body?.cancel();
    }
    const list = await fetch(`${server.url}/api/v1/owners/alice/webhooks`, {
      headers: { authorization: aliceRead },
    });
    const text = await list.text();
    assertEquals(list.status, 200);
    assertEquals(JSON.parse(text).length, 2);
    assertEquals(JSON.parse(text)[0].events, ["publish", "delete"]);
    assertEquals(text.includes(SECRET), false);
    for (
      const body of [
        { url: "http://127.0.0.1:9/h", events: ["publish", "nope"], secret: SECRET },
        { url: "http://127.0.0.1:9/h", events: [], secret: SECRET },
        { url: "http://127.0.0.1:9/h", events: ["publish"], secret: "short" },
        { url: "http://127.0.0.1:9/" + "x".repeat(2100), events: ["publish"], secret: SECRET },
        { url: 7, events: ["publish"], secret: SECRET },
      ]
    ) {
      const res = await fetch(`${server.url}/api/v1/owners/alice/webhooks`, {
        method: "POST",
        headers: { authorization: alice, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assertEquals(res.status, 400, JSON.stringify(body).slice(0, 80));
      await res.body?.cancel();
    }
    // At most 20 per owner.
    for (let i = 2; i < 20; i++) (await post("alice", alice)).body?.cancel();
    const over = await post("alice", alice);
    assertEquals(over.status, 409);
    await over.body?.cancel();
    // Without a secret, one is made and answered once; the audit log records the changes.
    const made = await fetch(`${server.url}/api/v1/owners/bob/webhooks`, {
      method: "POST",
      headers: { authorization: bob, "content-type": "application/json" },
      body: JSON.stringify({ url: "http://127.0.0.1:9/h", events: ["delete"] }),
    });
    const madeHook = await made.json();
    assertEquals(made.status, 201);
    assertOk(/^[0-9a-f]{48}$/.test(madeHook.secret), madeHook.secret);
    const bobList = await (await fetch(`${server.url}/api/v1/owners/bob/webhooks`, {
      headers: { authorization: bob },
    })).text();
    assertEquals(bobList.includes(madeHook.secret), false);
    assertEquals(
      (await listAudit(server)).filter((a) => a.startsWith("webhook.create bob")).length,
      1,
    );
    const id = JSON.parse(text)[0].id;
    let res = await fetch(`${server.url}/api/v1/owners/alice/webhooks/${id}`, {
      method: "DELETE",
      headers: { authorization: bob },
    });
    assertEquals(res.status, 403);
    await res.body?.cancel();
    res = await fetch(`${server.url}/api/v1/owners/alice/webhooks/${id}`, {
      method: "DELETE",
      headers: { authorization: alice },
    });
    assertEquals(res.status, 204);
    assertOk((await listAudit(server)).includes(`webhook.remove alice id=${id}`));
    res = await fetch(`${server.url}/api/v1/owners/alice/webhooks/${id}`, {
      method: "DELETE",
      headers: { authorization: alice },
    });
    assertEquals(res.status, 404);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("webhook: two servers on one store make each attempt once (the lease)", async () => {
  const receiver = startReceiver();
  const a = await startTestServer({ webhooks: FAST });
  const b = await startTestServer({ webhooks: FAST, store: a.kv });
  try {
    const auth = await a.user("alice");
    await addHook(a, auth, receiver.url, ["publish"]);
    for (let i = 0; i < 12; i++) {
      const res = await (i % 2 ? a : b).upload("alice", await zip(`v1.0.${i}`), auth);
      assertEquals(res.status, 201);
      await res.body?.cancel();
    }
    await receiver.waitFor(12);
    await sleep(1500);
    const ids = receiver.received.map((r) => r.headers["x-modyard-delivery"]);
    assertEquals(ids.length, 12);
    assertEquals(new Set(ids).size, 12);
  } finally {
    await b.close();
    await a.close();
    await receiver.close();
  }
});

/** The audit log as `action target key=value…` lines. */
async function listAudit(server: TestServer): Promise<string[]> {
  const out: string[] = [];
  for await (
    const e of server.kv.list<{ action: string; target: string; detail?: Record<string, string> }>({
      prefix: ["audit"],
    })
  ) {
    const detail = Object.entries(e.value.detail ?? {}).map(([k, v]) => ` ${k}=${v}`).join("");
    out.push(`${e.value.action} ${e.value.target}${detail}`);
  }
  return out;
}

async function count(kv: Deno.Kv, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: [prefix] })) n++;
  return n;
}

Deno.test("webhook API: junk paths, methods and bodies get a 4xx with a JSON reason, never a 5xx", async () => {
  const server = await startTestServer({ webhooks: FAST });
  try {
    const alice = await server.user("alice");
    const hook = await addHook(server, alice, "http://127.0.0.1:9/h", ["publish"]);
    const owners = ["alice", "nobody", "%ZZ", "x".repeat(300), "Alice", ""];
    const ids = [String(hook.id), "zz", "0".repeat(500), "%00"];
    const paths: string[] = [];
    for (const o of owners) {
      paths.push(`/api/v1/owners/${o}/webhooks`);
      for (const id of ids) {
        paths.push(`/api/v1/owners/${o}/webhooks/${id}`);
        paths.push(`/api/v1/owners/${o}/webhooks/${id}/deliveries`);
        paths.push(`/api/v1/owners/${o}/webhooks/${id}/deliveries/${id}/redeliver`);
      }
    }
    const bodies = [
      "",
      "{",
      "[]",
      "null",
      '{"url":"http://127.0.0.1:9/h","events":[1],"secret":"0123456789"}',
      '{"url":"http://127.0.0.1:9/h","events":"publish","secret":{"a":1}}',
      `{"url":"http://127.0.0.1:9/h","events":"publish","secret":"${"s".repeat(70_000)}"}`,
      '{"url":"http://127.0.0.1:9/h","events":"' + "publish,".repeat(100) +
      '","secret":"0123456789"}',
    ];
    let requests = 0;
    for (const path of paths) {
      for (const method of ["GET", "POST", "DELETE", "PUT"]) {
        for (const auth of [alice, undefined, "Basic !!!"]) {
          for (const body of method === "POST" ? bodies : [undefined]) {
            const res = await fetch(server.url + path, {
              method,
              headers: auth ? { authorization: auth } : {},
              body,
            });
            const text = await res.text();
            requests++;
            assertOk(res.status < 500, `${method} ${path.slice(0, 80)}: ${res.status} ${text}`);
            if (res.status >= 400) assertOk(JSON.parse(text).message, `${method} ${path}`);
          }
        }
      }
    }
    assertOk(requests > 1000);
  } finally {
    await server.close();
  }
});

Deno.test("webhook: an attempt cut by a graceful stop is due again at once for the next server (not after its lease); App.sweep() delivers what is due", async () => {
  const store = await (await import("../src/store/open_store.ts")).openStore(":memory:");
  let hang = true;
  const receiver = startReceiver({
    answer: () => new Response("late"),
  });
  const hanging = startReceiver({
    answer: () => (hang ? new Response(new ReadableStream({ start() {} })) : new Response("ok")),
  });
  // Lease of an attempt: 2 × 5 s + 5 s = 15 s.
  const slow = { ...FAST, timeoutMs: 5000 };
  const a = await startTestServer({ webhooks: slow, store });
  try {
    const auth = await a.user("alice");
    await addHook(a, auth, hanging.url, ["publish"]);
    assertEquals((await a.upload("alice", await zip("v1.0.0"), auth)).status, 201);
    await hanging.waitFor(1);
    await a.close(); // aborts the attempt in flight
    hang = false;
    const b = await startTestServer({ webhooks: slow, store });
    try {
      const started = Date.now();
      await hanging.waitFor(2, 4000);
      assertOk(Date.now() - started < 4000);
      assertEquals(hanging.received[1].body, hanging.received[0].body);

      await addHook(b, auth, receiver.url, ["delete"]);
      const res = await fetch(
        `${b.url}/api/v1/packages/alice/go/${encodeURIComponent(MOD)}/v1.0.0`,
        { method: "DELETE", headers: { authorization: auth } },
      );
      assertEquals(res.status, 204);
      await b.app.sweep();
      assertEquals(receiver.received.length, 1);
    } finally {
      await b.close();
    }
  } finally {
    await receiver.close();
    await hanging.close();
    store.close();
  }
});
