/**
 * "Too little traffic or no data" in an analysis step, through the composed engine (real guard,
 * builtin router metrics, real instances): slipway.yaml `inconclusive` decides. No traffic means
 * no error rate and no p95, so the analysis cannot decide.
 *   fail  → the deployment rolls back, saying analysis could not decide;
 *   pause → it pauses for a person at the end of the step;
 *   wait  → it measures on past the step's end, and passes once traffic arrives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import type { StoredState } from './executor.ts';
import { composedEngine, type Harness, startHarness, startLoad } from './testing.ts';

const config = (behaviour: string) => `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  ${behaviour}:
    profile: fast
    inconclusive: ${behaviour}
    strategy: { canary: { steps: [{ weight: 50, analysis: { duration: 1s } }, { weight: 100 }] } }
`;

const timeline = (state: unknown) => (state as StoredState).engine.timeline.map((t) => t.what);

describe('inconclusive analysis, as slipway.yaml says (real agent, builtin router)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(new BuiltinRouter());
  });
  after(async () => h.close());

  const firstThenCanary = async (env: string) => {
    const engine = await composedEngine(h, config(env));
    const first = await engine.deploy(env, '1.0.0');
    assert.equal((await engine.executor.run(first.id)).status, 'succeeded');
    return { ...engine, canary: await engine.deploy(env, '2.0.0') };
  };

  test('fail: no traffic during the analysis rolls the canary back', async () => {
    const { executor, canary } = await firstThenCanary('fail');
    const done = await executor.run(canary.id);
    assert.equal(done.status, 'rolled_back');
    assert.match(done.reason ?? '', /^analysis could not decide: /);
    const status = await h.agent.status('fail');
    assert.deepEqual(
      status.releases.map((r) => r.weight),
      [100],
    );
  });

  test('pause: no traffic during the analysis pauses the canary for a person', async () => {
    const { executor, canary } = await firstThenCanary('pause');
    const stop = new AbortController();
    const running = executor.run(canary.id, stop.signal);
    let d = await h.store.getDeployment(canary.id);
    for (let i = 0; i < 300 && d?.status !== 'paused'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      d = await h.store.getDeployment(canary.id);
    }
    stop.abort();
    await running;
    assert.equal(d?.status, 'paused');
    assert.ok(
      timeline(d?.state).some((w) => /^paused by analysis \(could not decide: /.test(w)),
      timeline(d?.state).join('\n'),
    );
    await executor.transition(canary.id, { type: 'abort', at: Date.now(), by: 'test', reason: 'done' });
    assert.equal((await executor.run(canary.id)).status, 'aborted');
  });

  test('wait: the analysis goes on past its end and passes once traffic arrives', async () => {
    const { executor, canary } = await firstThenCanary('wait');
    const running = executor.run(canary.id);
    // Traffic only once the step's own second is over: `pause` would have paused by then.
    let d = await h.store.getDeployment(canary.id);
    const analysing = () => {
      const e = (d?.state as StoredState | undefined)?.engine;
      return e?.plan[e.step]?.kind === 'analysis' && e.stepStartedAt !== null ? e.stepStartedAt : null;
    };
    for (let i = 0; i < 300 && analysing() === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      d = await h.store.getDeployment(canary.id);
    }
    const began = analysing();
    assert.ok(began !== null, 'the analysis step began');
    await new Promise((r) => setTimeout(r, Math.max(0, began + 1300 - Date.now())));
    const port = (await h.agent.status('wait')).listen.port;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/products`,
      workers: 4,
      gapMs: 10,
      maxMs: 30_000,
    });
    const done = await running.finally(() => load.stop());
    assert.equal(done.status, 'succeeded', timeline(done.state).join('\n'));
    assert.ok(!timeline(done.state).some((w) => w.startsWith('paused')), 'it never paused');
  });

  const watchConfig = (env: string) => `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  ${env}:
    profile: fast
    inconclusive: fail
    watch: 1s
    strategy: { blue-green: { warmFor: 10m } }
`;

  test("watch without traffic: an environment's first release ends its watch with a note, not a pass", async () => {
    const engine = await composedEngine(h, watchConfig('watch-first'));
    const first = await engine.deploy('watch-first', '1.0.0');
    const done = await engine.executor.run(first.id);
    assert.equal(done.status, 'succeeded', timeline(done.state).join('\n'));
    assert.ok(
      timeline(done.state).some((w) => /not judged: .*no earlier release to go back to/.test(w)),
      timeline(done.state).join('\n'),
    );
  });

  test('watch without traffic after a switch follows inconclusive: fail rolls back to the warm release', async () => {
    const engine = await composedEngine(h, watchConfig('watch-fail'));
    const first = await engine.deploy('watch-fail', '1.0.0');
    assert.equal((await engine.executor.run(first.id)).status, 'succeeded');
    const second = await engine.deploy('watch-fail', '2.0.0');
    const done = await engine.executor.run(second.id);
    assert.equal(done.status, 'rolled_back', timeline(done.state).join('\n'));
    assert.match(done.reason ?? '', /^watch could not decide: /);
    const status = await h.agent.status('watch-fail');
    const serving = status.releases.filter((r) => r.weight === 100).map((r) => r.release);
    assert.deepEqual(serving, [first.releaseId]);
  });
});
