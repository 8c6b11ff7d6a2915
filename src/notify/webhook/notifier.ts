/** Signed webhooks: POST the queued JSON with Standard Webhooks headers; any 2xx is accepted. */
import type { NotificationSubscription } from '../../config/notifications.ts';
import type { Delivery, Notifier, NotifierTimeouts, SecretReader } from '../contract.ts';
import { post } from '../post.ts';
import { secretBytes, signWebhook } from './sign.ts';

export interface WebhookOptions extends NotifierTimeouts {
  /** Reads the subscription's signing secret from the secret store; undefined when it is not there. */
  readonly secret: SecretReader;
  readonly now?: () => number;
}

export function createWebhookNotifier(options: WebhookOptions): Notifier {
  const now = options.now ?? Date.now;
  return {
    name: 'webhook',
    async send(delivery: Delivery, sub: NotificationSubscription) {
      const where = `notifications "${sub.name}"`;
      const ref = sub.secret;
      if (!ref || !sub.url) throw new Error(`${where}: kind webhook needs url and secret in slipway.yaml`);
      const value = await options.secret(ref);
      if (value === undefined)
        throw new Error(
          `${where}: no secret ${ref.key} in environment ${ref.env}; set it with \`slipway secret set ${ref.env} ${ref.key}\``,
        );
      const key = secretBytes(value);
      if (!key)
        throw new Error(
          `${where}: secret ${ref.env}/${ref.key} is not a Standard Webhooks secret (whsec_ followed by base64 of 16 bytes or more)`,
        );
      const headers = signWebhook(key, delivery.id, Math.floor(now() / 1000), delivery.payload);
      await post(
        where,
        sub.url,
        delivery.payload,
        { 'user-agent': 'slipway-webhooks', ...headers },
        options.timeoutMs,
      );
    },
  };
}
