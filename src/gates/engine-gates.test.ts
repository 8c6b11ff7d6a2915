/** The Gates port over a real (in-memory SQLite) store: each decision, and its audit entries. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment } from '../domain/types.ts';
import type { DeploymentContext } from '../engine/context.ts';
import type { Clock } from '../engine/ports.ts';
import { seedState } from '../server/testing.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/factory.ts';
import { decide, override } from './decisions.ts';
import { createGates } from './engine-gates.ts';

const yaml = (production: string) => `app: shop
run: { command: x }
users: { alice: [deployer], bob: [approver], root: [admin] }
environments:
  production:
${production}
`;
const config = (production: string): SlipwayConfig => {
  const r = parseConfig(yaml(production), 'slipway.yaml');
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config;
};
const clockAt = (iso: string): Clock & { t: number } => ({
  t: Date.parse(iso),
  now() {
    return this.t;
  },
  sleep: async () => {},
});
const ctx = {} as DeploymentContext;

describe('createGates', () => {
  let store: Store;
  let n = 0;
  const deployment = async (startedAt: number): Promise<Deployment> =>
    store.createDeployment({
      id: `dep-${++n}`,
      app: 'shop',
      env: 'production',
      releaseId: 'rel-1',
      fromReleaseId: null,
      strategy: 'rolling',
      createdBy: 'alice',
      state: seedState(
        'shop',
        'production',
        { id: 'rel-1', version: '1.0.0', digest: 'sha256:0' },
        {
          stepStartedAt: startedAt,
        },
      ),
      status: 'running',
    });
  const audit = async (id: string) =>
    (await store.listAudit()).filter((a) => a.target === id).map((a) => `${a.actor} ${a.action}`);

  before(async () => {
    store = await openStore(':memory:', '.');
  });
  after(async () => store.close());

  test('a closed window with outside: fail blocks, naming the window', async () => {
    const clock = clockAt('2026-03-27T15:00:00Z');
    const cfg = config('    windows: { allow: ["Tue-Thu 10:00-14:00 Europe/Berlin"], outside: fail }');
    const d = await deployment(clock.t);
    assert.deepEqual(await createGates({ store, config: cfg, clock }).check(ctx, d, 'traffic'), {
      state: 'blocked',
      reason: 'deploy window: outside the allowed windows (Tue,Wed,Thu 10:00-14:00 Europe/Berlin)',
    });
  });

  test('an admin override opens a closed window, with who and why on the record', async () => {
    const clock = clockAt('2026-03-27T15:00:00Z');
    const cfg = config('    windows: { allow: ["Tue-Thu 10:00-14:00 Europe/Berlin"] }');
    const d = await deployment(clock.t);
    const gates = createGates({ store, config: cfg, clock });
    const waiting = await gates.check(ctx, d, 'traffic');
    assert.deepEqual(waiting, {
      state: 'wait',
      reason:
        'deploy window: outside the allowed windows (Tue,Wed,Thu 10:00-14:00 Europe/Berlin); next opening 2026-03-31T08:00:00.000Z',
      until: Date.parse('2026-03-31T08:00:00Z'),
    });
    await gates.check(ctx, d, 'traffic');
    await override({ store, config: cfg, user: 'root', id: d.id, gate: 'window', reason: 'payments down' });
    assert.deepEqual(await gates.check(ctx, d, 'traffic'), {
      state: 'open',
      note: 'deploy window overridden by root: payments down (outside the allowed windows (Tue,Wed,Thu 10:00-14:00 Europe/Berlin))',
    });
    assert.deepEqual(await audit(d.id), [
      'slipway gate.window.wait',
      'root gate.window.override',
      'slipway gate.window.open',
    ]);
  });

  test('an approval timeout ends the deployment; an approval before it opens the gate', async () => {
    const clock = clockAt('2026-03-25T10:00:00Z');
    const cfg = config('    approval: { required: 1, timeout: 30m }');
    const gates = createGates({ store, config: cfg, clock });
    const late = await deployment(clock.t);
    const early = await deployment(clock.t);
    await decide({ store, config: cfg, user: 'bob', id: early.id, decision: 'approve', reason: null });
    clock.t += 30 * 60_000;
    assert.deepEqual(await gates.check(ctx, late, 'approval'), {
      state: 'blocked',
      reason: 'no-go: no go/no-go decision within 30 min: 0 of 1 approval(s) from role approver',
    });
    assert.deepEqual(await gates.check(ctx, early, 'approval'), {
      state: 'open',
      note: 'go: approved by bob',
    });
  });

  test('an environment without approval, checklist or windows is open at both points', async () => {
    const clock = clockAt('2026-03-27T15:00:00Z');
    const gates = createGates({ store, config: config('    strategy: rolling'), clock });
    const d = await deployment(clock.t);
    assert.deepEqual(await gates.check(ctx, d, 'approval'), { state: 'open' });
    assert.deepEqual(await gates.check(ctx, d, 'traffic'), { state: 'open' });
    assert.deepEqual(await audit(d.id), []);
  });
});
