import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.ts';
import { planDeployment, rollingBatches } from './plan.ts';
import { engineStrategy } from './strategy.ts';

test('canary: start, then each weight with smoke, analysis and pauses, then watch and finalize', () => {
  const plan = planDeployment({
    strategy: {
      kind: 'canary',
      steps: [
        { weight: 5, pause: 30_000 },
        { weight: 25, analysisMs: 60_000 },
        { weight: 50 },
        { pause: null },
        { weight: 100 },
      ],
    },
    instances: 2,
    smoke: true,
    watchMs: 1_800_000,
    hasStable: true,
  });
  assert.deepEqual(plan, [
    { kind: 'preflight' },
    { kind: 'start', count: 2 },
    { kind: 'smoke' },
    { kind: 'shift', weight: 5 },
    { kind: 'smoke' },
    { kind: 'pause', durationMs: 30_000 },
    { kind: 'shift', weight: 25 },
    { kind: 'smoke' },
    { kind: 'analysis', durationMs: 60_000 },
    { kind: 'shift', weight: 50 },
    { kind: 'smoke' },
    { kind: 'pause', durationMs: null },
    { kind: 'shift', weight: 100 },
    { kind: 'smoke' },
    { kind: 'watch', durationMs: 1_800_000 },
    { kind: 'finalize' },
  ]);
});

test('blue-green: everything at once after the preview smoke; approval slots in after preflight', () => {
  assert.deepEqual(
    planDeployment({
      strategy: { kind: 'blue-green', warmForMs: 60_000 },
      instances: 3,
      smoke: true,
      watchMs: 0,
      hasStable: true,
      approval: true,
    }),
    [
      { kind: 'preflight' },
      { kind: 'approval' },
      { kind: 'start', count: 3 },
      { kind: 'smoke' },
      { kind: 'shift', weight: 100 },
      { kind: 'smoke' },
      { kind: 'finalize' },
    ],
  );
});

test('rolling: batches of maxSurge + maxUnavailable, traffic split by instance count', () => {
  assert.deepEqual(rollingBatches(4, 1, 0), [
    { kind: 'scale', newCount: 1, oldCount: 3, weight: 25 },
    { kind: 'scale', newCount: 2, oldCount: 2, weight: 50 },
    { kind: 'scale', newCount: 3, oldCount: 1, weight: 75 },
    { kind: 'scale', newCount: 4, oldCount: 0, weight: 100 },
  ]);
  assert.deepEqual(rollingBatches(3, 1, 1), [
    { kind: 'scale', newCount: 2, oldCount: 1, weight: 67 },
    { kind: 'scale', newCount: 3, oldCount: 0, weight: 100 },
  ]);
  assert.deepEqual(
    planDeployment({
      strategy: { kind: 'rolling', maxSurge: 2, maxUnavailable: 0 },
      instances: 2,
      smoke: false,
      watchMs: 60_000,
      hasStable: true,
    }),
    [
      { kind: 'preflight' },
      { kind: 'scale', newCount: 2, oldCount: 0, weight: 100 },
      { kind: 'watch', durationMs: 60_000 },
      { kind: 'finalize' },
    ],
  );
});

test('a first deployment has nothing to shift from: start, serve, watch', () => {
  assert.deepEqual(
    planDeployment({
      strategy: { kind: 'canary', steps: [{ weight: 5 }, { weight: 100 }] },
      instances: 1,
      smoke: true,
      watchMs: 10_000,
      hasStable: false,
    }),
    [
      { kind: 'preflight' },
      { kind: 'start', count: 1 },
      { kind: 'smoke' },
      { kind: 'shift', weight: 100 },
      { kind: 'smoke' },
      { kind: 'watch', durationMs: 10_000 },
      { kind: 'finalize' },
    ],
  );
});

test('strategies from slipway.yaml: shorthand, mapping and percentages', () => {
  const result = parseConfig(
    `app: shop
run: { command: x, instances: 4 }
environments:
  a: { strategy: canary }
  b: { strategy: { rolling: { maxSurge: 50%, maxUnavailable: 25% } } }
  c: { strategy: { blue-green: { warmFor: 5m } } }
  d: { strategy: { canary: { steps: [{ weight: 10, pause: until-resumed }, { weight: 100, analysis: { duration: 2m } }] } } }
`,
    'slipway.yaml',
  );
  assert.ok(result.ok);
  const envs = result.config.environments;
  assert.equal(engineStrategy(envs.a!, 4).kind, 'canary');
  assert.deepEqual(engineStrategy(envs.b!, 4), { kind: 'rolling', maxSurge: 2, maxUnavailable: 1 });
  assert.deepEqual(engineStrategy(envs.c!, 4), { kind: 'blue-green', warmForMs: 300_000 });
  assert.deepEqual(engineStrategy(envs.d!, 4), {
    kind: 'canary',
    steps: [
      { weight: 10, pause: null },
      { weight: 100, analysisMs: 120_000 },
    ],
  });
});

test('checks: once the release serves the environment, after the last smoke and before the watch', () => {
  const input = { instances: 1, smoke: true, watchMs: 60_000, checks: true } as const;
  const tail = [{ kind: 'checks' }, { kind: 'watch', durationMs: 60_000 }, { kind: 'finalize' }];
  assert.deepEqual(
    planDeployment({ ...input, strategy: { kind: 'blue-green' } as never, hasStable: false }),
    [
      { kind: 'preflight' },
      { kind: 'start', count: 1 },
      { kind: 'smoke' },
      { kind: 'shift', weight: 100 },
      { kind: 'smoke' },
      ...tail,
    ],
  );
  const canary = planDeployment({
    ...input,
    strategy: { kind: 'canary', steps: [{ weight: 50 }, { weight: 100 }] },
    hasStable: true,
  });
  assert.deepEqual(canary.slice(-5), [{ kind: 'shift', weight: 100 }, { kind: 'smoke' }, ...tail]);
  const without = planDeployment({
    ...input,
    checks: false,
    strategy: { kind: 'blue-green' } as never,
    hasStable: false,
  });
  assert.equal(
    without.some((s) => s.kind === 'checks'),
    false,
  );
});
