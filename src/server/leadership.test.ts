/**
 * Leadership on the real stores (SQLite file, PostgreSQL database): one leader at a time, a
 * follower leads when the leader lets go or dies, a leader that lost its lease steps down, and a
 * second server on a SQLite store is refused.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import type { LockOwner, Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import type { SqlStore } from '../store/sql/sql-store.ts';
import { BACKENDS } from '../store/testing.ts';
import { LEADER_LOCK, Leadership } from './leadership.ts';

const until = async (what: string, ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function member(store: Store, name: string) {
  const events: string[] = [];
  const froms: (LockOwner | undefined)[] = [];
  const leadership = new Leadership({
    store,
    name,
    ttlMs: 400,
    pollMs: 50,
    log: () => {},
    onLead: (from) => {
      events.push('lead');
      froms.push(from);
    },
    onFollow: () => {
      events.push('follow');
    },
  });
  return { leadership, events, froms };
}

for (const backend of BACKENDS) {
  describe(`leadership on ${backend.name}`, { skip: await backend.skip() }, () => {
    test('one leads; another takes over when it lets go, when it dies, and a leader that lost its lease steps down', async (t) => {
      const { url, cleanup } = await backend.fresh();
      const stores = [await openStore(url, process.cwd()), await openStore(url, process.cwd())];
      t.after(async () => {
        for (const s of stores) await s.close();
        await cleanup();
      });
      const [s1, s2] = stores as [Store, Store];
      const a = member(s1, 'a');
      await a.leadership.start();
      assert.equal(a.leadership.view.role, 'leader');
      assert.deepEqual(a.froms, [undefined]);

      if (backend.name === 'sqlite') {
        const b = member(s2, 'b');
        await assert.rejects(
          b.leadership.start(),
          (e) =>
            isAppError(e) &&
            e.code === 'SERVER_ALREADY_RUNNING' &&
            /another slipway server \(a \(pid \d+ on .+\)\) already serves this SQLite store; .*PostgreSQL/.test(
              e.message,
            ),
        );
        await a.leadership.close();
        // Once the first let go, a server on the same store starts.
        const c = member(s2, 'c');
        await c.leadership.start();
        assert.equal(c.leadership.view.role, 'leader');
        await c.leadership.close();
        return;
      }

      const b = member(s2, 'b');
      await b.leadership.start();
      assert.equal(b.leadership.view.role, 'follower');
      assert.match(b.leadership.view.leader ?? '', /^a \(pid \d+ on /);
      // Still one leader after several rounds of renewing and trying.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual([a.leadership.view.role, b.leadership.view.role], ['leader', 'follower']);

      // A graceful stop lets go of the lease: the follower leads at its next try.
      await a.leadership.close();
      await until('b to lead', () => b.leadership.leading);
      assert.deepEqual(b.froms, [undefined]);

      // A leader whose lease was taken from it (it went silent past the deadline) steps down.
      await (s1 as SqlStore).db.deleteFrom('locks').where('name', '=', LEADER_LOCK).execute();
      const thief = { id: 'server:x#0', pid: process.pid, host: hostname() };
      assert.equal((await s1.acquireLock(LEADER_LOCK, thief, 60_000)).acquired, true);
      await until('b to step down', () => !b.leadership.leading);
      assert.deepEqual(b.events, ['lead', 'follow']);

      // A dead leader (its process gone on this host) is replaced and named to onLead.
      const dead = { id: 'server:dead#1', pid: 2 ** 22 + 7, host: hostname() };
      await (s1 as SqlStore).db
        .updateTable('locks')
        .set({ owner: dead.id, pid: dead.pid })
        .where('name', '=', LEADER_LOCK)
        .execute();
      await until('b to lead again', () => b.leadership.leading);
      assert.deepEqual(b.froms.at(-1), dead);
      await b.leadership.close();
    });
  });
}
