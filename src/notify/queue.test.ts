/** The notification queue on real SQLite and PostgreSQL: idempotent enqueue, exclusive claims, leases, dead letters. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openStore } from '../store/factory.ts';
import { BACKENDS } from '../store/testing.ts';
import type { NewDelivery } from './contract.ts';

const row = (i: number): NewDelivery => ({
  id: `msg_${i}`,
  subscription: 'ops',
  event: 'deployment.succeeded',
  app: 'shop',
  env: 'production',
  deploymentId: `dep-${i}`,
  payload: JSON.stringify({ type: 'deployment.succeeded', data: { i } }),
});

for (const backend of BACKENDS) {
  describe(`notification queue (${backend.name})`, async () => {
    const skip = await backend.skip();
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });
    const fresh = async (clock: { ms: number }) => {
      const { url, cleanup } = await backend.fresh();
      cleanups.push(cleanup);
      return openStore(url, process.cwd(), { now: () => new Date(clock.ms) });
    };

    test('enqueue is idempotent; claims never overlap; a dead lease is claimed again', { skip }, async () => {
      const clock = { ms: Date.parse('2026-03-01T00:00:00Z') };
      const s = await fresh(clock);
      try {
        assert.equal(await s.notifications.enqueue([row(1), row(2), row(3)]), 3);
        assert.equal(await s.notifications.enqueue([row(1), row(4)]), 1);
        const [a, b] = await Promise.all([
          s.notifications.claim('a', 3, 1000),
          s.notifications.claim('b', 3, 1000),
        ]);
        const ids = [...a, ...b].map((d) => d.id).sort();
        assert.deepEqual(ids, ['msg_1', 'msg_2', 'msg_3', 'msg_4']);
        assert.equal((await s.notifications.claim('c', 10, 1000)).length, 0, 'all leased');
        await s.notifications.markDelivered('msg_1');
        clock.ms += 1001; // the holders "died": their leases ran out
        const again = await s.notifications.claim('c', 10, 1000);
        assert.deepEqual(again.map((d) => [d.id, d.attempts]).sort(), [
          ['msg_2', 2],
          ['msg_3', 2],
          ['msg_4', 2],
        ]);
        await s.notifications.markFailed('msg_2', 'HTTP 500', new Date(clock.ms + 5000).toISOString());
        await s.notifications.markFailed('msg_3', 'HTTP 500', null);
        clock.ms += 1001;
        assert.deepEqual(
          (await s.notifications.claim('d', 10, 1000)).map((d) => d.id),
          ['msg_4'],
          'msg_2 waits',
        );
        clock.ms += 5000;
        assert.deepEqual((await s.notifications.claim('e', 10, 1000)).map((d) => d.id).sort(), [
          'msg_2',
          'msg_4',
        ]);
        const dead = await s.notifications.list({ status: 'dead' });
        assert.deepEqual(
          dead.map((d) => [d.id, d.lastError]),
          [['msg_3', 'HTTP 500']],
        );
        assert.deepEqual(await s.notifications.counts(), { pending: 2, delivered: 1, dead: 1 });
        assert.ok((await s.schemaVersion()) >= 8, 'the queue table arrived with schema 8');
      } finally {
        await s.close();
      }
    });

    test('settle records a batch in one go: delivered, retried later, dead; a delivered one stays so', {
      skip,
    }, async () => {
      const clock = { ms: Date.parse('2026-03-01T00:00:00Z') };
      const s = await fresh(clock);
      try {
        await s.notifications.enqueue([row(1), row(2), row(3), row(4)]);
        await s.notifications.claim('a', 10, 1000);
        await s.notifications.settle({ delivered: ['msg_1'], failed: [] });
        await s.notifications.settle({
          delivered: ['msg_2'],
          failed: [
            { id: 'msg_3', error: 'HTTP 500', retryAt: new Date(clock.ms + 5000).toISOString() },
            { id: 'msg_4', error: 'HTTP 413', retryAt: null },
            // A late failure of one already delivered (a lease ran out and another claim won) changes nothing.
            { id: 'msg_1', error: 'HTTP 500', retryAt: null },
          ],
        });
        await s.notifications.settle({ delivered: [], failed: [] });
        assert.deepEqual(await s.notifications.counts(), { pending: 1, delivered: 2, dead: 1 });
        assert.equal((await s.notifications.claim('b', 10, 1000)).length, 0, 'msg_3 waits for its retry');
        clock.ms += 5000;
        const [again] = await s.notifications.claim('b', 10, 1000);
        assert.deepEqual([again?.id, again?.attempts, again?.lastError], ['msg_3', 2, 'HTTP 500']);
        const [dead] = await s.notifications.list({ status: 'dead' });
        assert.deepEqual([dead?.id, dead?.lastError], ['msg_4', 'HTTP 413']);
      } finally {
        await s.close();
      }
    });
  });
}
