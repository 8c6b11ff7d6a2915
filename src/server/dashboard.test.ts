/**
 * The dashboard's audit reads over a real store and real HTTP: one deployment's audit entries and
 * the last measured rollback switch, with other deployments' and environments' entries between.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKENDS } from '../store/testing.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

for (const backend of BACKENDS) {
  describe(`dashboard audit routes (${backend.name})`, async () => {
    const skip = await backend.skip();
    let t: TestServer;
    before(async () => {
      if (!skip) t = await startTestServer(backend);
    });
    after(async () => t?.close());
    const get = async <T>(path: string) => {
      const r = await t.request(path, { token: t.admin });
      assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
      return (await r.json()) as T;
    };

    test("lists exactly one deployment's audit entries, oldest first, among others'", { skip }, async () => {
      const ds = [
        await seedDeployment(t.store, { env: 'staging' }),
        await seedDeployment(t.store, { env: 'production' }),
        await seedDeployment(t.store, { env: 'staging' }),
      ];
      const quiet = await seedDeployment(t.store, { env: 'staging' });
      for (let i = 0; i < 12; i++) {
        const d = ds[i % 3] as (typeof ds)[number];
        await t.store.appendAudit({ actor: `u${i}`, action: `step.${i}`, target: d.id, data: { i } });
        if (i % 4 === 0) {
          await t.store.appendAudit({
            actor: 'x',
            action: 'gate.promotion.refused',
            target: 'shop/staging',
            data: {},
          });
          await t.store.appendAudit({ actor: 'x', action: 'step.other', target: `${d.id}0`, data: null });
        }
      }
      const id = (ds[1] as (typeof ds)[number]).id;
      const expected = (await t.store.listAudit(0, 10_000))
        .filter((e) => e.target === id)
        .map(({ seq, at, actor, action, data }) => ({ seq, at, actor, action, data }));
      assert.deepEqual(
        expected.map((e) => e.action),
        ['step.1', 'step.4', 'step.7', 'step.10'],
      );
      assert.deepEqual(await get(`/api/deployments/${id}/audit`), expected);
      assert.deepEqual(await get(`/api/deployments/${quiet.id}/audit`), []);
      const missing = await t.request('/api/deployments/dep-nope/audit', { token: t.admin });
      assert.equal(missing.status, 404);
    });

    test('states the newest measured switch of the environment asked for, or of any', { skip }, async () => {
      const speed = (query = '') =>
        get<{ env: string | null; switchMs: number | null; at: string | null }>(
          `/api/rollback-speed${query}`,
        );
      assert.deepEqual(await speed('?env=staging'), { env: 'staging', switchMs: null, at: null });
      assert.deepEqual(await speed(), { env: null, switchMs: null, at: null });
      const d = await seedDeployment(t.store, { env: 'staging' });
      const append = (action: string, target: string, data: unknown) =>
        t.store.appendAudit({ actor: 'alice', action, target, data });
      await append('environment.rollback', 'shop/staging', { to: '1.0.0', switchMs: 4.5 });
      await append('deployment.start', d.id, { env: 'staging' });
      await append('environment.rollback', 'shop/production', { to: '1.0.0', switchMs: 7 });
      const staging = await append('environment.rollback', 'other/staging', { to: '2.0.0', switchMs: 2.25 });
      await append('deployment.rollback', d.id, { env: 'staging', reason: 'slow' });
      // Not measured (written by hand): passed over.
      await append('environment.rollback', 'shop/staging', { to: '1.0.0', reason: 'by hand' });
      await append('gate.promotion.refused', 'shop/staging', { rule: 'after staging' });
      const production = await append('environment.rollback', 'shop/production', {
        to: '1.1.0',
        switchMs: 3,
      });
      await append('deployment.succeeded', d.id, { env: 'staging' });
      assert.deepEqual(await speed('?env=staging'), { env: 'staging', switchMs: 2.25, at: staging.at });
      assert.deepEqual(await speed('?env=production'), {
        env: 'production',
        switchMs: 3,
        at: production.at,
      });
      assert.deepEqual(await speed(), { env: 'production', switchMs: 3, at: production.at });
      assert.deepEqual(await speed('?env=qa'), { env: 'qa', switchMs: null, at: null });
    });

    test('states the newest measured database restore of the environment asked for, or of any', {
      skip,
    }, async () => {
      const restore = (query = '') => get<Record<string, unknown>>(`/api/db-restore-speed${query}`);
      assert.deepEqual(await restore(), { env: null, totalMs: null, rows: null, at: null });
      const append = (target: string, data: unknown) =>
        t.store.appendAudit({ actor: 'alice', action: 'db.restore', target, data });
      const staging = await append('shop/staging', { backup: 'b1', totalMs: 481, rows: 2003 });
      await t.store.appendAudit({
        actor: 'alice',
        action: 'db.restore.failed',
        target: 'shop/production',
        data: { error: 'x' },
      });
      assert.deepEqual(await restore('?env=staging'), {
        env: 'staging',
        totalMs: 481,
        rows: 2003,
        at: staging.at,
      });
      assert.deepEqual(await restore(), { env: 'staging', totalMs: 481, rows: 2003, at: staging.at });
      assert.deepEqual(await restore('?env=production'), {
        env: 'production',
        totalMs: null,
        rows: null,
        at: null,
      });
    });
  });
}
