/**
 * The rolling strategy end to end: the composed engine, a real agent with the builtin router and
 * the example app, under continuous loopback load. Three instances are replaced one at a time
 * (maxSurge 1, maxUnavailable 0), each new instance health-gated by the agent before an old one
 * goes; the agent's PUT with changed counts adds and removes instances without restarting the
 * others (the process ids are watched all along). A release whose instances never pass their
 * health check stops at its first batch and leaves the old release serving, whole.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import type { StoredState } from './executor.ts';
import { composedEngine, type Harness, startHarness, startLoad } from './testing.ts';

const CONFIG = `app: shop
run: { command: node server.js, instances: 3, health: { interval: 200ms, timeout: 200ms, startTimeout: 5s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }
    smoke: [{ get: /api/products }]
    watch: 500ms
`;

describe('rolling deployments (real agent, builtin router, example app)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(new BuiltinRouter());
  });
  after(async () => h.close());

  test('three instances replaced one at a time, no restarts of the others, no failed request', async () => {
    const { executor, deploy } = await composedEngine(h, CONFIG);
    const first = await deploy('production', '1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    const start = await h.agent.status('production');
    const originalOld = new Set(start.releases[0]?.instances.map((i) => i.pid));
    assert.equal(originalOld.size, 3);
    const load = startLoad({
      url: `http://127.0.0.1:${start.listen.port}/api/products`,
      workers: 4,
      gapMs: 10,
      maxMs: 60_000,
    });
    // Every process id each release ever had (a stopping instance shows none), and the largest instance count seen at once.
    const pids = new Map<string, Set<number | null>>();
    let most = 0;
    let fewestHealthy = Number.POSITIVE_INFINITY;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const s = await h.agent.status('production');
        const all = s.releases.flatMap((r) => r.instances.map((i) => ({ ...i, release: r.release })));
        most = Math.max(most, all.length);
        fewestHealthy = Math.min(fewestHealthy, all.filter((i) => i.state === 'healthy').length);
        for (const i of all.filter((x) => x.pid !== null))
          pids.set(i.release, (pids.get(i.release) ?? new Set()).add(i.pid));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const d = await deploy('production', '2.0.0');
    const done = await executor.run(d.id).finally(async () => {
      watching = false;
      await watch;
    });
    const figures = await load.stop();
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    const steps = (done.state as StoredState).engine.timeline
      .map((t) => t.what)
      .filter((w) => w.startsWith('done: '));
    assert.deepEqual(
      steps.filter((w) => w.includes('instances')),
      [
        'done: 1 new / 2 old instances (33%)',
        'done: 2 new / 1 old instances (67%)',
        'done: 3 new / 0 old instances (100%)',
      ],
    );
    const old = [...(pids.get(first.releaseId) ?? [])];
    assert.ok(
      old.every((p) => originalOld.has(p)),
      `old instances were never restarted: ${old} ⊆ ${[...originalOld]}`,
    );
    assert.equal(pids.get(d.releaseId)?.size, 3, 'each new instance started once');
    assert.ok(most <= 4, `never more than instances + maxSurge at once (saw ${most})`);
    assert.ok(
      fewestHealthy >= 3,
      `never fewer than instances − maxUnavailable healthy (saw ${fewestHealthy})`,
    );
    const end = await h.agent.status('production');
    assert.deepEqual(
      end.releases.map((r) => [r.release, r.weight, r.instances.length]),
      [[d.releaseId, 100, 3]],
    );
    console.log(`rolling under load: ${JSON.stringify(figures)}`);
    assert.ok(figures.ok > 100, 'the load ran');
    assert.deepEqual(figures.failures, [], 'no request failed');
  });

  test('new instances that never pass health stop the rollout; the old release keeps serving whole', async () => {
    const { executor, deploy } = await composedEngine(h, CONFIG);
    const before = await h.agent.status('production');
    const serving = before.releases[0]?.release;
    const load = startLoad({
      url: `http://127.0.0.1:${before.listen.port}/api/products`,
      workers: 2,
      gapMs: 10,
      maxMs: 60_000,
    });
    const d = await deploy('production', '3.0.0', { unhealthy: true });
    const done = await executor.run(d.id);
    const figures = await load.stop();
    assert.equal(
      done.status,
      'failed',
      'nothing reached the new release: the deployment failed, traffic untouched',
    );
    assert.match(done.reason ?? '', /did not become healthy/);
    const end = await h.agent.status('production');
    assert.deepEqual(
      end.releases.map((r) => [r.release, r.weight, r.instances.filter((i) => i.state === 'healthy').length]),
      [[serving, 100, 3]],
    );
    assert.deepEqual(figures.failures, [], 'no request failed');
  });
});
