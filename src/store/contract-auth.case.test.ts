/**
 * The Store contract, second part: users and grants, API tokens, sessions and the environments
 * overview. Run by store.test.ts for every backend; not run on its own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoreContractOptions } from './contract.case.test.ts';
import type { Store } from './contract.ts';

export function runStoreAuthContract(options: StoreContractOptions): void {
  describe(`Store contract (users, tokens, sessions, overview): ${options.name}`, async () => {
    const skip = await options.skip();
    const it = (name: string, fn: (s: Store) => Promise<void>, now?: () => Date) =>
      test(name, { skip }, async () => {
        const ctx = await options.open(now ? { now } : {});
        try {
          await fn(ctx.store);
        } finally {
          await ctx.store.close().catch(() => {});
          await ctx.cleanup();
        }
      });

    it('creates a user once and adds and removes roles per environment', async (s) => {
      const alice = await s.putUser('alice', 'root');
      assert.equal(alice.createdBy, 'root');
      assert.equal((await s.putUser('alice', 'mallory')).createdBy, 'root');
      await s.setGrant({ user: 'alice', env: 'staging', role: 'deployer' }, true);
      await s.setGrant({ user: 'alice', env: 'staging', role: 'deployer' }, true);
      await s.setGrant({ user: 'alice', env: 'production', role: 'viewer' }, true);
      assert.deepEqual((await s.getUser('alice'))?.grants, [
        { user: 'alice', env: 'production', role: 'viewer' },
        { user: 'alice', env: 'staging', role: 'deployer' },
      ]);
      await s.setGrant({ user: 'alice', env: 'staging', role: 'deployer' }, false);
      await s.putUser('bob', 'root');
      const users = await s.listUsers();
      assert.deepEqual(
        users.map((u) => [u.name, u.grants.length]),
        [
          ['alice', 1],
          ['bob', 0],
        ],
      );
      assert.equal(await s.getUser('nobody'), undefined);
    });

    it('stores tokens by hash, finds them by hash or id, and revokes them once', async (s) => {
      await s.putUser('alice', 'root');
      const token = await s.createToken({
        id: 'tok-1',
        user: 'alice',
        name: 'ci',
        hash: 'sha256:aaa',
        expiresAt: '2030-01-01T00:00:00.000Z',
      });
      assert.equal(token.revokedAt, null);
      assert.equal((await s.findToken({ hash: 'sha256:aaa' }))?.id, 'tok-1');
      assert.equal((await s.findToken({ id: 'tok-1' }))?.name, 'ci');
      assert.equal(await s.findToken({ hash: 'sha256:bbb' }), undefined);
      await assert.rejects(
        s.createToken({ id: 'tok-2', user: 'alice', name: 'x', hash: 'sha256:aaa', expiresAt: null }),
      );
      await s.createSession({
        idHash: 'sha256:s1',
        user: 'alice',
        tokenId: 'tok-1',
        csrf: 'c',
        expiresAt: '2030-01-01T00:00:00.000Z',
      });
      assert.equal(await s.revokeToken('tok-1'), true);
      assert.equal(await s.revokeToken('tok-1'), false);
      assert.equal(await s.revokeToken('tok-unknown'), false);
      assert.ok((await s.findToken({ id: 'tok-1' }))?.revokedAt);
      assert.equal(await s.findSession('sha256:s1'), undefined, 'sessions end with their token');
      assert.deepEqual(
        (await s.listTokens('alice')).map((t) => t.id),
        ['tok-1'],
      );
      assert.deepEqual(await s.listTokens('bob'), []);
    });

    it('opens, finds and ends sessions, sweeping expired ones', async (s) => {
      const base = { user: 'alice', tokenId: 'tok-1', csrf: 'c1' };
      await s.createSession({ ...base, idHash: 'sha256:old', expiresAt: '2000-01-01T00:00:00.000Z' });
      await s.createSession({ ...base, idHash: 'sha256:new', expiresAt: '2999-01-01T00:00:00.000Z' });
      await s.createSession({ ...base, idHash: 'sha256:other', expiresAt: '2999-01-01T00:00:00.000Z' });
      assert.equal((await s.findSession('sha256:new'))?.csrf, 'c1');
      await s.deleteSession('sha256:new');
      assert.equal(await s.findSession('sha256:new'), undefined);
      assert.equal(await s.findSession('sha256:old'), undefined);
      assert.equal((await s.findSession('sha256:other'))?.user, 'alice');
    });

    it(
      'pages history without losing deployments created in the same millisecond',
      async (s) => {
        for (let i = 0; i < 5; i++)
          await s.createDeployment({
            id: `dep-${i}`,
            app: 'same',
            env: 'staging',
            releaseId: 'rel-1',
            fromReleaseId: null,
            strategy: 'canary',
            createdBy: 'alice',
            state: null,
          });
        const seen: string[] = [];
        let cursor: { before: string; beforeId: string } | undefined;
        for (let page = 0; page < 5; page++) {
          const list = await s.listDeployments({ app: 'same', limit: 2, ...cursor });
          seen.push(...list.map((d) => d.id));
          const last = list.at(-1);
          if (list.length < 2 || !last) break;
          cursor = { before: last.createdAt, beforeId: last.id };
        }
        assert.deepEqual(seen, ['dep-4', 'dep-3', 'dep-2', 'dep-1', 'dep-0']);
      },
      () => new Date('2026-11-22T10:00:00.000Z'),
    );

    it('lists every app with its environments and releases, paged by app', async (s) => {
      for (const app of ['a', 'b', 'c']) {
        const { release } = await s.putRelease({
          app,
          version: '1.0.0',
          digest: `sha256:${'1'.repeat(64)}`,
          commit: null,
          ci: 'passed',
          createdBy: 'ci',
          files: 1,
          bytes: 1,
          notes: null,
        });
        await s.setEnvironmentRelease(app, 'staging', release.id, 'alice');
        await s.setEnvironmentRelease(app, 'production', null, 'bob');
      }
      const first = await s.environmentOverview({ limitApps: 2 });
      assert.deepEqual(
        first.map((r) => `${r.app}/${r.env}:${r.release?.version ?? '-'}:${r.by}`),
        ['a/production:-:bob', 'a/staging:1.0.0:alice', 'b/production:-:bob', 'b/staging:1.0.0:alice'],
      );
      const rest = await s.environmentOverview({ afterApp: 'b' });
      assert.deepEqual([...new Set(rest.map((r) => r.app))], ['c']);
      assert.equal((await s.environmentOverview({ app: 'b' })).length, 2);
    });
  });
}
