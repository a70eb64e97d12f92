// Webhook rules without a server: the signature (GitHub's published example), which addresses
// are refused (literal and resolved), URL shapes, event names, sealed secrets, the backoff
// schedule (8 attempts ≈ an hour), the --webhook-* settings, and the bound of 50 deliveries
// per webhook (older ones and their queue entries dropped).
import { ConfigError, loadConfig } from "../src/config.ts";
import { CLI_ACTOR } from "../src/registry/audit.ts";
import { openStore } from "../src/store/open_store.ts";
import {
  addressKind,
  checkTarget,
  checkWebhookUrl,
  TargetRefusedError,
} from "../src/webhooks/address_policy.ts";
import {
  backoffDelay,
  fanOut,
  listDeliveries,
  MAX_ATTEMPTS_KEPT,
  MAX_DELIVERIES_PER_WEBHOOK,
  takeDelivery,
} from "../src/webhooks/deliveries.ts";
import { parseEvents } from "../src/webhooks/events.ts";
import { addWebhookEvent, readWebhookIndex } from "../src/webhooks/outbox.ts";
import { SecretBox } from "../src/webhooks/secret_box.ts";
import { signBody } from "../src/webhooks/signing.ts";
import { createWebhook } from "../src/webhooks/webhook_store.ts";
import { createUser } from "../src/registry/accounts.ts";
import type { DeliveryRecord, OutboxEvent } from "../src/store/records.ts";
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";

Deno.test("signBody: GitHub's documented X-Hub-Signature-256 example", async () => {
  assertEquals(
    await signBody("It's a Secret to Everybody", "Hello, World!"),
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
  );
});

