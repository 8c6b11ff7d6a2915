/**
 * The Store contract suite. Every Store implementation runs it through `runStoreContract`; it is
 * not run on its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import type { NewRelease } from '../domain/types.ts';
import { verifyChain } from './audit-hash.ts';
import type { Store } from './contract.ts';

export interface StoreContractOptions {
  readonly name: string;
  readonly skip: () => Promise<string | false>;
  /** A fresh empty store; `now` lets lease tests move the clock. */
  readonly open: (options?: {
    now?: () => Date;
  }) => Promise<{ store: Store; reopen: () => Promise<Store>; cleanup: () => Promise<void> }>;
  /** Raw SQL against the store, to tamper with it the way an attacker with file access would. */
  readonly exec: (store: Store, sqlText: string) => Promise<void>;
}

const release = (version: string, digest: string, extra: Partial<NewRelease> = {}): NewRelease => ({
  app: 'shop',
  version,
  digest: `sha256:${digest.padEnd(64, '0')}`,
  commit: null,
  ci: 'passed',
  createdBy: 'alice',
  files: 3,
  bytes: 120,
  notes: null,
  ...extra,
});

const me = (id: string) => ({ id, pid: process.pid, host: hostname() });

export function runStoreContract(options: StoreContractOptions): void {
  describe(`Store contract: ${options.name}`, async () => {
    const skip = await options.skip();
    const it = (
      name: string,
      fn: (s: Store, ctx: Awaited<ReturnType<StoreContractOptions['open']>>) => Promise<void>,
      openOptions?: { now?: () => Date },
    ) =>
      test(name, { skip }, async () => {
        const ctx = await options.open(openOptions);
        try {
          await fn(ctx.store, ctx);
        } finally {
          await ctx.store.close().catch(() => {});
          await ctx.cleanup();
        }
      });

    it('registers a release once and finds it by version, id and digest prefix', async (s) => {
      const first = await s.putRelease(release('1.0.0', 'abcdef12'));
      assert.equal(first.created, true);
      const again = await s.putRelease(release('1.0.0', 'abcdef12'));
      assert.deepEqual(again, { release: first.release, created: false });
      assert.equal((await s.findRelease('shop', '1.0.0'))?.id, first.release.id);
      assert.equal((await s.findRelease('shop', first.release.id))?.version, '1.0.0');
      assert.equal((await s.findRelease('shop', 'abcdef12'))?.version, '1.0.0');
      assert.equal((await s.findRelease('shop', 'sha256:abcdef12'))?.version, '1.0.0');
      assert.equal(await s.findRelease('shop', '9.9.9'), undefined);
      assert.equal(await s.findRelease('other', '1.0.0'), undefined);
    });

    it('refuses a known version with different content', async (s) => {
      await s.putRelease(release('1.0.0', 'aaaa1111'));
      await assert.rejects(s.putRelease(release('1.0.0', 'bbbb2222')), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'RELEASE_CONFLICT');
        assert.match(e.message, /1\.0\.0 already exists with digest sha256:aaaa1111.*new version/);
        return true;
      });
    });

    it('lists releases newest first', async (s) => {
      await s.putRelease(release('1', 'a1a1a1a1'));
      await s.putRelease(release('2', 'b2b2b2b2'));
      const list = await s.listReleases('shop');
      assert.deepEqual(list.map((r) => r.version).sort(), ['1', '2']);
    });

    it('deletes a release registration by id, once', async (s) => {
      const a = (await s.putRelease(release('1', 'a1a1a1a1'))).release;
      assert.equal(await s.deleteRelease('other', a.id), false, 'another app keeps its own');
      assert.equal(await s.deleteRelease('shop', a.id), true);
      assert.equal(await s.findRelease('shop', '1'), undefined);
      assert.equal(await s.deleteRelease('shop', a.id), false);
    });

    it('tracks the release of an environment and the one before it', async (s) => {
      const a = (await s.putRelease(release('1', 'a1a1a1a1'))).release;
      const b = (await s.putRelease(release('2', 'b2b2b2b2'))).release;
      assert.deepEqual(await s.listEnvironments('shop'), []);
      await s.setEnvironmentRelease('shop', 'staging', a.id, 'alice');
      const env = await s.setEnvironmentRelease('shop', 'staging', b.id, 'bob');
      assert.equal(env.releaseId, b.id);
      assert.equal(env.previousReleaseId, a.id);
      assert.equal(env.updatedBy, 'bob');
      const again = await s.setEnvironmentRelease('shop', 'staging', b.id, 'bob');
      assert.equal(again.previousReleaseId, a.id, 'setting the same release keeps the previous one');
      assert.deepEqual(
        (await s.listEnvironments('shop')).map((e) => [e.name, e.releaseId]),
        [['staging', b.id]],
      );
    });

    it('updates deployments optimistically and filters their history', async (s) => {
      const d = await s.createDeployment({
        app: 'shop',
        env: 'staging',
        releaseId: 'rel-1',
        fromReleaseId: null,
        strategy: 'canary',
        createdBy: 'alice',
        state: { step: 0 },
      });
      assert.equal(d.status, 'pending');
      assert.equal(d.revision, 1);
      assert.equal(await s.updateDeployment(d.id, 1, { status: 'running', state: { step: 1 } }), true);
      assert.equal(await s.updateDeployment(d.id, 1, { status: 'failed' }), false, 'a stale revision loses');
      const got = await s.getDeployment(d.id);
      assert.equal(got?.status, 'running');
      assert.deepEqual(got?.state, { step: 1 });
      assert.equal(got?.revision, 2);
      await s.createDeployment({
        app: 'shop',
        env: 'production',
        releaseId: 'rel-1',
        fromReleaseId: null,
        strategy: 'canary',
        createdBy: 'bob',
        state: null,
      });
      assert.equal((await s.listDeployments({ env: 'production' })).length, 1);
      assert.equal((await s.listDeployments({ createdBy: 'alice' })).length, 1);
      assert.equal((await s.listDeployments({ status: 'running' }))[0]?.id, d.id);
      assert.equal((await s.listDeployments({ app: 'shop', limit: 1 })).length, 1);
      assert.equal(await s.getDeployment('dep-missing'), undefined);
    });

    it('keeps events in order and approvals', async (s) => {
      const e1 = await s.appendEvent({
        deploymentId: 'dep-1',
        app: 'shop',
        env: 'staging',
        type: 'step',
        at: 't1',
        data: { n: 1 },
      });
      const e2 = await s.appendEvent({
        deploymentId: 'dep-1',
        app: 'shop',
        env: 'staging',
        type: 'step',
        at: 't2',
        data: { n: 2 },
      });
      await s.appendEvent({
        deploymentId: 'dep-2',
        app: 'shop',
        env: 'staging',
        type: 'step',
        at: 't3',
        data: null,
      });
      assert.ok(e2.id > e1.id);
      assert.deepEqual(
        (await s.listEvents('dep-1')).map((e) => e.data),
        [{ n: 1 }, { n: 2 }],
      );
      assert.deepEqual(
        (await s.listEvents('dep-1', e1.id)).map((e) => e.id),
        [e2.id],
      );
      assert.equal((await s.listEvents(undefined)).length, 3);
      await s.addApproval({
        deploymentId: 'dep-1',
        releaseId: 'rel-1',
        user: 'carol',
        decision: 'approve',
        reason: 'looks good',
      });
      const approvals = await s.listApprovals('dep-1');
      assert.deepEqual(
        approvals.map((a) => [a.user, a.decision, a.reason]),
        [['carol', 'approve', 'looks good']],
      );
    });

    it('keeps manual checklist ticks per deployment; a second tick keeps the first', async (s) => {
      const first = await s.tickChecklistItem({
        deploymentId: 'dep-1',
        item: 'on-call-available',
        user: 'bob',
        note: 'carol is on call',
      });
      assert.equal(first.created, true);
      assert.deepEqual([first.tick.user, first.tick.note], ['bob', 'carol is on call']);
      assert.ok(!Number.isNaN(Date.parse(first.tick.at)));
      const again = await s.tickChecklistItem({
        deploymentId: 'dep-1',
        item: 'on-call-available',
        user: 'dave',
        note: null,
      });
      assert.equal(again.created, false);
      assert.equal(again.tick.user, 'bob');
      await s.tickChecklistItem({
        deploymentId: 'dep-1',
        item: 'stakeholders-notified',
        user: 'carol',
        note: null,
      });
      await s.tickChecklistItem({
        deploymentId: 'dep-2',
        item: 'stakeholders-notified',
        user: 'carol',
        note: null,
      });
      assert.deepEqual((await s.listChecklistTicks('dep-1')).map((t) => [t.item, t.user]).sort(), [
        ['on-call-available', 'bob'],
        ['stakeholders-notified', 'carol'],
      ]);
      assert.deepEqual(await s.listChecklistTicks('dep-missing'), []);
    });

    it('chains audit entries so that an edit is detected and named', async (s) => {
      for (let i = 0; i < 5; i++)
        await s.appendAudit({ actor: 'alice', action: 'deploy', target: `dep-${i}`, data: { i } });
      const entries = await s.listAudit();
      assert.deepEqual(
        entries.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal(verifyChain(entries), null);
      await options.exec(s, `update audit set actor = 'mallory' where seq = 3`);
      assert.deepEqual(verifyChain(await s.listAudit())?.seq, 3);
    });

    it('appends audit entries from concurrent callers without a gap', async (s) => {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          s.appendAudit({ actor: 'ci', action: 'x', target: String(i), data: null }),
        ),
      );
      const entries = await s.listAudit();
      assert.equal(entries.length, 12);
      assert.equal(verifyChain(entries), null);
    });

    it('lists the entries about one target, oldest first, in pages, as the log holds them', async (s) => {
      for (let i = 0; i < 9; i++)
        await s.appendAudit({ actor: 'alice', action: `step.${i}`, target: `dep-${i % 3}`, data: { i } });
      // Exact targets only: no prefix, no other case.
      await s.appendAudit({ actor: 'alice', action: 'x', target: 'dep-10', data: null });
      await s.appendAudit({ actor: 'alice', action: 'x', target: 'DEP-1', data: null });
      const one = await s.listAuditByTarget('dep-1');
      assert.deepEqual(
        one.map((e) => [e.seq, e.action]),
        [
          [2, 'step.1'],
          [5, 'step.4'],
          [8, 'step.7'],
        ],
      );
      // Found through an index, read as stored: the same entries, hashes and all, as the whole log.
      assert.deepEqual(
        one,
        (await s.listAudit()).filter((e) => e.target === 'dep-1'),
      );
      assert.deepEqual(
        (await s.listAuditByTarget('dep-1', 2, 1)).map((e) => e.seq),
        [5],
      );
      assert.deepEqual(
        (await s.listAuditByTarget('dep-1', 5)).map((e) => e.seq),
        [8],
      );
      assert.deepEqual(await s.listAuditByTarget('dep-9'), []);
      assert.equal(verifyChain(await s.listAudit()), null);
    });

    it('finds the newest entry of some actions, of one environment of any app, paging back', async (s) => {
      const rows: [string, string][] = [
        ['environment.rollback', 'shop/staging'], // 1
        ['deployment.start', 'dep-1'], // 2
        ['environment.rollback', 'shop/production'], // 3
        ['environment.rollback', 'other/staging'], // 4
        ['gate.promotion.refused', 'shop/staging'], // 5
        ['config.set', 'staging/KEY'], // 6
        ['environment.rollback', 'shop/STAGING'], // 7
        ['environment.rollback', 'shop/pre-staging'], // 8
        ['environment.rollback', 'shop/prød'], // 9
        ['deployment.start', 'dep-2'], // 10
      ];
      for (const [i, [action, target]] of rows.entries())
        await s.appendAudit({ actor: 'bob', action, target, data: { i: i + 1 } });
      const seq = async (q: Parameters<Store['latestAudit']>[0]) => (await s.latestAudit(q))?.seq;
      const rollback = ['environment.rollback'];
      assert.equal(await seq({ actions: rollback }), 9);
      assert.equal(await seq({ actions: rollback, env: 'staging' }), 4);
      assert.equal(await seq({ actions: rollback, env: 'staging', beforeSeq: 4 }), 1);
      assert.equal(await seq({ actions: rollback, env: 'staging', beforeSeq: 1 }), undefined);
      assert.equal(await seq({ actions: rollback, env: 'production' }), 3);
      assert.equal(await seq({ actions: rollback, env: 'prød' }), 9, 'lengths in characters');
      assert.equal(await seq({ actions: rollback, env: 'STAGING' }), 7, 'case matters');
      assert.equal(await seq({ actions: rollback, env: 'stag' }), undefined, 'no partial name');
      assert.equal(await seq({ actions: rollback, env: 'qa' }), undefined);
      assert.equal(await seq({ actions: [...rollback, 'gate.promotion.refused'], env: 'staging' }), 5);
      assert.equal(await seq({ actions: ['config.set'], env: 'staging' }), undefined);
      assert.equal(await seq({ actions: [] }), undefined);
      assert.equal(await seq({ actions: rollback, target: 'shop/staging' }), 1);
      assert.equal(await seq({ actions: rollback, target: 'shop/STAGING' }), 7);
      assert.equal(await seq({ actions: rollback, target: 'shop/stag' }), undefined, 'exact target');
      assert.equal(
        await seq({ actions: [...rollback, 'gate.promotion.refused'], target: 'shop/staging' }),
        5,
      );
      assert.equal(await seq({ actions: rollback, target: 'other/staging', beforeSeq: 4 }), undefined);
      assert.deepEqual(
        await s.latestAudit({ actions: rollback, env: 'production' }),
        (await s.listAudit())[2],
      );
    });

    it('adds the audit indexes to a store at schema version 3 and keeps its chain', async (s, ctx) => {
      for (let i = 0; i < 3; i++)
        await s.appendAudit({ actor: 'alice', action: 'deploy', target: `dep-${i}`, data: { i } });
      await options.exec(s, 'drop index audit_target_seq');
      await options.exec(s, 'drop index audit_action_seq');
      await options.exec(s, 'drop index audit_action_target_seq');
      await options.exec(s, 'alter table deployments drop column audit_seq');
      await options.exec(s, 'alter table deployments drop column audit_hash');
      await options.exec(s, 'alter table releases drop column ci_report');
      await options.exec(s, `update slipway_meta set value = '3' where key = 'schema_version'`);
      await s.close();
      const again = await ctx.reopen();
      try {
        assert.ok((await again.schemaVersion()) >= 4);
        assert.deepEqual(
          (await again.listAuditByTarget('dep-1')).map((e) => e.seq),
          [2],
        );
        assert.equal(verifyChain(await again.listAudit()), null);
        // They exist again: dropping them works.
        await options.exec(again, 'drop index audit_target_seq');
        await options.exec(again, 'drop index audit_action_seq');
        await options.exec(again, 'drop index audit_action_target_seq');
      } finally {
        await again.close();
      }
    });

    it('gives a lock to one holder at a time and lets it go', async (s) => {
      assert.deepEqual(await s.acquireLock('env:shop/staging', me('a'), 60_000), { acquired: true });
      const second = await s.acquireLock('env:shop/staging', me('b'), 60_000);
      assert.equal(second.acquired, false);
      if (!second.acquired) assert.equal(second.holder.id, 'a');
      assert.equal(
        (await s.acquireLock('env:shop/production', me('b'), 60_000)).acquired,
        true,
        'locks are per name',
      );
      assert.equal(await s.renewLock('env:shop/staging', me('a'), 60_000), true);
      assert.equal(await s.renewLock('env:shop/staging', me('b'), 60_000), false);
      await s.releaseLock('env:shop/staging', me('b'));
      assert.equal(
        (await s.acquireLock('env:shop/staging', me('b'), 60_000)).acquired,
        false,
        'only the holder releases',
      );
      await s.releaseLock('env:shop/staging', me('a'));
      assert.equal((await s.acquireLock('env:shop/staging', me('b'), 60_000)).acquired, true);
    });

    let clock = Date.parse('2026-11-22T10:00:00Z');
    it(
      'recovers a lock whose lease expired',
      async (s) => {
        assert.equal((await s.acquireLock('env:x', me('a'), 1000)).acquired, true);
        assert.equal((await s.acquireLock('env:x', me('b'), 1000)).acquired, false);
        clock += 5000;
        const taken = await s.acquireLock('env:x', me('b'), 1000);
        assert.deepEqual(taken, { acquired: true, recoveredFrom: me('a') });
      },
      { now: () => new Date(clock) },
    );

    it('recovers a lock held by a process that no longer exists on this host', async (s) => {
      const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
      const ghost = { id: 'ghost', pid: Number(dead), host: hostname() };
      assert.equal((await s.acquireLock('env:y', ghost, 3_600_000)).acquired, true);
      const taken = await s.acquireLock('env:y', me('b'), 60_000);
      assert.deepEqual(taken, { acquired: true, recoveredFrom: ghost });
    });

    it('reports its schema version and refuses a newer schema on open', async (s, ctx) => {
      const version = await s.schemaVersion();
      assert.ok(version >= 1);
      await options.exec(s, `update slipway_meta set value = '999' where key = 'schema_version'`);
      await s.close();
      await assert.rejects(ctx.reopen(), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'STORE_SCHEMA_TOO_NEW');
        assert.match(e.message, /schema version 999.*knows versions up to \d+; upgrade slipway/);
        return true;
      });
    });

    it('has an id of its own, the same after a reopen', async (s, ctx) => {
      assert.match(s.id, /^store-[0-9a-f]{24}$/);
      const id = s.id;
      await s.close();
      const again = await ctx.reopen();
      try {
        assert.equal(again.id, id);
      } finally {
        await again.close();
      }
    });

    it('keeps its data across a reopen', async (s, ctx) => {
      await s.putRelease(release('1.0.0', 'cafebabe'));
      await s.close();
      const again = await ctx.reopen();
      try {
        assert.equal((await again.findRelease('shop', '1.0.0'))?.digest.slice(0, 15), 'sha256:cafebabe');
      } finally {
        await again.close();
      }
    });
  });
}
