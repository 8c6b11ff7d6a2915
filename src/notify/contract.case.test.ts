/**
 * The Notifier contract suite: the webhook, Slack and email notifiers' tests each call
 * `runNotifierContract` with a real receiver on 127.0.0.1 (a Standard Webhooks verifier, a fake
 * playing Slack's documented incoming-webhook contract, a real SMTP server). Run on its own this
 * file defines no tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NotificationSubscription } from '../config/notifications.ts';
import { type Delivery, type Notifier, PermanentDeliveryError } from './contract.ts';

/** How the receiver answers: accept, fail (HTTP 500 / SMTP 451), never answer, refuse as too large. */
export type ReceiverMode = 'ok' | 'error' | 'slow' | 'too-large';

export interface Received {
  /** The receiver's duplicate key (webhook-id, a delivery header, Message-ID). */
  readonly key: string;
  /** What arrived, decoded to text (body, or the message's headers and text). */
  readonly text: string;
}

export interface NotifierHarness {
  readonly notifier: Notifier;
  /** A subscription that reaches the receiver. */
  readonly subscription: NotificationSubscription;
  /** The same subscription pointed at a closed port. */
  readonly unreachable: NotificationSubscription;
  /** Credentials the notifier used (signing secret, URL token, SMTP password): never in what arrives. */
  readonly credentials: readonly string[];
  received(): readonly Received[];
  mode(mode: ReceiverMode): void;
  close(): Promise<void>;
}

export interface NotifierContractOptions {
  readonly name: string;
  /** A notifier and its receiver; `timeoutMs` is the notifier's receiver timeout. */
  readonly create: (options: { timeoutMs: number }) => Promise<NotifierHarness>;
  /** Speaks to people (Slack, email): what arrives is sentences, checked word for word. */
  readonly plainWords: boolean;
  readonly skip?: readonly { readonly reason: string; readonly tests: readonly string[] }[];
  readonly skipAll?: string | false;
}

export const NOTIFIER_CONTRACT_TESTS = [
  'delivers an event in plain words, with its approve link',
  'the same delivery sent twice carries the same duplicate key',
  'no credential in what arrives or in an error',
  'a failing receiver rejects, naming the subscription',
  'an unreachable receiver rejects, naming the subscription',
  'a slow receiver rejects after the timeout',
  'a message refused as too large is a permanent failure',
] as const;

const APPROVE = 'https://deploy.example.com/approve/dep-42?t=abc.def=';

export function delivery(over: Partial<Delivery> = {}): Delivery {
  return {
    id: 'msg_contract_1',
    subscription: 'contract',
    event: 'deployment.waiting_approval',
    app: 'shop',
    env: 'production',
    deploymentId: 'dep-42',
    payload: JSON.stringify({
      type: 'deployment.waiting_approval',
      timestamp: '2026-03-01T10:00:00.000Z',
      data: {
        app: 'shop',
        env: 'production',
        deployment: 'dep-42',
        release: '1.4.0',
        previousRelease: '1.3.2',
        strategy: 'canary',
        startedBy: 'alice',
        approval: { required: 1, role: 'approver' },
        approveUrl: APPROVE,
        approveUrlExpires: '2026-03-02T10:00:00.000Z',
      },
    }),
    status: 'pending',
    attempts: 1,
    nextAttemptAt: '2026-03-01T10:00:00.000Z',
    lastError: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    deliveredAt: null,
    ...over,
  };
}

export function runNotifierContract(options: NotifierContractOptions): void {
  const skipOf = (title: string) => options.skip?.find((s) => s.tests.includes(title))?.reason;
  describe(`Notifier contract: ${options.name}`, { skip: options.skipAll }, () => {
    let h: NotifierHarness;
    before(async () => {
      h = await options.create({ timeoutMs: 400 });
    });
    after(() => h?.close());
    const it = (title: (typeof NOTIFIER_CONTRACT_TESTS)[number], fn: () => Promise<void>) =>
      test(title, { skip: skipOf(title) ?? false }, async () => {
        h.mode('ok');
        await fn();
      });
    const rejects = async (d: Delivery, sub: NotificationSubscription): Promise<Error> => {
      try {
        await h.notifier.send(d, sub);
      } catch (error) {
        return error as Error;
      }
      assert.fail('send resolved; expected it to reject');
    };

    it('delivers an event in plain words, with its approve link', async () => {
      const before = h.received().length;
      await h.notifier.send(delivery(), h.subscription);
      const got = h.received().slice(before);
      assert.equal(got.length, 1, 'one message per send');
      const text = got[0]?.text ?? '';
      for (const word of ['shop', '1.4.0', 'production', 'dep-42']) assert.ok(text.includes(word), word);
      if (options.plainWords)
        assert.match(text, /shop 1\.4\.0 is waiting for approval before it goes to production/);
      assert.ok(text.includes(APPROVE), `the approve link, whole: ${text}`);
    });

    it('the same delivery sent twice carries the same duplicate key', async () => {
      const before = h.received().length;
      const d = delivery({ id: 'msg_contract_twice', event: 'deployment.succeeded' });
      await h.notifier.send(d, h.subscription);
      await h.notifier.send(d, h.subscription);
      const keys = h
        .received()
        .slice(before)
        .map((r) => r.key);
      assert.equal(keys.length, 2);
      assert.equal(keys[0], keys[1]);
      assert.ok(keys[0]?.includes('msg_contract_twice'), `the key carries the delivery id: ${keys[0]}`);
    });

    it('no credential in what arrives or in an error', async () => {
      await h.notifier.send(delivery({ id: 'msg_contract_secret' }), h.subscription);
      h.mode('error');
      const error = await rejects(delivery({ id: 'msg_contract_secret2' }), h.subscription);
      const seen = [...h.received().map((r) => r.text), error.message].join('\n');
      assert.ok(h.credentials.length > 0);
      for (const c of h.credentials) assert.ok(!seen.includes(c), `credential ${c.slice(0, 4)}… leaked`);
    });

    it('a failing receiver rejects, naming the subscription', async () => {
      h.mode('error');
      const error = await rejects(delivery({ id: 'msg_contract_500' }), h.subscription);
      assert.match(error.message, new RegExp(`notifications "${h.subscription.name}"`));
      assert.ok(!(error instanceof PermanentDeliveryError), 'a failure is retried');
    });

    it('an unreachable receiver rejects, naming the subscription', async () => {
      const error = await rejects(delivery({ id: 'msg_contract_down' }), h.unreachable);
      assert.match(error.message, /notifications "[^"]+".*(ECONNREFUSED|refused)/i);
    });

    it('a slow receiver rejects after the timeout', async () => {
      h.mode('slow');
      const error = await rejects(delivery({ id: 'msg_contract_slow' }), h.subscription);
      assert.match(error.message, /no answer within 400 ms/);
    });

    it('a message refused as too large is a permanent failure', async () => {
      h.mode('too-large');
      const error = await rejects(delivery({ id: 'msg_contract_big' }), h.subscription);
      assert.ok(error instanceof PermanentDeliveryError, error.message);
      assert.match(error.message, /too large/);
    });
  });
}
