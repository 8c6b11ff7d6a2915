/**
 * The dispatcher on a real SQLite store with the by-kind notifier and a fake Slack receiver (Slack's
 * servers cannot run here): a message refused as too large is dead after one try, a failure is
 * retried, an accepted one is delivered; the payload queued never holds the hook URL's token.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { seedDeployment } from '../server/testing.ts';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { Dispatcher } from './dispatcher.ts';
import { createNotifier } from './notifiers.ts';
import { enqueueDeployment } from './outbox.ts';
import { fakeSlack } from './slack/fake-slack.ts';
import { httpReceiver } from './testing.ts';

const dir = tempDir('slipway-dispatch-');
after(() => dir.cleanup());

test('too large: dead at once; 500: retried; then delivered — and no token in the queue', async () => {
  const token = 'T1/B1/dispatchT0k3nSecret';
  const slack = await fakeSlack(token);
  const store = await openStore(undefined, dir.path);
  try {
    const sub = {
      name: 'chat',
      kind: 'slack' as const,
      urlSecret: { env: 'production', key: 'SLACK_URL' },
      events: ['deployment.succeeded' as const, 'deployment.failed' as const],
      attempts: 5,
    };
    const dispatcher = new Dispatcher({
      store,
      subscriptions: [sub],
      notifier: createNotifier({ secret: async () => slack.hookUrl }),
      backoffMs: 1,
      maxBackoffMs: 1,
    });
    await enqueueDeployment(
      store,
      [sub],
      await seedDeployment(store, { env: 'production', status: 'succeeded' }),
    );
    slack.mode = 'too-large';
    assert.deepEqual(await dispatcher.tick(), { delivered: 0, retried: 0, dead: 1 });
    const [dead] = await store.notifications.list({ status: 'dead' });
    assert.equal(dead?.attempts, 1);
    assert.match(dead?.lastError ?? '', /refused the message as too large \(HTTP 413\); no retry can fix it/);

    await enqueueDeployment(
      store,
      [sub],
      await seedDeployment(store, { env: 'production', status: 'succeeded' }),
    );
    slack.mode = 'error';
    assert.deepEqual(await dispatcher.tick(), { delivered: 0, retried: 1, dead: 0 });
    slack.mode = 'ok';
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(await dispatcher.tick(), { delivered: 1, retried: 0, dead: 0 });
    assert.match(slack.received[0]?.text ?? '', /is live in production/);
    for (const d of await store.notifications.list({})) {
      assert.ok(!d.payload.includes('dispatchT0k3nSecret'));
      assert.ok(!(d.lastError ?? '').includes('dispatchT0k3nSecret'));
    }
  } finally {
    await store.close();
    await slack.close();
  }
});

test('lanes: batches overlap, and every delivery is accepted exactly once', async () => {
  const own = tempDir('slipway-dispatch-lanes-');
  after(() => own.cleanup());
  const store = await openStore(undefined, own.path);
  // The receiver holds its answers until 3 requests wait at once: with batches of 2, only a
  // second lane in flight gets there (one lane alone gives up after 10 s and the test fails).
  let waiting: (() => void)[] = [];
  let gate: 'closed' | 'overlapped' | 'gave up' = 'closed';
  const seen = new Map<string, number>();
  const receiver = await httpReceiver(async (req) => {
    const id = req.headers['webhook-id'] as string;
    if (gate === 'closed')
      await new Promise<void>((ok) => {
        waiting.push(ok);
        if (waiting.length >= 3) gate = 'overlapped';
        if (gate === 'overlapped') for (const w of waiting.splice(0)) w();
        else
          setTimeout(() => {
            if (gate === 'closed') gate = 'gave up';
            ok();
          }, 10_000);
      });
    seen.set(id, (seen.get(id) ?? 0) + 1);
    return { status: 204, text: '' };
  });
  const sub = {
    name: 'hook',
    kind: 'webhook' as const,
    url: `${receiver.url}/hook`,
    secret: { env: 'production', key: 'HOOK' },
    events: ['deployment.succeeded' as const],
    attempts: 5,
  };
  const dispatcher = new Dispatcher({
    store,
    subscriptions: [sub],
    notifier: createNotifier({
      secret: async () => `whsec_${Buffer.from('k'.repeat(24)).toString('base64')}`,
    }),
    batch: 2,
    lanes: 3,
    pollMs: 10,
  });
  try {
    for (let i = 0; i < 12; i++)
      await enqueueDeployment(
        store,
        [sub],
        await seedDeployment(store, { env: 'production', status: 'succeeded' }),
      );
    dispatcher.start();
    while ((await store.notifications.counts()).pending > 0) await new Promise((r) => setTimeout(r, 20));
    await dispatcher.stop();
    assert.equal(gate, 'overlapped', 'three requests were in flight at once');
    assert.equal(seen.size, 12);
    assert.deepEqual([...new Set(seen.values())], [1], 'no delivery sent twice');
    assert.deepEqual(await store.notifications.counts(), { pending: 0, delivered: 12, dead: 0 });
  } finally {
    waiting = [];
    await dispatcher.stop();
    await store.close();
    await receiver.close();
  }
});
