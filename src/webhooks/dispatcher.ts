/**
 * The delivery loop of a server: at least once a second (every {@link POLL_INTERVAL_MS}) it
 * fans new outbox events out into deliveries and makes the attempts that are due. It polls
 * the store because a change made by another process (the CLI, a second server) wakes no
 * listener here on a local store. Attempts run concurrently, at most
 * {@link MAX_IN_FLIGHT} at a time; `close()` aborts them and waits.
 *
 * @module
 */

import type { Logger } from "../ops/log.ts";
import { keys } from "../store/keys.ts";
import type { OutboxEvent, WebhookRecord } from "../store/records.ts";
import { dnsResolver, type Resolver } from "./address_policy.ts";
import {
  fanOut,
  finishAttempt,
  releaseDelivery,
  takeDelivery,
  type TakenDelivery,
} from "./deliveries.ts";
import type { SecretBox } from "./secret_box.ts";
import { sendAttempt } from "./send_attempt.ts";
import { signBody } from "./signing.ts";

/** Milliseconds between two looks at the outbox and the queue. */
export const POLL_INTERVAL_MS = 500;
/** Attempts made at the same time by one process. */
const MAX_IN_FLIGHT = 8;
/** Events fanned out, or queue entries looked at, per poll. */
const BATCH = 50;

/** How deliveries are made (from the `--webhook-*` settings). */
export interface WebhookSettings {
  /** Attempts per delivery (default 8). */
  attempts: number;
  /** Milliseconds before the first retry, doubled for each further one. */
  backoffMs: number;
  /** Milliseconds one attempt may take. */
  timeoutMs: number;
  /** Whether loopback and private targets may be reached. */
  allowPrivate: boolean;
  /** The secrets' box (sealing with `MODYARD_WEBHOOK_KEY` when set). */
  box: SecretBox;
}

/** Defaults: 8 attempts, 30 s first backoff (about an hour in all), 10 s per attempt. */
export const DEFAULT_WEBHOOK_TIMING = { attempts: 8, backoffMs: 30_000, timeoutMs: 10_000 };

/** Drains the outbox and delivers, until closed. */
export class WebhookDispatcher {
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick: Promise<void> | null = null;
  #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #closed = false;
  readonly #resolve: Resolver;

  /** Creates the loop; {@link start} starts it. */
  constructor(
    private readonly kv: Deno.Kv,
    private readonly settings: WebhookSettings,
    private readonly logger?: Logger,
    resolve?: Resolver,
  ) {
    this.#resolve = resolve ?? dnsResolver(Math.min(5000, settings.timeoutMs));
  }

  /** Milliseconds a taken delivery stays leased: past any attempt's timeout. */
  get leaseMs(): number {
    return this.settings.timeoutMs * 2 + 5000;
  }

  /** Starts polling. */
  start(): void {
    const timer = setInterval(() => {
      if (this.#tick === null) {
        this.#tick = this.poll().catch((err) => {
          this.logger?.event("error", "webhook delivery loop failed", { error: String(err) });
        }).finally(() => this.#tick = null);
      }
    }, POLL_INTERVAL_MS);
    Deno.unrefTimer(timer as unknown as number);
    this.#timer = timer;
  }

  /** Stops polling, aborts attempts in flight (they are retried later) and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#tick;
    await Promise.all(this.#inFlight);
  }

  /**
   * One look at the outbox and the queue, then waits for the attempts it started: for a
   * scheduler that runs the app only now and then (`Deno.cron` on Deno Deploy, through
   * `App.sweep()`).
   */
  async drain(): Promise<void> {
    if (this.#closed) return;
    await (this.#tick ?? this.poll());
    await Promise.all(this.#inFlight);
  }

  /** One look at the outbox and the queue (the timer calls it). */
  async poll(): Promise<void> {
    for await (
      const e of this.kv.list<OutboxEvent>({ prefix: keys.webhookOutboxes() }, { limit: BATCH })
    ) {
      if (this.#closed) return;
      await fanOut(this.kv, e, this.settings.attempts);
    }
    const due = this.kv.list(
      { start: keys.webhookQueueStart(), end: keys.webhookQueueUntil(Date.now() + 1) },
      { limit: BATCH },
    );
    for await (const queued of due) {
      if (this.#closed || this.#inFlight.size >= MAX_IN_FLIGHT) return;
      const taken = await takeDelivery(this.kv, queued, this.leaseMs);
      if (taken === null) continue;
      const attempt = this.#attempt(taken).catch((err) => {
        this.logger?.event("error", "webhook attempt failed", { error: String(err) });
      }).finally(() => this.#inFlight.delete(attempt));
      this.#inFlight.add(attempt);
    }
  }

  async #attempt(taken: TakenDelivery): Promise<void> {
    const r = taken.record;
    const hook = (await this.kv.get<WebhookRecord>(keys.webhook(r.owner, r.webhookId))).value;
    if (hook === null) return; // removed meanwhile; its deliveries are being deleted
    let secret: string;
    try {
      secret = await this.settings.box.open(hook.secret, hook.owner, hook.id);
    } catch (err) {
      const attempt = { at: new Date().toISOString(), status: null, durationMs: 0 };
      await finishAttempt(
        this.kv,
        taken,
        { ...attempt, error: (err as Error).message },
        this.settings.backoffMs,
      );
      return;
    }
    const signature = await signBody(secret, r.body);
    const attempt = await sendAttempt({
      url: hook.url,
      body: r.body,
      headers: {
        "content-type": "application/json",
        "user-agent": "modyard-webhook",
        "x-modyard-event": r.event,
        "x-modyard-event-id": r.eventId,
        "x-modyard-delivery": r.id,
        "x-modyard-signature": signature,
        // The same value under the name GitHub's and Gitea's receivers check.
        "x-hub-signature-256": signature,
      },
    }, {
      timeoutMs: this.settings.timeoutMs,
      allowPrivate: this.settings.allowPrivate,
      resolve: this.#resolve,
      signal: this.#abort.signal,
    });
    if (this.#abort.signal.aborted) {
      // Cut by close(): due again at once (for another process, or after the restart).
      await releaseDelivery(this.kv, taken).catch(() => {});
      return;
    }
    const recorded = await finishAttempt(this.kv, taken, attempt, this.settings.backoffMs);
    this.logger?.event(attempt.error ? "warn" : "info", "webhook attempt", {
      owner: r.owner,
      webhook: r.webhookId,
      delivery: r.id,
      event: r.event,
      status: attempt.status ?? 0,
      ms: attempt.durationMs,
      ...(attempt.error ? { error: attempt.error } : {}),
      ...(recorded ? {} : { note: "delivery changed meanwhile; attempt not recorded" }),
    });
  }
}
