/**
 * `rollbackIf.action: flag-off` through the composed engine with real instances and the builtin
 * router: a canary whose new release fails on errors turns the environment's feature flag off
 * (a kill by `slipway`, versioned and audited, timed in a deployment event) and then moves traffic
 * back as every rollback does. A healthy release leaves the flag alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import { composedEngine, type Harness, startHarness, startLoad } from './testing.ts';

const yaml = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    strategy: { canary: { steps: [{ weight: 50, analysis: { duration: 3s } }, { weight: 100 }] } }
    rollbackIf:
      errorRate: { above: 5% }
      action: flag-off
      flag: new-checkout
`;

describe('rollbackIf action flag-off (real agent, builtin router)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(new BuiltinRouter());
    await h.store.flags.putFlags([
      {
        app: 'shop',
        env: 'production',
        key: 'new-checkout',
        definition: {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {
            fractional: [
              ['on', 25],
              ['off', 75],
            ],
          },
        },
        action: 'set',
        by: 'alice',
        reason: 'rollout 25%',
      },
    ]);
  });
  after(async () => {
    await h.close();
  });

  test('a failed analysis kills the flag first, then rolls traffic back; a good release leaves it', async () => {
    const { executor, deploy } = await composedEngine(h, yaml);
    const first = await deploy('production', '1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    assert.equal((await h.store.flags.getFlag('shop', 'production', 'new-checkout'))?.version, 1);
    const port = (await h.agent.status('production')).listen.port;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/products`,
      workers: 2,
      gapMs: 10,
      maxMs: 60_000,
    });
    try {
      const bad = await deploy('production', '2.0.0', { errorRate: 0.5 });
      const rolled = await executor.run(bad.id);
      assert.equal(rolled.status, 'rolled_back', rolled.reason ?? '');
      const flag = await h.store.flags.getFlag('shop', 'production', 'new-checkout');
      assert.deepEqual([flag?.version, flag?.action, flag?.by], [2, 'kill', 'slipway']);
      assert.match(flag?.reason ?? '', new RegExp(`automatic rollback of deployment ${bad.id}`));
      assert.deepEqual(flag?.definition?.targeting, {});
      const events = (await h.store.listEvents(bad.id)).filter((e) => e.type === 'flag-off');
      assert.equal(events.length, 1);
      const data = events[0]?.data as { done: boolean; version: number; killMs: number };
      assert.deepEqual([data.done, data.version, typeof data.killMs], [true, 2, 'number']);
      const audit = await h.store.listAuditByTarget('shop/production/flag/new-checkout');
      assert.deepEqual(
        audit.map((a) => [a.actor, a.action]),
        [
          ['alice', 'flag.set'],
          ['slipway', 'flag.kill'],
        ],
      );
      assert.deepEqual(
        (await h.agent.status('production')).releases.map((r) => [r.release, r.weight]),
        [[first.releaseId, 100]],
      );
    } finally {
      await load.stop();
    }
  });
});

test('action flag-off without a flag is refused with its place', () => {
  const loaded = parseConfig(yaml.replace('      flag: new-checkout\n', ''), 'slipway.yaml');
  assert.equal(loaded.ok, false);
  assert.deepEqual(!loaded.ok && loaded.problems.map((p) => [p.path, p.message]), [
    [
      'environments.production.rollbackIf.flag',
      'action flag-off turns off the flag named here; add e.g. `flag: new-checkout`',
    ],
  ]);
});

const rampYaml = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    strategy:
      canary:
        flag: new-checkout
        steps:
          - { weight: 100 }
          - { flag: 5, analysis: { duration: 1500ms } }
          - { flag: 50, analysis: { duration: 1500ms } }
          - { flag: 100 }
    rollbackIf:
      errorRate: { above: 5% }
      action: flag-off
      flag: new-checkout
`;

describe('canary steps that move a feature flag (real agent, builtin router)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(new BuiltinRouter());
    await h.store.flags.putFlags([
      {
        app: 'shop',
        env: 'production',
        key: 'new-checkout',
        definition: {
          state: 'ENABLED',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          targeting: {},
        },
        action: 'set',
        by: 'alice',
        reason: 'shipped dark',
      },
    ]);
  });
  after(async () => {
    await h.close();
  });

  test('a healthy release ramps the flag 5% → 50% → 100% under analysis; a failing one turns it off', async () => {
    const { executor, deploy } = await composedEngine(h, rampYaml);
    const first = await deploy('production', '1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    const port = (await h.agent.status('production')).listen.port;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/products`,
      workers: 2,
      gapMs: 10,
      maxMs: 60_000,
    });
    try {
      const good = await deploy('production', '2.0.0');
      const done = await executor.run(good.id);
      assert.equal(done.status, 'succeeded', done.reason ?? '');
      const ramp = [...(await h.store.flags.flagHistory('shop', 'production', 'new-checkout'))].reverse();
      assert.deepEqual(
        ramp.map((v) => [
          v.action,
          v.by,
          (v.definition?.targeting as { fractional?: unknown[] } | undefined)?.fractional?.[0],
        ]),
        [
          ['set', 'alice', undefined],
          ['rollout', 'slipway', ['on', 5]],
          ['rollout', 'slipway', ['on', 50]],
          ['rollout', 'slipway', ['on', 100]],
        ],
      );
      const bad = await deploy('production', '3.0.0', { errorRate: 0.5 });
      const rolled = await executor.run(bad.id);
      assert.equal(rolled.status, 'rolled_back', rolled.reason ?? '');
      const now = await h.store.flags.getFlag('shop', 'production', 'new-checkout');
      assert.deepEqual([now?.action, now?.by, now?.definition?.targeting], ['kill', 'slipway', {}]);
    } finally {
      await load.stop();
    }
  });
});
