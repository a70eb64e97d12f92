/**
 * `webhook add|list|remove|deliveries|redeliver`: an owner's webhooks, on the store. A
 * running server delivers what these commands queue within a second (it polls the store).
 *
 * @module
 */

import type { Config } from "../config.ts";
import { requireUser } from "../registry/accounts.ts";
import { CLI_ACTOR } from "../registry/audit.ts";
import type { DeliveryRecord } from "../store/records.ts";
import { listDeliveries, redeliver } from "../webhooks/deliveries.ts";
import { parseEvents } from "../webhooks/events.ts";
import { SecretBox } from "../webhooks/secret_box.ts";
import {
  createWebhook,
  getWebhook,
  listWebhooks,
  removeWebhook,
  WebhookError,
} from "../webhooks/webhook_store.ts";

const USAGE = `usage:
  webhook add OWNER URL --events publish,delete[,pin.clear,owner.visibility] [--secret-stdin]
  webhook list OWNER
  webhook remove OWNER ID
  webhook deliveries OWNER ID
  webhook redeliver OWNER ID DELIVERY_ID`;

/** Runs a `webhook` subcommand; resolves to the exit code (1 refused, 2 usage). */
export async function webhookCommand(
  kv: Deno.Kv,
  sub: string | undefined,
  args: string[],
  flags: Map<string, string | true>,
  config: Config,
): Promise<number> {
  const need = (n: number) => {
    if (args.length !== n) throw new UsageError(`webhook ${sub} takes ${n} argument(s)`);
  };
  try {
    switch (sub) {
      case "add": {
        need(2);
        const events = flags.get("events");
        if (typeof events !== "string") throw new UsageError("webhook add needs --events");
        const [owner, url] = args;
        if ((await requireUser(kv, owner)).value.deleted) {
          console.error(`error: ${owner} is deleted`);
          return 1;
        }
        let box: SecretBox;
        try {
          box = new SecretBox(Deno.env.get("MODYARD_WEBHOOK_KEY") || undefined);
        } catch (err) {
          console.error(`error: ${(err as Error).message}`);
          return 1;
        }
        const given = flags.has("secret-stdin");
        const secret = given
          ? await readSecret()
          : crypto.getRandomValues(new Uint8Array(24)).toHex();
        const hook = await createWebhook(kv, owner, { url, events: parseEvents(events), secret }, {
          allowPrivate: config.webhookAllowPrivate,
          box,
          actor: CLI_ACTOR,
        });
        console.log(hook.id);
        if (!given) console.error(`secret (shown once): ${secret}`);
        if (!box.sealing) {
          console.error(
            "note: the secret is stored in plain text; set MODYARD_WEBHOOK_KEY (32 bytes, hex or " +
              "base64) for the CLI and the server to store secrets sealed",
          );
        }
        return 0;
      }
      case "list": {
        need(1);
        await requireUser(kv, args[0]);
        for (const h of await listWebhooks(kv, args[0])) {
          console.log(`${h.id}\t${h.events.join(",")}\t${h.url}\t${h.createdAt}`);
        }
        return 0;
      }
      case "remove":
        need(2);
        await removeWebhook(kv, args[0], args[1], CLI_ACTOR);
        console.log(`webhook ${args[1]} removed`);
        return 0;
      case "deliveries": {
        need(2);
        const hook = await getWebhook(kv, args[0], args[1]);
        for (const d of await listDeliveries(kv, args[0], hook.id)) printDelivery(d);
        return 0;
      }
      case "redeliver": {
        need(3);
        const hook = await getWebhook(kv, args[0], args[1]);
        const d = await redeliver(kv, args[0], hook.id, args[2], config.webhookAttempts, CLI_ACTOR);
        if (d === null) {
          console.error(`error: webhook ${hook.id} has no delivery ${JSON.stringify(args[2])}`);
          return 1;
        }
        console.log(`${d.id} queued (redelivery of ${args[2]})`);
        return 0;
      }
    }
    throw new UsageError(`unknown webhook command ${JSON.stringify(sub ?? "")}`);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof WebhookError || err instanceof RangeError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

class UsageError extends Error {}

/** One delivery: a line, then one indented line per attempt. */
function printDelivery(d: DeliveryRecord): void {
  const next = d.state === "pending" && d.dueAt !== null
    ? ` next ${new Date(d.dueAt).toISOString()}`
    : "";
  const again = d.redeliveryOf ? ` redelivery of ${d.redeliveryOf}` : "";
  console.log(`${d.id}\t${d.event}\t${d.state}\t${d.attemptsMade} attempt(s)${next}${again}`);
  for (const a of d.attempts) {
    const what = a.status === null ? "no answer" : String(a.status);
    console.log(`  ${a.at}\t${what}\t${a.durationMs} ms${a.error ? `\t${a.error}` : ""}`);
  }
}

async function readSecret(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError("no secret on standard input");
  return secret;
}
