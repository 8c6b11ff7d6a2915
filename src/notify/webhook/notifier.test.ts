/** The webhook notifier against the Notifier contract: a real receiver verifying with `standardwebhooks`. */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { runNotifierContract } from '../contract.case.test.ts';
import { closedPort, httpReceiver } from '../testing.ts';
import { createWebhookNotifier } from './notifier.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

runNotifierContract({
  name: 'webhook',
  plainWords: false,
  async create({ timeoutMs }) {
    const wh = new Webhook(SECRET);
    const receiver = await httpReceiver((req, body) => {
      try {
        wh.verify(body, req.headers as Record<string, string>);
      } catch {
        return { status: 401, text: 'bad signature' };
      }
      return { status: 204, text: '', record: { key: String(req.headers['webhook-id']), text: body } };
    });
    const sub = {
      name: 'contract',
      kind: 'webhook' as const,
      url: `${receiver.url}/hook`,
      secret: { env: 'production', key: 'WEBHOOK_SECRET' },
      events: [],
      attempts: 3,
    };
    return {
      notifier: createWebhookNotifier({ secret: async () => SECRET, timeoutMs }),
      subscription: sub,
      unreachable: { ...sub, url: `http://127.0.0.1:${await closedPort()}/hook` },
      credentials: [SECRET, SECRET.slice(6)],
      received: () => receiver.received,
      mode: (m) => {
        receiver.mode = m;
      },
      close: () => receiver.close(),
    };
  },
});
