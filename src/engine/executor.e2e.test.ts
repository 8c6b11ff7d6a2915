/**
 * The executor against a real agent running real instances of the example app, through the
 * agent's tiny test proxy (the builtin router has its own suite). The guard here is scripted
 * (a fake guard: the analysis engine is tested on its own), so each test decides when the numbers
 * go bad.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TinyProxyRouter } from '../agent/tiny-proxy.ts';
import { startForTest as startDeployment } from '../app/testing.ts';
import { Executor } from './executor.ts';
import type { Guard, GuardResult } from './ports.ts';
import { systemClock } from './ports.ts';
import { createSmokeChecker } from './smoke.ts';
import { type Harness, startHarness } from './testing.ts';

const CONFIG = `app: shop
run: { command: node server.js, instances: 2, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  staging:
    strategy:
      canary:
        steps: [{ weight: 50, pause: 300ms }, { weight: 100 }]
    smoke: [{ get: /health }, { get: /api/products }]
    watch: 300ms
`;

const pass: GuardResult = { verdict: 'pass', reason: 'all rules passed', warnings: [] };

function scriptedGuard(): Guard & { verdict: GuardResult; calls: number } {
  return {
    intervalMs: () => 50,
    verdict: pass,
    calls: 0,
    async check() {
      this.calls++;
      return this.verdict;
    },
  };
}

async function servedVersions(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/api/products`);
    const body = (await r.json()) as { version: string };
    counts[body.version] = (counts[body.version] ?? 0) + 1;
  }
  return counts;
}

describe('executor with a real agent and real instances (scripted guard)', () => {
  let h: Harness;
  let guard: ReturnType<typeof scriptedGuard>;
  let executor: Executor;
  before(async () => {
    h = await startHarness(new TinyProxyRouter());
    guard = scriptedGuard();
    executor = new Executor({
      store: h.store,
      dataPlane: h.agent,
      guard,
      smoke: createSmokeChecker(),
      clock: systemClock,
      pollMs: 20,
    });
  });
  after(async () => h.close());

  const deploy = async (version: string, faults?: Record<string, unknown>) => {
    const release = await h.release(version, faults);
    const config = h.config(CONFIG);
    return startDeployment({
      store: h.store,
      agent: h.agent,
      executor,
      config,
      env: 'staging',
      release,
      user: 'alice',
      dataDir: h.dataDir,
      now: Date.now(),
    });
  };

  test('a first deployment starts, serves, watches and becomes the environment release', async () => {
    const d = await deploy('1.0.0');
    const done = await executor.run(d.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.state));
    const env = (await h.store.listEnvironments('shop'))[0];
    assert.equal(env?.releaseId, d.releaseId);
    const port = (await h.agent.status('staging')).listen.port;
    assert.deepEqual(await servedVersions(port, 10), { '1.0.0': 10 });
  });

  test('a canary moves traffic in steps and ends with only the new release', async () => {
    const d = await deploy('2.0.0');
    const done = await executor.run(d.id);
    assert.equal(done.status, 'succeeded');
    const timeline = (done.state as { engine: { timeline: { what: string }[] } }).engine.timeline.map(
      (t) => t.what,
    );
    assert.ok(timeline.includes('done: shift 50% of traffic'), timeline.join('\n'));
    assert.ok(timeline.includes('done: smoke'));
    const status = await h.agent.status('staging');
    assert.deepEqual(
      status.releases.map((r) => [r.release, r.weight]),
      [[d.releaseId, 100]],
    );
    assert.deepEqual(await servedVersions(status.listen.port, 10), { '2.0.0': 10 });
    assert.ok(guard.calls > 0, 'the guard measured during the pause and the watch');
  });

  test('a failing rule rolls back: traffic returns to the stable release, the new instances stop, the reason is kept', async () => {
    const stable = (await h.store.listEnvironments('shop'))[0]?.releaseId;
    const d = await deploy('3.0.0');
    guard.verdict = {
      verdict: 'fail',
      reason: 'error rate 12.0% above 5.0%',
      rule: 'error-rate',
      observed: 0.12,
      threshold: 0.05,
      warnings: [],
    };
    try {
      const done = await executor.run(d.id);
      assert.equal(done.status, 'rolled_back');
      assert.equal(done.reason, 'error rate 12.0% above 5.0%');
      const engine = (done.state as { engine: { outcome: unknown } }).engine;
      assert.deepEqual(engine.outcome, {
        reason: 'error rate 12.0% above 5.0%',
        rule: 'error-rate',
        observed: 0.12,
        threshold: 0.05,
      });
      const status = await h.agent.status('staging');
      assert.deepEqual(
        status.releases.map((r) => [r.release, r.weight]),
        [[stable, 100]],
      );
      assert.deepEqual(await servedVersions(status.listen.port, 10), { '2.0.0': 10 });
      assert.equal(
        (await h.store.listEnvironments('shop'))[0]?.releaseId,
        stable,
        'the environment still runs the stable release',
      );
    } finally {
      guard.verdict = pass;
    }
  });

  test('a release that never becomes healthy fails the deployment and leaves the stable one serving', async () => {
    const d = await deploy('4.0.0', { crash: true });
    const done = await executor.run(d.id);
    assert.equal(done.status, 'failed');
    assert.match(done.reason ?? '', /4\.0\.0|crash|exit/i);
    const status = await h.agent.status('staging');
    assert.deepEqual(await servedVersions(status.listen.port, 5), { '2.0.0': 5 });
  });

  test('a second deployment to a busy environment is refused, naming the one in progress', async () => {
    const first = await deploy('5.0.0');
    await assert.rejects(deploy('5.0.1'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'LOCK_HELD');
      assert.match(e.message, new RegExp(`staging is busy: deployment ${first.id} is driven by process`));
      return true;
    });
    assert.equal((await executor.run(first.id)).status, 'succeeded');
  });

  test('a deployment interrupted mid-way is resumed by another executor and completes', async () => {
    const d = await deploy('6.0.0');
    const stop = new AbortController();
    const running = executor.run(d.id, stop.signal);
    // Let it get past the first traffic step, then take the control plane away.
    for (let i = 0; i < 200; i++) {
      const now = await h.store.getDeployment(d.id);
      if (((now?.state ?? { engine: { weight: 0 } }) as { engine: { weight: number } }).engine.weight > 0)
        break;
      await new Promise((r) => setTimeout(r, 25));
    }
    stop.abort();
    await running;
    const midway = await h.store.getDeployment(d.id);
    assert.equal(midway?.status, 'running');
    const other = new Executor({
      store: h.store,
      dataPlane: h.agent,
      guard,
      smoke: createSmokeChecker(),
      clock: systemClock,
      pollMs: 20,
    });
    const done = await other.run(d.id);
    assert.equal(done.status, 'succeeded');
  });
});
