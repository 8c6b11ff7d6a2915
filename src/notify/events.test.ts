/**
 * Events besides a deployment's status, on a real SQLite store: a flag killed (by a person or an
 * automatic rollback) and a freeze starting are found and queued once, in plain words; a kill long
 * ago is not announced; the checklist's "stakeholders notified" is ticked by a delivered notification.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { seedDeployment } from '../server/testing.ts';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { watchEvents } from './events.ts';
import { tickStakeholdersNotified } from './stakeholders.ts';
import { wordsOf } from './words.ts';

const dir = tempDir('slipway-notify-events-');
after(() => dir.cleanup());

const config = (() => {
  const r = parseConfig(
    `app: shop
run: { command: node server.js }
environments:
  staging: {}
  production:
    after: staging
    windows: { timezone: Europe/Berlin, freeze: ["2026-12-20/2027-01-02"] }
    checklist: { template: seed }
notifications:
  - { name: ops, url: "http://127.0.0.1:9/h", secret: { env: production, key: K }, events: [flag.killed, freeze.starting] }
  - { name: chat, kind: slack, url: "http://127.0.0.1:9/s", environments: [staging] }
`,
    'slipway.yaml',
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config;
})();

test('a kill and a coming freeze are queued once each, for the subscriptions that want them', async () => {
  const store = await openStore(undefined, dir.path);
  try {
    const now = Date.now();
    const put = (key: string, action: 'set' | 'kill', by: string) =>
      store.flags.putFlags([
        {
          app: 'shop',
          env: 'production',
          key,
          definition: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
          action,
          by,
          reason: action === 'kill' ? 'checkout errors' : null,
        },
      ]);
    await put('new-checkout', 'set', 'dev');
    await put('new-checkout', 'kill', 'bob');
    // The day before the freeze, Berlin time: 2026-12-19 12:00 is within 24 h of 2026-12-20 00:00.
    const before = Date.parse('2026-12-19T12:00:00+01:00');
    assert.equal(await watchEvents(store, config, now), 1, 'the kill (the freeze is far off now)');
    assert.equal(await watchEvents(store, config, before), 1, 'the freeze; the kill is too old by then');
    assert.equal(await watchEvents(store, config, before + 1000), 0, 'each once');
    const rows = await store.notifications.list({});
    assert.deepEqual(rows.map((r) => [r.subscription, r.event, r.env]).sort(), [
      ['ops', 'flag.killed', 'production'],
      ['ops', 'freeze.starting', 'production'],
    ]);
    const kill = rows.find((r) => r.event === 'flag.killed');
    assert.equal(
      wordsOf(kill?.payload ?? '').title,
      'Feature flag new-checkout was turned off in production for everyone.',
    );
    assert.deepEqual(wordsOf(kill?.payload ?? '').lines, ['By bob.', 'Why: checkout errors']);
    const freeze = rows.find((r) => r.event === 'freeze.starting');
    assert.equal(
      wordsOf(freeze?.payload ?? '').title,
      'A deploy freeze starts in production at 2026-12-20T00:00:00.000+01:00.',
    );
  } finally {
    await store.close();
  }
});

test('a delivered notification ticks "stakeholders notified" once, audited; not for a finished deployment', async () => {
  const store = await openStore(undefined, dir.path);
  try {
    const d = await seedDeployment(store, { env: 'production', status: 'running' });
    const done = await seedDeployment(store, { env: 'production', status: 'succeeded' });
    const delivery = (deploymentId: string) => ({
      id: `msg_${deploymentId}`,
      subscription: 'ops',
      event: 'deployment.started' as const,
      app: 'shop',
      env: 'production',
      deploymentId,
      payload: '{}',
      status: 'delivered' as const,
      attempts: 1,
      nextAttemptAt: '',
      lastError: null,
      createdAt: '',
      deliveredAt: null,
    });
    assert.equal(await tickStakeholdersNotified(store, config, delivery(d.id)), true);
    assert.equal(
      await tickStakeholdersNotified(store, config, delivery(d.id)),
      false,
      'the first tick stays',
    );
    assert.equal(await tickStakeholdersNotified(store, config, delivery(done.id)), false);
    const [tick] = await store.listChecklistTicks(d.id);
    assert.equal(tick?.item, 'stakeholders-notified');
    assert.equal(tick?.user, 'slipway');
    assert.equal(tick?.note, 'notification deployment.started delivered to ops');
    const audit = await store.latestAudit({ actions: ['gate.checklist.tick'], target: d.id });
    assert.equal((audit?.data as { identity?: string } | undefined)?.identity, 'notification');
  } finally {
    await store.close();
  }
});
