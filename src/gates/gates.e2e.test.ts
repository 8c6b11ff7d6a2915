/**
 * A release goes dev → staging → production only through the gates, against a real agent, the
 * builtin router and real instances of the example app. Time is an injected clock that starts on
 * Thursday 2026-03-26 08:00 UTC (09:00 in Berlin) and moves only when the executor sleeps, so the
 * production window (Tue–Thu 10:00–14:00 Europe/Berlin) opens at 09:00 UTC inside the test.
 * The guard is scripted (a fake guard: the analysis engine is tested on its own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startForTest as startDeployment } from '../app/testing.ts';
import type { Release } from '../domain/types.ts';
import { Executor, type StoredState } from '../engine/executor.ts';
import type { Clock, Guard } from '../engine/ports.ts';
import { createSmokeChecker } from '../engine/smoke.ts';
import { type Harness, startHarness } from '../engine/testing.ts';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import { decide, tick } from './decisions.ts';
import { createGates } from './engine-gates.ts';

const CONFIG = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
users: { alice: [deployer, approver], bob: [approver] }
environments:
  dev: {}
  staging: { after: dev }
  production:
    after: staging
    approval: { required: 1, role: approver, selfApproval: false }
    windows: { timezone: Europe/Berlin, allow: ["Tue-Thu 10:00-14:00"] }
    checklist: { template: seed }
    rollbackIf: { errorRate: { above: 5% } }
`;

/** Virtual time: `sleep` moves it forward at once (yielding briefly for real work to happen). */
function virtualClock(start: number): Clock {
  let now = start;
  return {
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) return;
      now += ms;
      await delay(Math.min(ms, 5));
    },
  };
}

const passGuard: Guard = {
  intervalMs: () => 50,
  check: async () => ({ verdict: 'pass', reason: 'all rules passed', warnings: [] }),
};

const timeline = (state: unknown) => (state as StoredState).engine.timeline;

