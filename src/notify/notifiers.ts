/** The one factory: a Notifier that sends each delivery by its subscription's `kind`. */
import type { NotifierKind } from '../config/notifications.ts';
import type { Notifier, NotifierTimeouts, SecretReader } from './contract.ts';
import { createEmailNotifier } from './email/notifier.ts';
import { createSlackNotifier } from './slack/notifier.ts';
import { createWebhookNotifier } from './webhook/notifier.ts';

export interface NotifierOptions extends NotifierTimeouts {
  readonly secret: SecretReader;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const byKind: Record<NotifierKind, Notifier> = {
    webhook: createWebhookNotifier(options),
    slack: createSlackNotifier(options),
    email: createEmailNotifier(options),
  };
  return {
    name: 'by-kind',
    send: (delivery, sub) => byKind[sub.kind].send(delivery, sub),
  };
}
