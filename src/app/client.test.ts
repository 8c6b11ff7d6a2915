/**
 * The client's seat in the app layer over fakes (createFakeApp: an in-memory stand-in for the
 * agent, a temporary SQLite store): acceptance gates the next environment by digest, revert times
 * are recorded per environment and per way, a deployment says when it goes live, and history says
 * live / replaced / reverted / rejected by whom.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { clientDeployment, clientEnvironment, remainingMs } from './client.ts';
import { clientHistory, finishedStates } from './client-history.ts';
import { createFakeApp, type FakeApp } from './fake.ts';

const rejectsWith = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(isAppError(e), String(e));
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** A window on the day after tomorrow (UTC): closed now, whatever the time. */
const laterDay = DAYS[(new Date().getUTCDay() + 2) % 7];

const CONFIG = `app: shop
run: { command: "node server.js", instances: 1 }
environments:
  staging:
    strategy: blue-green
    url: https://staging.shop.example
    acceptance: { by: approver }
  production:
    after: staging
    strategy: { blue-green: { warmFor: 10m } }
    approval: { required: 1 }
    windows: { allow: ["${laterDay} 10:00-11:00 UTC"] }
    watch: 2s
    revert: { by: approver }
users:
  alice: [deployer]
  bob: [approver, deployer]
  carol: [approver]
`;