describe('dev → staging → production through the gates (real agent, builtin router; scripted guard)', () => {
  let h: Harness;
  let clock: Clock;
  let executor: Executor;
  let config: ReturnType<Harness['config']>;
  let v1: Release;

  before(async () => {
    h = await startHarness(new BuiltinRouter());
    config = h.config(CONFIG);
    clock = virtualClock(Date.parse('2026-03-26T08:00:00Z'));
    executor = new Executor({
      store: h.store,
      dataPlane: h.agent,
      guard: passGuard,
      smoke: createSmokeChecker(),
      gates: createGates({ store: h.store, config, clock, pollMs: 20 }),
      clock,
      pollMs: 20,
    });
    v1 = await h.release('1.0.0');
  });
  after(async () => h.close());

  const start = (env: string, release: Release, user = 'alice') =>
    startDeployment({
      store: h.store,
      agent: h.agent,
      executor,
      config,
      env,
      release,
      user,
      dataDir: h.dataDir,
      now: clock.now(),
    });

  const waitFor = async (id: string, what: RegExp) => {
    for (let i = 0; i < 400; i++) {
      const d = await h.store.getDeployment(id);
      if (timeline(d?.state).some((t) => what.test(t.what))) return;
      await delay(25);
    }
    assert.fail(`deployment ${id} never noted ${what}`);
  };

  const served = async (env: string) => {
    const port = (await h.agent.status(env)).listen.port;
    const body = (await (await fetch(`http://127.0.0.1:${port}/api/products`)).json()) as { version: string };
    return body.version;
  };

  test('production refuses a release that has not succeeded in staging, naming staging', async () => {
    const dev = await start('dev', v1);
    assert.equal((await executor.run(dev.id)).status, 'succeeded');
    await assert.rejects(start('production', v1), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'PROMOTION_REFUSED');
      assert.match(
        e.message,
        /^release 1\.0\.0 \(sha256:[0-9a-f]{12}\) has not succeeded in staging; deploy it to staging first/,
      );
      return true;
    });
    const refused = (await h.store.listAudit()).filter((a) => a.action === 'gate.promotion.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.actor, 'alice');
  });

  test('staging takes the release that succeeded in dev', async () => {
    const staging = await start('staging', v1);
    assert.equal((await executor.run(staging.id)).status, 'succeeded');
    assert.equal(await served('staging'), '1.0.0');
  });

  test('production waits for approval, refuses self-approval, then the checklist, then the window; bob approves and it proceeds', async () => {
    const d = await start('production', v1);
    assert.deepEqual(
      (d.state as StoredState).engine.plan.map((s) => s.kind),
      ['preflight', 'approval', 'start', 'shift', 'finalize'],
    );
    const running = executor.run(d.id);
    await waitFor(d.id, /^waiting: waiting for approval: 0 of 1 from role approver/);
    await assert.rejects(
      decide({ store: h.store, config, user: 'alice', id: d.id, decision: 'approve', reason: null }),
      /four-eyes/,
    );
    await decide({
      store: h.store,
      config,
      user: 'bob',
      id: d.id,
      decision: 'approve',
      reason: 'staging is fine',
    });
    await waitFor(
      d.id,
      /^waiting: checklist: open required item\(s\) stakeholders-notified, on-call-available/,
    );
    await tick({ store: h.store, config, user: 'bob', id: d.id, item: 'stakeholders-notified', note: null });
    await tick({ store: h.store, config, user: 'alice', id: d.id, item: 'on-call-available', note: 'carol' });
    const done = await running;
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    const entries = timeline(done.state);
    const what = entries.map((t) => t.what);
    const order = [
      /^waiting: waiting for approval/,
      /^go: approved by bob$/,
      /^waiting: checklist: open required/,
      /^waiting: deploy window: outside the allowed windows \(Tue,Wed,Thu 10:00-14:00 Europe\/Berlin\); next opening 2026-03-26T09:00:00\.000Z$/,
      /^checklist: every required item is done$/,
      /^done: start 1 instance\(s\)$/,
      /^done: finalize$/,
    ].map((re) => what.findIndex((w) => re.test(w)));
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > (order[n - 1] ?? -1))),
      what.join('\n'),
    );
    const started = entries.find((t) => t.what === 'done: start 1 instance(s)');
    assert.ok(
      (started?.at ?? 0) >= Date.parse('2026-03-26T09:00:00Z'),
      'nothing started before the window opened',
    );
    assert.equal(await served('production'), '1.0.0');
    const actions = (await h.store.listAudit())
      .filter((a) => a.target === d.id)
      .map((a) => `${a.actor} ${a.action}`);
    for (const expected of [
      'alice deployment.start',
      'slipway gate.approval.wait',
      'bob gate.approve',
      'slipway gate.approval.open',
      'bob gate.checklist.tick',
      'slipway gate.checklist.wait',
      'slipway gate.window.wait',
      'slipway gate.checklist.open',
      'alice deployment.succeeded',
    ])
      assert.ok(actions.includes(expected), `${expected} in\n${actions.join('\n')}`);
  });

  test('rejecting a redeploy of the release production already runs leaves it serving', async () => {
    const d = await start('production', v1);
    const running = executor.run(d.id);
    await waitFor(d.id, /^waiting: waiting for approval/);
    await decide({ store: h.store, config, user: 'bob', id: d.id, decision: 'reject', reason: 'not needed' });
    assert.equal((await running).status, 'failed');
    assert.equal(await served('production'), '1.0.0');
  });

  test('a rejection ends a production deployment with its reason; production keeps serving', async () => {
    const v2 = await h.release('2.0.0');
    for (const env of ['dev', 'staging'])
      assert.equal((await executor.run((await start(env, v2)).id)).status, 'succeeded');
    const d = await start('production', v2);
    const running = executor.run(d.id);
    await waitFor(d.id, /^waiting: waiting for approval/);
    await decide({
      store: h.store,
      config,
      user: 'bob',
      id: d.id,
      decision: 'reject',
      reason: 'checkout is broken',
    });
    const done = await running;
    assert.equal(done.status, 'failed');
    assert.equal(done.reason, 'no-go: rejected by bob: checkout is broken');
    assert.equal(await served('production'), '1.0.0');
    await assert.rejects(
      decide({ store: h.store, config, user: 'bob', id: d.id, decision: 'approve', reason: null }),
      /is already failed/,
    );
  });
});
