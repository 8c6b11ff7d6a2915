/**
 * The app layer over fakes (createFakeApp: an in-memory stand-in for the agent, a temporary SQLite
 * store, the in-memory secret store): each action, the errors' precedence, rollbacks that never
 * wait, steps and the typed stored state.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { isAppError } from '../domain/errors.ts';
import { parseStoredState } from '../engine/stored-state.ts';
import { createFakeApp, type FakeApp } from './fake.ts';

const rejectsWith = (code: string) => (e: unknown) => {
  assert.ok(isAppError(e), String(e));
  assert.equal(e.code, code, e.message);
  return true;
};

/** The same project with every gate a rollback must skip, closed: a freeze today, approvals, windows. */
const FROZEN = (today: string) => `app: shop
run: { command: "node server.js", instances: 1 }
environments:
  staging: { strategy: rolling }
  production:
    strategy: blue-green
    approval: { required: 1 }
    windows: { allow: ["Mon-Sun 00:00-23:59 UTC"], freeze: ["${today}"] }
users:
  alice: [deployer]
  bob: [approver, deployer]
`;

async function actions(f: FakeApp, id: string): Promise<string[]> {
  return (await f.store.listAudit()).filter((a) => a.target === id).map((a) => a.action);
}

describe('app layer (fake agent: an in-memory stand-in for the data plane)', () => {
  let f: FakeApp;
  afterEach(async () => f?.close());

  test('deploy drives a release live; its steps come from the engine state with times and weights', async () => {
    f = await createFakeApp();
    await f.release('1.0.0');
    const { deployment } = await f.app.deploy('staging', '1.0.0', 'alice');
    const done = await f.app.executor().run(deployment.id);
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    const steps = f.app.views.steps(done);
    assert.deepEqual(
      steps.map((s) => [s.kind, s.status, s.weight]),
      [
        ['preflight', 'succeeded', 0],
        ['start', 'succeeded', 0],
        ['shift', 'succeeded', 100],
        ['finalize', 'succeeded', 100],
      ],
    );
    assert.ok(steps.every((s) => s.startedAt && s.endedAt && s.startedAt <= s.endedAt));
    assert.equal((await f.store.listEnvironments('shop'))[0]?.releaseId, deployment.releaseId);
  });

  test('config values and secrets are resolved once per deployment (context, preflight, applies)', async () => {
    f = await createFakeApp({
      yaml: `app: shop
run: { command: "node server.js", instances: 1 }
config:
  require: { STRIPE_KEY: secret }
environments:
  staging: { strategy: rolling }
`,
    });
    writeFileSync(join(f.projectDir, '.env.staging'), 'GREETING=hi\nDB_PASSWORD=plain-but-sensitive\n');
    await f.secrets.set('staging', 'STRIPE_KEY', 'sk_live_not_really_0123456789');
    await f.release('1.0.0');
    const { deployment } = await f.app.deploy('staging', '1.0.0', 'alice');
    const done = await f.app.executor().run(deployment.id);
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    assert.equal(f.app.values?.resolutions, 1);
    const vars = f.agent.envs.get('staging')?.releases[0]?.vars;
    assert.equal(vars?.STRIPE_KEY, 'sk_live_not_really_0123456789');
    assert.equal(vars?.DB_PASSWORD, 'plain-but-sensitive');
    // A new deployment reads afresh.
    await f.release('1.0.1');
    const next = await f.app.deploy('staging', '1.0.1', 'alice');
    await f.app.executor().run(next.deployment.id);
    assert.equal(f.app.values?.resolutions, 2);
  });

  test('an unknown environment or version is reported as such before the agent is asked', async () => {
    f = await createFakeApp();
    await f.release('1.0.0');
    f.agent.down = true;
    const app = f.again({
      agent: () => {
        throw new Error('the agent must not be connected for this');
      },
    });
    await assert.rejects(app.deploy('prod', '1.0.0', 'alice'), rejectsWith('ENV_NOT_FOUND'));
    await assert.rejects(app.deploy('staging', '9.9.9', 'alice'), rejectsWith('RELEASE_NOT_FOUND'));
    await assert.rejects(app.rollbackEnvironment('prod', 'alice'), rejectsWith('ENV_NOT_FOUND'));
    await assert.rejects(
      app.rollbackEnvironment('staging', 'alice', { to: '9.9.9' }),
      rejectsWith('RELEASE_NOT_FOUND'),
    );
    await assert.rejects(app.promote('staging', 'production', 'alice'), rejectsWith('PROMOTION_REFUSED'));
    // Known ones reach the agent, which is down.
    await assert.rejects(f.app.deploy('staging', '1.0.0', 'alice'), rejectsWith('AGENT_UNAVAILABLE'));
  });

  test('a rejection fails the deployment at once, with the reason, and audits who said no', async () => {
    f = await createFakeApp();
    await f.release('1.0.0');
    const { deployment } = await f.app.deploy('production', '1.0.0', 'alice');
    // The deploying process waits at the approval step; a rejection from elsewhere ends it.
    const driving = f.app.executor().run(deployment.id);
    for (let i = 0; i < 100; i++) {
      const d = await f.store.getDeployment(deployment.id);
      if (d && parseStoredState(d).engine.plan[parseStoredState(d).engine.step]?.kind === 'approval') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await assert.rejects(
      f.app.act(deployment.id, { action: 'reject', reason: '  ' }, 'bob'),
      rejectsWith('USAGE'),
    );
    const { deployment: after } = await f.app.act(
      deployment.id,
      { action: 'reject', reason: 'not before the sale' },
      'bob',
    );
    assert.equal(after.status, 'failed');
    assert.equal(after.reason, 'no-go: rejected by bob: not before the sale');
    assert.equal((await driving).status, 'failed');
    assert.deepEqual(f.agent.calls, [], 'nothing reached the data plane');
    const audit = await actions(f, deployment.id);
    assert.ok(audit.includes('gate.reject'), audit.join(' '));
    assert.ok(audit.includes('deployment.failed'), audit.join(' '));
  });

  test('pause, resume, abort, approve, check and override are recorded the same way for every caller', async () => {
    f = await createFakeApp({
      yaml: `app: shop
run: { command: "node server.js", instances: 1 }
environments:
  production:
    strategy: rolling
    approval: { required: 1 }
    checklist: { template: seed }
users:
  alice: [deployer]
  bob: [approver, deployer]
  root: [admin]
`,
    });
    await f.release('1.0.0');
    const { deployment: d } = await f.app.deploy('production', '1.0.0', 'alice');
    await f.app.act(d.id, { action: 'approve', reason: 'go' }, 'bob');
    await f.app.act(d.id, { action: 'check', item: 'on-call-available', note: 'carol' }, 'bob');
    const again = await f.app.act(d.id, { action: 'check', item: 'on-call-available' }, 'alice');
    assert.equal(again.tick?.created, false);
    await f.app.act(d.id, { action: 'override', gate: 'checklist', reason: 'hotfix' }, 'root');
    assert.equal((await f.app.act(d.id, { action: 'pause' }, 'alice')).deployment.status, 'paused');
    assert.equal((await f.app.act(d.id, { action: 'resume' }, 'alice')).deployment.status, 'running');
    await f.app.act(d.id, { action: 'abort', reason: 'wrong build' }, 'alice');
    assert.deepEqual(await actions(f, d.id), [
      'deployment.start',
      'gate.approve',
      'gate.checklist.tick',
      'gate.checklist.override',
      'deployment.pause',
      'deployment.resume',
      'deployment.abort',
    ]);
    await assert.rejects(
      f.app.act(d.id, { action: 'override', gate: 'window', reason: 'x' }, 'alice'),
      rejectsWith('OVERRIDE_REFUSED'),
    );
  });

  test('a rollback by switch skips a freeze and the approval, takes the lock and records before it switches', async () => {
    f = await createFakeApp();
    for (const v of ['1.0.0', '2.0.0']) {
      await f.release(v);
      const { deployment } = await f.app.deploy('staging', v, 'alice');
      assert.equal((await f.app.executor().run(deployment.id)).status, 'succeeded');
    }
    const today = new Date().toISOString().slice(0, 10);
    const parsed = parseConfig(FROZEN(today), 'slipway.yaml');
    assert.ok(parsed.ok);
    const frozen = f.again({ config: parsed.config });
    // The blue-green previous release is warm in production: deploy both there first (unfrozen).
    const open = f.again();
    for (const v of ['1.0.0', '2.0.0']) {
      const { deployment } = await open.deploy('production', v, 'alice');
      const driving = open.executor().run(deployment.id);
      await open.act(deployment.id, { action: 'approve' }, 'bob');
      assert.equal((await driving).status, 'succeeded');
    }
    const seenAtSwitch: string[] = [];
    const setWeights = f.agent.setWeights.bind(f.agent);
    f.agent.setWeights = async (env, weights) => {
      const [last] = await f.store.listDeployments({ app: 'shop', env, limit: 1 });
      const lock = await f.store.acquireLock(`deploy:shop/${env}`, { id: 'probe', pid: 1, host: 'x' }, 1000);
      seenAtSwitch.push(`${last?.strategy} ${last?.status} locked=${!lock.acquired}`);
      return setWeights(env, weights);
    };
    const r = await frozen.rollbackEnvironment('production', 'alice', { reason: 'checkout errors' });
    assert.equal(r.kind, 'switch');
    assert.deepEqual(seenAtSwitch, ['switch running locked=true']);
    if (r.kind !== 'switch') return;
    assert.equal(r.release.version, '1.0.0');
    assert.equal(r.deployment.status, 'succeeded');
    assert.deepEqual(parseStoredState(r.deployment).rollback, {
      reason: 'checkout errors',
      by: 'alice',
      kind: 'switch',
    });
    const audit = (await f.store.listAudit()).filter((a) => a.target === r.deployment.id);
    const skipped = audit.filter((a) => a.action.endsWith('.skipped'));
    assert.deepEqual(
      skipped.map((a) => a.action),
      ['gate.approval.skipped', 'gate.window.skipped'],
    );
    assert.ok(skipped.every((a) => /rollback/.test(JSON.stringify(a.data))));
    const env = (await f.store.listEnvironments('shop')).find((e) => e.name === 'production');
    assert.equal(env?.releaseId, r.release.id);
    const [row] = await frozen.views.history({ app: 'shop', env: 'production', limit: 1 });
    assert.deepEqual(row?.rollback, { reason: 'checkout errors', by: 'alice', kind: 'switch' });
    // The release rolled away from was retired, and the environment is free again: going back to
    // it is a redeploy, which takes the lock and goes past the freeze too.
    const back = await frozen.rollbackEnvironment('production', 'alice', { to: '2.0.0', reason: 'fixed' });
    assert.equal(back.kind, 'redeploy');
    if (back.kind === 'redeploy')
      assert.equal((await frozen.executor().run(back.deployment.id)).status, 'succeeded');
  });

  test('a rollback redeploy (release no longer warm) goes past a freeze and approvals without waiting', async () => {
    f = await createFakeApp();
    const open = f.again();
    for (const v of ['1.0.0', '2.0.0']) {
      await f.release(v);
      const { deployment } = await open.deploy('production', v, 'alice');
      const driving = open.executor().run(deployment.id);
      await open.act(deployment.id, { action: 'approve' }, 'bob');
      assert.equal((await driving).status, 'succeeded');
    }
    // The previous release was retired: only a redeploy brings it back.
    const desired = f.agent.envs.get('production');
    assert.ok(desired);
    f.agent.envs.set('production', {
      ...desired,
      releases: desired.releases.filter((x) => x.weight === 100),
    });
    const parsed = parseConfig(FROZEN(new Date().toISOString().slice(0, 10)), 'slipway.yaml');
    assert.ok(parsed.ok);
    const frozen = f.again({ config: parsed.config });
    const r = await frozen.rollbackEnvironment('production', 'alice', { reason: 'memory leak' });
    assert.equal(r.kind, 'redeploy');
    const done = await frozen.executor().run(r.deployment.id);
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    const state = parseStoredState(done);
    assert.equal(state.rollback?.reason, 'memory leak');
    assert.ok(!state.engine.plan.some((s) => s.kind === 'approval'));
    assert.ok(state.engine.timeline.some((t) => /rollback: window not applied/.test(t.what)));
    const audit = await actions(f, r.deployment.id);
    assert.ok(audit.includes('gate.approval.skipped') && audit.includes('gate.window.skipped'), audit.join());
    assert.ok(!audit.some((a) => a === 'gate.window.wait'), audit.join());
  });

  test('a stored state this version cannot read is an error naming the deployment', async () => {
    f = await createFakeApp();
    const release = await f.release('1.0.0');
    const d = await f.store.createDeployment({
      app: 'shop',
      env: 'staging',
      releaseId: release.id,
      fromReleaseId: null,
      strategy: 'rolling',
      createdBy: 'alice',
      state: { engine: { status: 'running' } },
      status: 'running',
    });
    await assert.rejects(f.app.act(d.id, { action: 'pause' }, 'alice'), (e: unknown) => {
      assert.ok(isAppError(e));
      assert.equal(e.code, 'DEPLOYMENT_STATE_INVALID');
      assert.match(e.message, new RegExp(`deployment ${d.id}.*engine\\.plan`));
      return true;
    });
    assert.deepEqual(f.app.views.steps(d), []);
  });
});
