/** Signed webhooks: POST the queued JSON with Standard Webhooks headers; any 2xx is accepted. */
import type { NotificationSubscription } from '../../config/notifications.ts';
import type { Delivery, Notifier } from '../contract.ts';
import { secretBytes, signWebhook } from './sign.ts';

export interface WebhookOptions {
  /** The subscription's signing secret from the secret store; undefined when it is not there. */
  readonly secret: (subscription: NotificationSubscription) => Promise<string | undefined>;
  /** A receiver that answers slower than this failed; default 10 s. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export function createWebhookNotifier(options: WebhookOptions): Notifier {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  return {
    name: 'webhook',
    async send(delivery: Delivery, sub: NotificationSubscription) {
      const where = `notifications "${sub.name}"`;
      const value = await options.secret(sub);
      if (value === undefined)
        throw new Error(
          `${where}: no secret ${sub.secret.key} in environment ${sub.secret.env}; set it with \`slipway secret set ${sub.secret.env} ${sub.secret.key}\``,
        );
      const key = secretBytes(value);
      if (!key)
        throw new Error(
          `${where}: secret ${sub.secret.env}/${sub.secret.key} is not a Standard Webhooks secret (whsec_ followed by base64 of 16 bytes or more)`,
        );
      const headers = signWebhook(key, delivery.id, Math.floor(now() / 1000), delivery.payload);
      let response: Response;
      try {
        response = await fetch(sub.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'slipway-webhooks', ...headers },
          body: delivery.payload,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'manual',
        });
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        const why =
          e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
        throw new Error(`${where}: POST ${new URL(sub.url).origin} failed: ${why}`);
      }
      await response.body?.cancel();
      if (response.status < 200 || response.status > 299)
        throw new Error(`${where}: the receiver answered HTTP ${response.status}`);
    },
  };
}
