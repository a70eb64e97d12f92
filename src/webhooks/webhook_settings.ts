/**
 * The delivery settings of a server, from the app options (`--webhook-*` flags and
 * `MODYARD_WEBHOOK_KEY`) with their defaults.
 *
 * @module
 */

import { ConfigError } from "../config.ts";
import { DEFAULT_WEBHOOK_TIMING, type WebhookSettings } from "./dispatcher.ts";
import { SecretBox } from "./secret_box.ts";

/** What the app options say about webhooks; every field optional. */
export type WebhookOptions = Partial<Omit<WebhookSettings, "box">> & {
  /** `MODYARD_WEBHOOK_KEY`: seals secrets at rest when given. */
  key?: string;
};

/**
 * The settings with defaults filled in: 8 attempts, 30 s first backoff, 10 s per attempt,
 * no private targets. A malformed key is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * webhookSettings({ allowPrivate: true }).attempts; // 8
 * ```
 */
export function webhookSettings(options: WebhookOptions = {}): WebhookSettings {
  let box: SecretBox;
  try {
    box = new SecretBox(options.key);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return {
    attempts: options.attempts ?? DEFAULT_WEBHOOK_TIMING.attempts,
    backoffMs: options.backoffMs ?? DEFAULT_WEBHOOK_TIMING.backoffMs,
    timeoutMs: options.timeoutMs ?? DEFAULT_WEBHOOK_TIMING.timeoutMs,
    allowPrivate: options.allowPrivate ?? false,
    box,
  };
}