const KINDS: [string, string | null][] = [
  ["8.8.8.8", "public"],
  ["127.0.0.1", "loopback"],
  ["127.255.0.9", "loopback"],
  ["10.1.2.3", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.1", "public"],
  ["192.168.1.1", "private"],
  ["100.64.0.1", "private"],
  ["169.254.169.254", "link-local"], // cloud metadata
  ["0.0.0.0", "reserved"],
  ["224.0.0.1", "multicast"],
  ["255.255.255.255", "reserved"],
  ["::1", "loopback"],
  ["::", "reserved"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:8.8.8.8", "public"],
  ["64:ff9b::a00:1", "private"],
  ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
  ["fc00::1", "unique-local"],
  ["fd12:3456::1", "unique-local"],
  ["fe80::1", "link-local"],
  ["ff02::1", "multicast"],
  ["2001:db8::1", "reserved"],
  ["2606:4700:4700::1111", "public"],
  ["example.com", null],
  ["1.2.3", null],
  ["1:2:3:4:5:6:7:8:9", null],
];
for (const [text, kind] of KINDS) {
  Deno.test(`addressKind(${JSON.stringify(text)}) is ${kind}`, () => {
    assertEquals(addressKind(text), kind);
  });
}

Deno.test("checkWebhookUrl: http(s) only, bounded, no credentials; literal private hosts and localhost only when allowed", () => {
  const refused = (url: string, allow = false) => {
    try {
      checkWebhookUrl(url, allow);
    } catch (err) {
      assertOk(err instanceof RangeError);
      return err.message;
    }
    throw new Error(`${url} accepted`);
  };
  assertEquals(checkWebhookUrl("https://ci.example.com/hook?x=1", false).host, "ci.example.com");
  assertIncludes(refused("ftp://example.com/"), "http or https");
  assertIncludes(refused("file:///etc/passwd"), "http or https");
  assertIncludes(refused("https://user:pw@example.com/"), "user name or password");
  assertIncludes(refused("https://example.com/" + "a".repeat(2000)), "at most 2000");
  assertIncludes(refused("not a url"), "is not a URL");
  assertIncludes(refused("http://127.1/"), "127.0.0.1 is a loopback address");
  assertIncludes(refused("http://0x7f.0.0.1/"), "loopback");
  assertIncludes(refused("http://[::ffff:10.0.0.1]/"), "private");
  assertIncludes(refused("http://app.localhost/"), "loopback");
  assertIncludes(refused("ftp://127.0.0.1/", true), "http or https");
  assertEquals(checkWebhookUrl("http://127.0.0.1:9/h", true).port, "9");
});

Deno.test("checkTarget: every resolved address must be public; a name that resolves nowhere is refused; nothing is asked when private targets are allowed", async () => {
  const resolver = (table: Record<string, string[]>) => (host: string) =>
    Promise.resolve(table[host] ?? []);
  const dns = resolver({
    "ok.example": ["93.184.216.34", "2606:2800:220:1::1"],
    "rebind.example": ["93.184.216.34", "10.0.0.5"],
    "v6.example": ["fd00::5"],
  });
  await checkTarget(new URL("https://ok.example/h"), false, dns);
  for (
    const [url, reason] of [
      ["https://rebind.example/h", "rebind.example (10.0.0.5) is a private address"],
      ["https://v6.example/h", "(fd00::5) is a unique-local address"],
      ["https://nowhere.example/h", "nowhere.example did not resolve"],
      ["http://[fe80::1]/h", "fe80::1 is a link-local address"],
    ]
  ) {
    let message = "";
    try {
      await checkTarget(new URL(url), false, dns);
    } catch (err) {
      assertOk(err instanceof TargetRefusedError);
      message = err.message;
    }
    assertIncludes(message, reason);
  }
  let asked = 0;
  await checkTarget(new URL("https://rebind.example/h"), true, (h) => {
    asked++;
    return dns(h);
  });
  assertEquals(asked, 0);
});

Deno.test("parseEvents: known names in a fixed order, duplicates dropped, unknown names refused", () => {
  assertEquals(parseEvents("owner.visibility, publish,publish"), ["publish", "owner.visibility"]);
  for (const bad of ["", "push", "publish,Delete"]) {
    let refused = false;
    try {
      parseEvents(bad);
    } catch (err) {
      refused = err instanceof RangeError;
    }
    assertOk(refused, bad);
  }
});

Deno.test("SecretBox: sealed secrets open only with the same key and the same webhook; without a key they stay plain", async () => {
  const box = new SecretBox("11".repeat(32));
  const sealed = await box.seal("hunter2-hunter2", "alice", "aaaaaaaaaaaa");
  assertEquals(sealed.kind, "sealed");
  assertEquals(JSON.stringify(sealed).includes("hunter2"), false);
  assertEquals(await box.open(sealed, "alice", "aaaaaaaaaaaa"), "hunter2-hunter2");
  const fails = async (b: SecretBox, owner: string, id: string) => {
    try {
      await b.open(sealed, owner, id);
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  };
  assertIncludes(await fails(box, "mallory", "aaaaaaaaaaaa"), "does not open");
  assertIncludes(
    await fails(new SecretBox("22".repeat(32)), "alice", "aaaaaaaaaaaa"),
    "does not open",
  );
  assertIncludes(await fails(new SecretBox(), "alice", "aaaaaaaaaaaa"), "no MODYARD_WEBHOOK_KEY");
  const base64Key = new SecretBox(new Uint8Array(32).fill(0x11).toBase64());
  assertEquals(await base64Key.open(sealed, "alice", "aaaaaaaaaaaa"), "hunter2-hunter2");
  assertEquals(await new SecretBox().seal("x", "a", "b"), { kind: "plain", value: "x" });
  for (const bad of ["short", "zz".repeat(32), "11".repeat(31)]) {
    let refused = false;
    try {
      new SecretBox(bad);
    } catch (err) {
      refused = err instanceof RangeError;
    }
    assertOk(refused, bad);
  }
});

Deno.test("backoff: 30 s doubled, 8 attempts spread over about an hour", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7].map((made) => backoffDelay(made, 30_000));
  assertEquals(delays, [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000]);
  const total = delays.reduce((a, b) => a + b, 0);
  assertOk(total > 55 * 60_000 && total < 70 * 60_000, String(total));
  assertEquals(backoffDelay(40, 30_000), 86_400_000);
});

Deno.test("config: --webhook-* settings, their defaults and ranges; --webhook-allow-private takes no value", () => {
  const { config, rest } = loadConfig(["--webhook-allow-private", "serve"], () => undefined);
  assertEquals(rest, ["serve"]);
  assertEquals(
    [
      config.webhookAllowPrivate,
      config.webhookAttempts,
      config.webhookBackoffMs,
      config.webhookTimeoutSeconds,
    ],
    [true, 8, 30_000, 10],
  );
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assertEquals(loadConfig([], env({})).config.webhookAllowPrivate, false);
  assertEquals(
    loadConfig([], env({ MODYARD_WEBHOOK_ALLOW_PRIVATE: "1" })).config.webhookAllowPrivate,
    true,
  );
  assertEquals(
    loadConfig(["--webhook-allow-private=0"], env({ MODYARD_WEBHOOK_ALLOW_PRIVATE: "1" })).config
      .webhookAllowPrivate,
    false,
  );
  for (
    const args of [["--webhook-attempts", "0"], ["--webhook-attempts", "17"], [
      "--webhook-backoff",
      "5",
    ], ["--webhook-allow-private=yes"]]
  ) {
    let refused = false;
    try {
      loadConfig(args, () => undefined);
    } catch (err) {
      refused = err instanceof ConfigError;
    }
    assertOk(refused, args.join(" "));
  }
});

Deno.test("a webhook keeps its newest 50 deliveries: older ones and their queue entries are dropped", async () => {
  const kv = await openStore(":memory:");
  try {
    await createUser(kv, "alice");
    const hook = await createWebhook(kv, "alice", {
      url: "http://127.0.0.1:9/h",
      events: ["delete"],
      secret: "0123456789",
    }, { allowPrivate: true, box: new SecretBox(), actor: CLI_ACTOR });
    const made: string[] = [];
    for (let i = 0; i < MAX_DELIVERIES_PER_WEBHOOK + 7; i++) {
      const op = kv.atomic();
      addWebhookEvent(op, await readWebhookIndex(kv, "alice"), {
        owner: "alice",
        event: "delete",
        actor: "cli",
        fields: { n: String(i) },
      });
      assertOk((await op.commit()).ok);
      for await (const e of kv.list<OutboxEvent>({ prefix: ["webhook_outbox"] })) {
        assertEquals(await fanOut(kv, e, 3), 1);
        made.push(e.value.id);
      }
      await new Promise((r) => setTimeout(r, 2)); // distinct millisecond ids
    }
    const kept = await listDeliveries(kv, "alice", hook.id);
    assertEquals(kept.length, MAX_DELIVERIES_PER_WEBHOOK);
    assertEquals(kept.map((d) => d.eventId), made.slice(-MAX_DELIVERIES_PER_WEBHOOK).reverse());
    let queued = 0;
    for await (const _ of kv.list({ prefix: ["webhook_queue"] })) queued++;
    assertEquals(queued, MAX_DELIVERIES_PER_WEBHOOK);
    let all = 0;
    for await (const _ of kv.list({ prefix: ["webhook_delivery"] })) all++;
    assertEquals(all, MAX_DELIVERIES_PER_WEBHOOK);
    // An event no webhook subscribes to writes nothing to the outbox.
    const op = kv.atomic();
    addWebhookEvent(op, await readWebhookIndex(kv, "alice"), {
      owner: "alice",
      event: "publish",
      actor: "cli",
      fields: {},
    });
    await op.commit();
    let outbox = 0;
    for await (const _ of kv.list({ prefix: ["webhook_outbox"] })) outbox++;
    assertEquals(outbox, 0);
  } finally {
    kv.close();
  }
});

Deno.test("takeDelivery: of two processes taking one due delivery at once, exactly one gets it; once its lease ends, it can be taken again", async () => {
  const kv = await openStore(":memory:");
  try {
    await createUser(kv, "alice");
    await createWebhook(kv, "alice", {
      url: "http://127.0.0.1:9/h",
      events: ["delete"],
      secret: "0123456789",
    }, { allowPrivate: true, box: new SecretBox(), actor: CLI_ACTOR });
    const op = kv.atomic();
    addWebhookEvent(op, await readWebhookIndex(kv, "alice"), {
      owner: "alice",
      event: "delete",
      actor: "cli",
      fields: {},
    });
    await op.commit();
    for await (const e of kv.list<OutboxEvent>({ prefix: ["webhook_outbox"] })) {
      await fanOut(kv, e, 3);
    }
    const queue = async () => {
      const out: Deno.KvEntry<unknown>[] = [];
      for await (const e of kv.list({ prefix: ["webhook_queue"] })) out.push(e);
      return out;
    };
    const [due] = await queue();
    // Two processes with short leases (holders that then die).
    const taken = await Promise.all([takeDelivery(kv, due, 20), takeDelivery(kv, due, 20)]);
    assertEquals(taken.filter((t) => t !== null).length, 1);
    const leased = await queue();
    assertEquals(leased.length, 1);
    assertOk((leased[0].key[1] as number) > (due.key[1] as number), "moved to the lease end");
    await new Promise((r) => setTimeout(r, 30));
    const [expired] = await queue();
    assertOk((expired.key[1] as number) <= Date.now(), "due again once the lease ended");
    const retaken = await takeDelivery(kv, expired, 60_000);
    assertOk(retaken !== null);
    assertEquals(retaken.record.id, taken.find((t) => t !== null)!.record.id);
  } finally {
    kv.close();
  }
});

Deno.test("a delivery with its most attempts, each with the largest answer excerpt and error, fits one KV value", async () => {
  const kv = await openStore(":memory:");
  try {
    const attempt = {
      at: new Date().toISOString(),
      status: 500,
      durationMs: 10_000,
      error: "é".repeat(301),
      response: "\u{1F600}".repeat(512), // 1 KiB of UTF-8, as two-byte text
    };
    const record: DeliveryRecord = {
      id: "0000000000000-00000000",
      webhookId: "aaaaaaaaaaaa",
      owner: "o".repeat(64),
      eventId: "0000000000000-00000000",
      event: "owner.visibility",
      body: JSON.stringify({ module: "é".repeat(1000), version: "v".repeat(200) }),
      createdAt: new Date().toISOString(),
      state: "failed",
      dueAt: null,
      attemptsLeft: 0,
      attemptsMade: MAX_ATTEMPTS_KEPT,
      attempts: new Array(MAX_ATTEMPTS_KEPT).fill(attempt),
    };
    assertOk((await kv.set(["x"], record)).ok);
    assertEquals(
      loadConfig(["--webhook-attempts", String(MAX_ATTEMPTS_KEPT)], () => undefined).config
        .webhookAttempts,
      MAX_ATTEMPTS_KEPT,
    );
  } finally {
    kv.close();
  }
});
