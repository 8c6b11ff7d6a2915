/**
 * The store keeps DORA's last period and reuses it while the database's stamp (migration 13) is
 * unchanged. Every read here is checked against a store opened afresh on the same database (no
 * period kept), after writes made through another connection, as the CLI writes from its process.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { DeploymentFactSet, Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import type { SqlStore } from '../store/sql/sql-store.ts';
import { BACKENDS } from '../store/testing.ts';
import { doraFromStore } from './dora-read.ts';
import { seedDoraFixture } from './testing.ts';

const H = 3_600_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const NOW = BASE + 14 * 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

/** Order-free form of a fact set, to compare two reads. */
function plain(f: DeploymentFactSet) {
  return {
    deployments: [...f.deployments].sort((a, b) => (a.id < b.id ? -1 : 1)),
    releases: [...f.releaseCreatedAt.entries()].sort(),
  };
}

const stamp = async (s: Store) =>
  (await sql<{ stamp: string }>`select stamp from dora_stamp`.execute((s as SqlStore).db)).rows[0]?.stamp;

for (const backend of BACKENDS) {
  describe(`DORA's kept period (${backend.name})`, async () => {
    const skip = await backend.skip();
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    async function stores() {
      const { url, cleanup } = await backend.fresh();
      cleanups.push(cleanup);
      const clock = { ms: BASE };
      const open = async () => {
        const s = await openStore(url, process.cwd(), { now: () => new Date(clock.ms) });
        cleanups.push(() => s.close());
        return s;
      };
      const server = await open();
      const cli = await open();
      const ids = await seedDoraFixture(cli, clock, BASE);
      /** The server's read, checked against a store that keeps nothing. */
      const read = async (since: number) => {
        const got = await server.listDeploymentFacts('shop', 'production', iso(since));
        const fresh = await open();
        const want = await fresh.listDeploymentFacts('shop', 'production', iso(since));
        assert.deepEqual(plain(got), plain(want));
        const q = { app: 'shop', env: 'production', sinceMs: NOW - since, now: NOW, fixWithinMs: H };
        assert.deepEqual(await doraFromStore(server, q), await doraFromStore(fresh, q));
        return got;
      };
      return { server, cli, ids, clock, read };
    }

    test('writes from another connection show in the next read; state-only writes keep the period', {
      skip,
    }, async () => {
      const { server, cli, ids, clock, read } = await stores();
      const first = await read(BASE);
      assert.equal(first.deployments.length, 9);
      // Unchanged: the same period, and a later `since` cut from it as the query would.
      assert.equal(await read(BASE), first);
      assert.equal((await read(BASE + 50 * H)).deployments.length, 7);

      // A deployment's state rewritten (every step of a deployment does): nothing DORA reads.
      const live = (await cli.getDeployment(ids.get('live') as string)) as NonNullable<
        Awaited<ReturnType<Store['getDeployment']>>
      >;
      const before = await stamp(server);
      assert.ok(
        await cli.updateDeployment(live.id, live.revision, { state: { ...(live.state as object), step: 1 } }),
      );
      assert.equal(await stamp(server), before);
      assert.equal(await read(BASE), first);

      // The running deployment fails: a new figure.
      const now = (await cli.getDeployment(live.id)) as typeof live;
      clock.ms = BASE + 321 * H;
      assert.ok(
        await cli.updateDeployment(now.id, now.revision, { status: 'failed', finishedAt: iso(clock.ms) }),
      );
      assert.notEqual(await stamp(server), before);
      const failed = await read(BASE);
      assert.equal(failed.deployments.find((d) => d.id === live.id)?.status, 'failed');

      // A new deployment, then a release's registration edited by hand, then a deployment deleted.
      clock.ms = BASE + 322 * H;
      const release = failed.deployments.find((d) => d.id === live.id)?.releaseId as string;
      await cli.createDeployment({
        app: 'shop',
        env: 'production',
        releaseId: release,
        fromReleaseId: null,
        strategy: 'canary',
        createdBy: 'alice',
        state: live.state,
        status: 'running',
      });
      assert.equal((await read(BASE)).deployments.length, 10);
      const db = (cli as SqlStore).db;
      await sql`update releases set created_at = ${iso(BASE + 215 * H)} where id = ${release}`.execute(db);
      assert.equal((await read(BASE)).releaseCreatedAt.get(release), iso(BASE + 215 * H));
      await sql`delete from deployments where id = ${ids.get('d1') as string}`.execute(db);
      assert.equal((await read(BASE)).deployments.length, 9);
      // An earlier `since` than the period kept is read again.
      assert.equal((await read(BASE - 40 * H)).deployments.length, 10);
    });

    test('times not in toISOString form are read every time, with the same result', { skip }, async () => {
      const { cli, ids, read } = await stores();
      const db = (cli as SqlStore).db;
      // 11:00 written with an offset: text order is not time order any more.
      await sql`update deployments set created_at = '2026-01-01T12:00:00+01:00' where id = ${ids.get('d1') as string}`.execute(
        db,
      );
      const all = await read(BASE);
      assert.ok(all.deployments.some((d) => d.createdAt === '2026-01-01T12:00:00+01:00'));
      assert.notEqual(await read(BASE + 11 * H), all);
      await read(BASE + 12 * H);
    });
  });
}
