/**
 * Control plane high availability, with real processes: two `slipway server` processes on a fresh
 * PostgreSQL database, a real `slipway agent` serving the example app, continuous load through
 * the agent's router. A canary is started, approved and resumed through the follower (the leader
 * drives it); the leader is killed with SIGKILL mid-canary; the other server must lead, resume the
 * deployment and finish it once, its timeline naming the hand-over, with no failed request. On
 * SQLite a second server on the same store is refused.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { createApiClient } from '../src/cli/remote.ts';
import { startLoad } from '../src/engine/testing.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliProcess, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 2
  stopTimeout: 2s
environments:
  production:
    profile: fast
    approval: { required: 1, role: approver }
    strategy:
      canary: { steps: [{ weight: 25, pause: until-resumed }, { weight: 50, analysis: { duration: 4s } }, { weight: 100 }] }
    watch: 1s
`;

const backend = BACKENDS.find((b) => b.name === 'postgres');
const skip = backend ? await backend.skip() : 'STORE_BACKENDS excludes postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Health = { role?: string; server?: string; leader?: string | null };
async function health(url: string): Promise<Health | null> {
  try {
    return (await (await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) })).json()) as Health;
  } catch {
    return null;
  }
}

describe('two servers on one PostgreSQL store: the leader is killed mid-canary', { skip }, () => {
  const dir = tempDir('slipway-ha-');
  let store = '';
  let dropDatabase = async () => {};
  let agent: ChildProcess | undefined;
  const servers: { name: string; child: ChildProcess; url: string; out: () => string }[] = [];

  const startServer = async (name: string, init: boolean) => {
    const s = await startSlipway(
      dir.path,
      ['--store', store, 'server', '--port', '0', '--name', name, ...(init ? ['--init'] : [])],
      /API on http/,
      60_000,
    );
    const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    const server = { name, child: s.child, url, out: s.out };
    servers.push(server);
    return server;
  };

  before(async () => {
    ({ url: store, cleanup: dropDatabase } = await (backend as NonNullable<typeof backend>).fresh());
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const v of ['1.0.0', '2.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const made = await cli(
        dir.path,
        '--store',
        store,
        'release',
        'create',
        '--version',
        v,
        '--ci',
        'passed',
        join('b', v),
      );
      assert.equal(made.code, 0, made.stderr);
    }
    agent = (await startSlipway(dir.path, ['agent'], /admin API on/, 30_000)).child;
  });
  after(async () => {
    // The killed leader has already exited (with a signal, so its exitCode stays null).
    for (const s of servers) if (s.child.signalCode === null) await stopProcess(s.child);
    await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
      .deleteEnv('production')
      .catch(() => {});
    await stopProcess(agent);
    await dropDatabase();
    dir.cleanup();
  });

  test('the follower leads within 10 s and finishes the canary once; the load sees no failed request', async () => {
    const a = await startServer('a', true);
    const token = initToken(a.out());
    const b = await startServer('b', false);
    assert.equal((await health(a.url))?.role, 'leader');
    assert.deepEqual(
      [(await health(b.url))?.role, (await health(b.url))?.leader],
      ['follower', `a (pid ${a.child.pid} on ${(await import('node:os')).hostname()})`],
    );
    const user = await cliProcess(dir.path, '--store', store, 'user', 'add', 'bob', '--role', 'approver');
    assert.equal(user.code, 0, user.stderr);
    const made = await cliProcess(dir.path, '--store', store, '--json', 'token', 'create', '--user', 'bob');
    assert.equal(made.code, 0, made.stderr);
    const bobToken = (JSON.parse(made.stdout) as { secret: string }).secret;
    const viaA = createApiClient({ url: a.url, token });
    const viaB = createApiClient({ url: b.url, token });
    const bobViaA = createApiClient({ url: a.url, token: bobToken });
    const bobViaB = createApiClient({ url: b.url, token: bobToken });
    const until = async (what: string, ok: () => Promise<boolean>, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > end)
          throw new Error(
            `timed out waiting for ${what}\n${servers.map((s) => `${s.name}: ${s.out()}`).join('\n')}`,
          );
        await sleep(100);
      }
    };

    // The first release through the leader; then the canary through the follower: the leader drives it.
    const first = await viaA.deploy('production', '1.0.0');
    await bobViaA.act(first.id, 'approve', 'first release');
    await until(
      '1.0.0 to succeed',
      async () => (await viaA.deployment(first.id)).deployment.status === 'succeeded',
    );
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    const port = (await client.desired('production'))?.listen.port as number;
    const load = startLoad({ url: `http://127.0.0.1:${port}/api/products`, workers: 4, gapMs: 20 });
    let killedAt = 0;
    try {
      const canary = await viaB.deploy('production', '2.0.0');
      // An approval given to the follower counts: it is stored, and the leader's executor reads it.
      await bobViaB.act(canary.id, 'approve', 'approved through the follower');
      await until(
        'the canary to pause at 25%',
        async () => (await viaB.deployment(canary.id)).deployment.status === 'paused',
      );
      // A resume given to the follower counts: the leader reads it from the store and goes on.
      await viaB.act(canary.id, 'resume', 'looks fine');
      await until('the canary at 50%', async () => (await viaA.deployment(canary.id)).progress.weight === 50);
      await sleep(1000);
      const beforeKill = (await viaB.deployment(canary.id)).timeline;
      assert.ok(
        beforeKill.some((t) => /^driven by server a since /.test(t.what)),
        JSON.stringify(beforeKill),
      );
      assert.ok(!beforeKill.some((t) => /driven by server b/.test(t.what)), 'the follower did not drive');

      killedAt = Date.now();
      a.child.kill('SIGKILL');
      await until('b to lead', async () => (await health(b.url))?.role === 'leader', 10_000);
      const ledMs = Date.now() - killedAt;
      await until(
        'b to drive the canary',
        async () =>
          (await viaB.deployment(canary.id)).timeline.some((t) => /^driven by server b/.test(t.what)),
        30_000,
      );
      const drivenMs = Date.now() - killedAt;
      await until(
        'the canary to move again',
        async () =>
          (await viaB.deployment(canary.id)).timeline.some(
            (t) => Date.parse(t.at) > killedAt && !t.what.startsWith('driven by'),
          ),
        30_000,
      );
      const movedMs = Date.now() - killedAt;
      await until(
        'the canary to succeed',
        async () => (await viaB.deployment(canary.id)).deployment.status === 'succeeded',
      );
      console.log(
        `kill -9 of the leader: b led after ${ledMs} ms, drove the canary after ${drivenMs} ms, its next step ended after ${movedMs} ms`,
      );

      const done = await viaB.deployment(canary.id);
      assert.deepEqual(
        done.approvals.map((x) => x.user),
        ['bob'],
        'the approval given to the follower counted',
      );
      const handOver = done.timeline.filter((t) => t.what.startsWith('driven by'));
      assert.equal(handOver.length, 2, JSON.stringify(done.timeline));
      assert.match(handOver[1]?.what ?? '', /^driven by server b since \S+, taking over from server a$/);
      assert.ok(Date.parse(handOver[1]?.at ?? '') > killedAt);
      assert.equal(done.timeline.filter((t) => /^(succeeded|done: finalize)/.test(t.what)).length <= 1, true);
      const history = await viaB.history({ app: 'shop', env: 'production', limit: 10 });
      assert.deepEqual(
        history.map((d) => d.status),
        ['succeeded', 'succeeded'],
        'one deployment of 2.0.0, finished once',
      );
      assert.match(b.out(), /leading since \S+: took over from a \(pid \d+ on /);
      const status = await client.status('production');
      assert.deepEqual(
        status.releases.map((r) => [r.release, r.weight]),
        [[done.deployment.releaseId, 100]],
      );
    } finally {
      const figures = await load.stop();
      console.log(
        `load through the router: ${JSON.stringify({ ok: figures.ok, failed: figures.failures.length })}`,
      );
      assert.ok(figures.ok > 200, 'the load ran');
      assert.deepEqual(figures.failures, [], 'no request failed');
    }
  });
});

describe('a second server on the same SQLite store', () => {
  const dir = tempDir('slipway-ha-sqlite-');
  let first: ChildProcess | undefined;
  after(async () => {
    await stopProcess(first);
    dir.cleanup();
  });

  test('is refused with the reason and the fix, and the first one leads', async () => {
    const s = await startSlipway(dir.path, ['server', '--port', '0', '--name', 'one'], /API on http/, 60_000);
    first = s.child;
    const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    assert.equal((await health(url))?.role, 'leader');
    const second = await cliProcess(dir.path, 'server', '--port', '0', '--name', 'two');
    assert.equal(second.code, 3, second.stderr);
    assert.match(
      second.stderr,
      /SERVER_ALREADY_RUNNING.*another slipway server \(one \(pid \d+ on .*\)\) already serves this SQLite store; .*PostgreSQL/,
    );
    assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
  });
});
