// Webhooks across processes on one store file: events caused by the CLI while a server runs
// are delivered within seconds (the server polls the store); `webhook add|list|deliveries|
// redeliver|remove` on the command line; a server killed (SIGKILL) between a publish and its
// delivery delivers it after a restart; secrets sealed with MODYARD_WEBHOOK_KEY are not in
// the store file in plain text.
import { assertEquals, assertIncludes, assertOk } from "./helpers/assert.ts";
import { cliStore } from "./helpers/cli_store.ts";
import { basic, freePort } from "./helpers/server.ts";
import { expectedSignature, sleep, startReceiver } from "./helpers/webhook_receiver.ts";
import { moduleZip } from "./helpers/zip.ts";

const SECRET = "cli-secret-0123456789";
// A 1 s attempt timeout keeps the lease of an attempt cut by SIGKILL short (7 s).
const SERVE = ["--webhook-allow-private", "--webhook-backoff", "200", "--webhook-timeout", "1"];
const MOD = "example.com/proc";

Deno.test("webhook CLI: add with --secret-stdin; an event made by the CLI while the server runs is delivered within seconds; list, deliveries, redeliver, remove", async () => {
  const store = await cliStore("modyard-webhook-cli-");
  const receiver = startReceiver();
  try {
    await store.ok(["user", "create", "alice"]);
    // Without --webhook-allow-private the CLI refuses a loopback URL.
    const refused = await store.cli(
      ["webhook", "add", "alice", receiver.url, "--events", "owner.visibility", "--secret-stdin"],
      SECRET,
    );
    assertEquals(refused.code, 1);
    assertIncludes(refused.stderr, "loopback");
    const unknown = await store.cli(["webhook", "add", "alice", receiver.url, "--events", "push"]);
    assertEquals(unknown.code, 1);
    assertIncludes(unknown.stderr, 'unknown event "push"');
    const id = await store.ok([
      "webhook",
      "add",
      "alice",
      receiver.url,
      "--events",
      "owner.visibility,pin.clear",
      "--secret-stdin",
      "--webhook-allow-private",
    ], SECRET + "\n");
    assertOk(/^[0-9a-f]{12}$/.test(id), id);
    assertEquals(
      (await store.ok(["webhook", "list", "alice"])).split("\t").slice(0, 3),
      [id, "pin.clear,owner.visibility", receiver.url],
    );
    await store.serve(SERVE);
    const started = Date.now();
    await store.ok(["owner", "visibility", "alice", "private"]);
    const [r] = await receiver.waitFor(1, 5000);
    assertOk(Date.now() - started < 5000);
    assertEquals(r.headers["x-modyard-signature"], await expectedSignature(SECRET, r.body));
    assertEquals([r.json.event, r.json.visibility, r.json.actor], [
      "owner.visibility",
      "private",
      "cli",
    ]);

    let listing = "";
    for (let i = 0; i < 40 && !listing.includes("delivered"); i++) {
      listing = await store.ok(["webhook", "deliveries", "alice", id]);
      if (!listing.includes("delivered")) await sleep(50);
    }
    const delivery = r.headers["x-modyard-delivery"];
    assertIncludes(listing, `${delivery}\towner.visibility\tdelivered\t1 attempt(s)`);
    assertOk(/\n {2}\S+\t200\t\d+ ms/.test(listing), listing);

    const queued = await store.ok(["webhook", "redeliver", "alice", id, delivery]);
    assertIncludes(queued, `(redelivery of ${delivery})`);
    const got = await receiver.waitFor(2, 5000);
    assertEquals(got[1].body, got[0].body);
    assertEquals(got[1].headers["x-modyard-event-id"], got[0].headers["x-modyard-event-id"]);
    assertOk(got[1].headers["x-modyard-delivery"] !== delivery);
    const missing = await store.cli([
      "webhook",
      "redeliver",
      "alice",
      id,
      "0000000000000-00000000",
    ]);
    assertEquals(missing.code, 1);

    assertEquals(await store.ok(["webhook", "remove", "alice", id]), `webhook ${id} removed`);
    assertEquals(await store.ok(["webhook", "list", "alice"]), "");
    await store.ok(["owner", "visibility", "alice", "public"]);
    await sleep(1500);
    assertEquals(receiver.received.length, 2);
    const gone = await store.cli(["webhook", "deliveries", "alice", id]);
    assertEquals(gone.code, 1);
  } finally {
    await store.cleanup();
    await receiver.close();
  }
});

Deno.test("webhook: a server killed (SIGKILL) between a publish and its delivery delivers it after a restart; a sealed secret is not in the store file", async () => {
  const store = await cliStore("modyard-webhook-kill-");
  const port = freePort();
  let receiver;
  const key = "ab".repeat(32);
  Deno.env.set("MODYARD_WEBHOOK_KEY", key); // for the CLI and the servers it spawns
  try {
    await store.ok(["user", "create", "alice"]);
    const token = await store.ok(["token", "create", "alice", "--scope", "write"]);
    const url = `http://127.0.0.1:${port}/hook`;
    const add = await store.cli(
      [
        "webhook",
        "add",
        "alice",
        url,
        "--events",
        "publish",
        "--secret-stdin",
        "--webhook-allow-private",
      ],
      SECRET,
    );
    assertEquals(add.code, 0, add.stderr);
    assertEquals(add.stderr.includes("plain text"), false);
    const first = await store.serve(SERVE);
    const zip = await moduleZip(MOD, "v1.0.0", { "go.mod": `module ${MOD}\n` });
    const res = await fetch(`${first.url}/api/packages/alice/go/upload`, {
      method: "PUT",
      body: zip as Uint8Array<ArrayBuffer>,
      headers: { authorization: basic("alice", token) },
    });
    assertEquals(res.status, 201);
    await res.body?.cancel();
    await first.stop("SIGKILL"); // nothing listens at the receiver's port yet: not delivered
    for (const file of [store.kvPath, `${store.kvPath}-wal`]) {
      const bytes = await Deno.readFile(file).catch(() => new Uint8Array());
      assertEquals(new TextDecoder("latin1").decode(bytes).includes(SECRET), false, file);
    }

    receiver = startReceiver({ port });
    await sleep(500);
    assertEquals(receiver.received.length, 0);
    await store.serve(SERVE);
    const [r] = await receiver.waitFor(1, 12_000);
    assertEquals([r.json.event, r.json.module, r.json.version], ["publish", MOD, "v1.0.0"]);
    assertEquals(r.headers["x-modyard-signature"], await expectedSignature(SECRET, r.body));
    await sleep(1000);
    assertEquals(receiver.received.length, 1);
  } finally {
    Deno.env.delete("MODYARD_WEBHOOK_KEY");
    await store.cleanup();
    await receiver?.close();
  }
});

Deno.test("a malformed MODYARD_WEBHOOK_KEY stops `serve` and `webhook add` with exit 1 and the reason", async () => {
  const store = await cliStore("modyard-webhook-key-");
  Deno.env.set("MODYARD_WEBHOOK_KEY", "not-a-key");
  try {
    await store.ok(["user", "create", "alice"]);
    for (
      const args of [
        ["serve", "--port", "0", "--hostname", "127.0.0.1"],
        ["webhook", "add", "alice", "https://example.com/h", "--events", "publish"],
      ]
    ) {
      const out = await store.cli(args);
      assertEquals(out.code, 1, args.join(" "));
      assertIncludes(out.stderr, "MODYARD_WEBHOOK_KEY must be 32 bytes");
    }
  } finally {
    Deno.env.delete("MODYARD_WEBHOOK_KEY");
    await store.cleanup();
  }
});