describe('the client seat (fake agent: an in-memory stand-in for the data plane)', () => {
  let f: FakeApp;
  afterEach(async () => f?.close());

  const ship = async (env: string, version: string) => {
    const { deployment } = await f.app.deploy(env, version, 'alice');
    const done = await f.app.executor().run(deployment.id);
    assert.equal(done.status, 'succeeded', done.reason ?? '');
    return done;
  };

  test('production takes only a digest accepted on staging; the decision names who, when and why', async () => {
    f = await createFakeApp({ yaml: CONFIG });
    await f.release('1.0.0');
    await f.release('2.0.0');
    await ship('staging', '1.0.0');
    await assert.rejects(
      f.app.deploy('production', '1.0.0', 'alice'),
      rejectsWith(
        'PROMOTION_REFUSED',
        /has not been accepted on staging yet.*slipway accept 1\.0\.0 --env staging/,
      ),
    );
    await assert.rejects(
      f.app.accept('staging', '1.0.0', 'alice', 'accept'),
      rejectsWith('APPROVAL_REFUSED', /does not hold the role approver/),
    );
    await assert.rejects(
      f.app.accept('staging', '2.0.0', 'carol', 'accept'),
      rejectsWith('APPROVAL_REFUSED', /has not succeeded on staging yet/),
    );
    await assert.rejects(f.app.accept('staging', '1.0.0', 'carol', 'reject', ' '), rejectsWith('USAGE'));
    const a = await f.app.accept('staging', '1.0.0', 'carol', 'accept');
    assert.deepEqual([a.decision, a.by, a.version, a.env], ['accept', 'carol', '1.0.0', 'staging']);
    const staging = await clientEnvironment(f.app, 'staging');
    assert.equal(staging.url, 'https://staging.shop.example');
    assert.equal(staging.accepted?.by, 'carol');
    const { deployment } = await f.app.deploy('production', '1.0.0', 'alice');
    const c = await clientDeployment(f.app, deployment);
    assert.equal(c.acceptance?.by, 'carol');
    assert.equal(c.acceptance?.at, a.at);
    // Waiting for approval outside the window: it goes live at the next opening, a weekday 10:00 UTC.
    assert.equal(c.waiting, 'approval');
    assert.ok(c.goesLiveAt);
    const opens = new Date(c.goesLiveAt);
    assert.equal(DAYS[opens.getUTCDay()], laterDay);
    assert.equal(opens.getUTCHours(), 10);
    assert.equal(c.remainingMs, 2_000);

    // A rejection on staging stops the release there, naming the person and the reason.
    await ship('staging', '2.0.0');
    await f.app.accept('staging', '2.0.0', 'carol', 'reject', 'the checkout button is gone');
    await assert.rejects(
      f.app.deploy('production', '2.0.0', 'alice'),
      rejectsWith('PROMOTION_REFUSED', /rejected on staging by carol \("the checkout button is gone"\)/),
    );
    const audit = (await f.store.listAudit()).filter((e) => e.action.startsWith('release.'));
    assert.deepEqual(
      audit.map((e) => [e.action, e.actor]),
      [
        ['release.accept', 'carol'],
        ['release.reject', 'carol'],
      ],
    );
  });

  test('every revert records its duration on its environment; the way it would revert now picks the figure', async () => {
    // No watch: the fake agent serves no traffic, and a watch without traffic after a switch
    // follows `inconclusive` (it would wait, then pause).
    f = await createFakeApp({ yaml: CONFIG.replace(/ {4}(windows|watch): .*\n/g, '') });
    for (const v of ['1.0.0', '2.0.0']) {
      await f.release(v);
      await ship('staging', v);
      await f.app.accept('staging', v, 'carol', 'accept');
      const { deployment } = await f.app.deploy('production', v, 'alice');
      const driving = f.app.executor().run(deployment.id);
      await f.app.act(deployment.id, { action: 'approve' }, 'bob');
      assert.equal((await driving).status, 'succeeded');
    }
    let production = await clientEnvironment(f.app, 'production');
    assert.equal(production.revert.kind, 'switch');
    assert.equal(production.revert.measured, null, 'not yet measured here');
    // A switch measured on staging says nothing about production.
    const onStaging = await f.app.rollbackEnvironment('staging', 'bob');
    assert.equal(onStaging.kind, 'switch');
    assert.equal((await clientEnvironment(f.app, 'production')).revert.measured, null);
    const staging = await clientEnvironment(f.app, 'staging');
    // After a switch the release rolled away from is retired: going back again is a redeploy.
    assert.deepEqual(staging.revert, { kind: 'redeploy', measured: null, rehearsed: null, drillable: true });

    const r = await f.app.rollbackEnvironment('production', 'carol', { reason: 'checkout errors' });
    assert.equal(r.kind, 'switch');
    if (r.kind !== 'switch') return;
    production = await clientEnvironment(f.app, 'production');
    assert.deepEqual(production.revert, {
      kind: 'redeploy',
      measured: null,
      rehearsed: null,
      drillable: false,
    });

    const back = await f.app.rollbackEnvironment('production', 'bob', { to: '2.0.0', reason: 'fixed' });
    assert.equal(back.kind, 'redeploy');
    if (back.kind === 'redeploy') await f.app.executor().run(back.deployment.id);
    production = await clientEnvironment(f.app, 'production');
    // 1.0.0 is warm again (production keeps the previous release 10 minutes): a switch, as carol's.
    assert.equal(production.revert.kind, 'switch');
    assert.equal(production.revert.measured?.by, 'carol');
    assert.equal(production.revert.measured?.ms, r.switchMs, 'the switch records the time it measured');
    const measured = (await f.store.listAudit()).filter((e) => e.action === 'environment.revert.measured');
    assert.deepEqual(
      measured.map((e) => [e.target, (e.data as { kind: string }).kind, e.actor]),
      [
        ['shop/staging', 'switch', 'bob'],
        ['shop/production', 'switch', 'carol'],
        ['shop/production', 'redeploy', 'bob'],
      ],
    );
    assert.ok(((measured[2]?.data as { ms?: number } | undefined)?.ms ?? -1) > 0);

    // History as a client reads it: versions, live / replaced / reverted, reverts as rows (carol's
    // revert was itself reverted by bob's).
    const rows = await clientHistory(f.app, { env: 'production', limit: 10 });
    assert.deepEqual(
      rows.map((x) => [x.version, x.revert, x.state, x.decidedBy]),
      [
        ['2.0.0', true, 'live', 'bob'],
        ['1.0.0', true, 'reverted', 'carol'],
        ['2.0.0', false, 'reverted', 'bob'],
        ['1.0.0', false, 'replaced', 'bob'],
      ],
    );
  });

  test('a rejected go/no-go shows as rejected by the approver, not as stopped', async () => {
    f = await createFakeApp({ yaml: CONFIG.replace(/ {4}windows: .*\n/, '') });
    await f.release('1.0.0');
    await ship('staging', '1.0.0');
    await f.app.accept('staging', '1.0.0', 'carol', 'accept');
    const { deployment } = await f.app.deploy('production', '1.0.0', 'alice');
    const waiting = await clientHistory(f.app, { env: 'production', limit: 5 });
    assert.equal(waiting[0]?.state, 'waiting-approval');
    await f.app.act(deployment.id, { action: 'reject', reason: 'not on a Friday' }, 'carol');
    const [row] = await clientHistory(f.app, { env: 'production', limit: 5 });
    assert.deepEqual([row?.state, row?.decidedBy, row?.startedBy], ['rejected', 'carol', 'alice']);
  });

  test('finished states and the remaining time are pure rules', () => {
    const d = (id: string, env: string, status: string, releaseId: string) =>
      ({ id, env, status, releaseId }) as never;
    const states = finishedStates(
      [
        d('4', 'prod', 'succeeded', 'r1'),
        d('3', 'prod', 'succeeded', 'r2'),
        d('2', 'prod', 'rolled_back', 'r3'),
        d('1', 'prod', 'succeeded', 'r1'),
      ],
      new Set(['4']),
      new Map([['prod', 'r1']]),
    );
    assert.deepEqual(
      [...states],
      [
        ['4', 'live'],
        ['3', 'reverted'],
        ['2', 'reverted'],
        ['1', 'replaced'],
      ],
    );
    const plan = [
      { kind: 'approval' },
      { kind: 'shift', weight: 5 },
      { kind: 'analysis', durationMs: 60_000 },
      { kind: 'watch', durationMs: 1_800_000 },
    ] as const;
    assert.equal(remainingMs(plan, 0, null, 0), 1_860_000);
    assert.equal(remainingMs(plan, 3, 1000, 301_000), 1_500_000);
  });
});
