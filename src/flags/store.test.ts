/**
 * The flag store and service on both backends (real SQLite and real PostgreSQL): versions, history,
 * the audit entry in the same transaction, optimistic versions, all-or-nothing import, drift.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SlipwayConfig } from '../config/schema.ts';
import { isAppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { BACKENDS } from '../store/testing.ts';
import { createFlagService, type FlagService } from './service.ts';

const config = { app: 'shop', environments: { staging: {}, production: {} } } as unknown as SlipwayConfig;
const flag = (percent: number) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  targeting: {
    fractional: [
      ['on', percent],
      ['off', 100 - percent],
    ],
  },
});
const who = { by: 'ann', reason: 'test' };
const code = (c: string) => (e: unknown) => isAppError(e) && e.code === c;

for (const backend of BACKENDS) {
  describe(`flags on ${backend.name}`, async () => {
    const skip = await backend.skip();
    let store: Store;
    let flags: FlagService;
    let cleanup: () => Promise<void>;
    before(async () => {
      if (skip) return;
      const fresh = await backend.fresh();
      cleanup = fresh.cleanup;
      store = await openStore(fresh.url, process.cwd());
      flags = createFlagService({ store, config });
    });
    after(async () => {
      if (skip) return;
      await store.close();
      await cleanup();
    });

    test('every change is a new version with who and why, audited in the same transaction', {
      skip,
    }, async () => {
      assert.equal(await flags.revision('staging'), 0);
      await flags.set('staging', 'new-checkout', flag(5), who, 0);
      await flags.rollout('staging', 'new-checkout', { percent: 25 }, { by: 'bob', reason: 'step 2' });
      const killed = await flags.kill('staging', 'new-checkout', { by: 'cy', reason: 'errors' });
      assert.equal(killed.version, 3);
      assert.deepEqual(killed.definition?.targeting, {});
      const history = await flags.history('staging', 'new-checkout');
      assert.deepEqual(
        history.map((h) => [h.version, h.action, h.by, h.reason]),
        [
          [3, 'kill', 'cy', 'errors'],
          [2, 'rollout', 'bob', 'step 2'],
          [1, 'set', 'ann', 'test'],
        ],
      );
      assert.deepEqual(
        (history[1]?.definition?.targeting as { fractional?: unknown } | undefined)?.fractional,
        [
          ['on', 25],
          ['off', 75],
        ],
      );
      const audit = await store.listAuditByTarget('shop/staging/flag/new-checkout');
      assert.deepEqual(
        audit.map((a) => a.action),
        ['flag.set', 'flag.rollout', 'flag.kill'],
      );
      assert.equal(await flags.revision('staging'), killed.seq);
    });

    test('a stale --if-version and a bad definition are refused and leave nothing behind', {
      skip,
    }, async () => {
      await assert.rejects(flags.set('staging', 'new-checkout', flag(50), who, 1), code('FLAG_CONFLICT'));
      await assert.rejects(
        flags.set('staging', 'x', { ...flag(50), defaultVariant: 'nope' }, who),
        code('FLAGS_INVALID'),
      );
      await assert.rejects(flags.get('staging', 'x'), code('FLAG_NOT_FOUND'));
      await assert.rejects(flags.list('qa'), code('ENV_NOT_FOUND'));
      assert.equal((await flags.get('staging', 'new-checkout')).version, 3);
    });

    test('import stores all flags or none, skips unchanged ones, and diff names the drift', {
      skip,
    }, async () => {
      const doc = (a: number, bad = false) =>
        JSON.stringify({ flags: { a: flag(a), b: bad ? { ...flag(1), state: 'MAYBE' } : flag(1) } });
      const before = await store.listAudit();
      await assert.rejects(flags.import('production', doc(10, true), 'f.json', who), code('FLAGS_INVALID'));
      assert.equal((await flags.list('production')).length, 0);
      assert.equal((await store.listAudit()).length, before.length);
      const first = await flags.import('production', doc(10), 'f.json', who);
      assert.deepEqual(
        first.changed.map((f) => f.key),
        ['a', 'b'],
      );
      const again = await flags.import('production', doc(20), 'f.json', who);
      assert.deepEqual([again.changed.map((f) => f.key), again.unchanged], [['a'], ['b']]);
      const drift = await flags.diff('staging', 'production');
      assert.deepEqual(drift, [
        { key: 'a', differences: ['only in production'] },
        { key: 'b', differences: ['only in production'] },
        { key: 'new-checkout', differences: ['only in staging'] },
      ]);
      const snap = await flags.snapshot('production');
      assert.deepEqual(Object.keys(snap.set.flags), ['a', 'b']);
      assert.equal(snap.revision, await flags.revision('production'));
    });
  });
}
