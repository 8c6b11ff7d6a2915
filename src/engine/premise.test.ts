import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from '../domain/types.ts';
import { initialState } from './machine.ts';
import { planDeployment } from './plan.ts';
import { contradiction } from './premise.ts';
import type { Served } from './reconcile.ts';

const plan = planDeployment({
  strategy: { kind: 'canary', steps: [{ weight: 25, pause: 30_000 }, { weight: 100 }] },
  instances: 1,
  smoke: false,
  watchMs: 0,
  hasStable: true,
});
/** A canary of release n over stable s, at plan step `step` with `weight` recorded. */
const canary = (step: number, weight: number, status: 'running' | 'rolling_back' = 'running') =>
  ({
    id: 'dep-1',
    env: 'staging',
    app: 'shop',
    state: {
      engine: { ...initialState(plan, 0), step, weight, status, stepStartedAt: 1 },
      ctx: {
        app: 'shop',
        env: 'staging',
        release: { id: 'n', version: '2.0.0', digest: 'sha256:n', cwd: '/n' },
        stable: { id: 's', version: '1.0.0', digest: 'sha256:s', cwd: '/s' },
        run: {
          command: 'node server.js',
          instances: 1,
          health: { path: '/health', intervalMs: 1000, timeoutMs: 500 },
          startTimeoutMs: 10_000,
          stopTimeoutMs: 5000,
        },
        vars: {},
        listen: { host: '127.0.0.1', port: 4100 },
        previewHeader: 'x-slipway-release',
        warmForMs: 0,
        smoke: [],
        profile: 'fast',
        inconclusive: 'wait',
      },
    },
  }) as unknown as Deployment;
const serving = (...releases: [string, number][]): Served => ({
  reachable: true,
  releases: releases.map(([release, weight]) => ({ release, weight, healthy: 1, instances: 1 })),
});

test('the data plane agrees: the recorded split, or a shift in progress reaching its weight', () => {
  const shift25 = plan.findIndex((s) => s.kind === 'shift');
  assert.equal(contradiction(canary(shift25 + 1, 25), serving(['s', 75], ['n', 25])), undefined);
  assert.equal(contradiction(canary(shift25, 0), serving(['s', 75], ['n', 25])), undefined);
  assert.equal(contradiction(canary(shift25, 0), serving(['s', 100], ['n', 0])), undefined);
  assert.equal(contradiction(canary(1, 0), serving(['s', 100])), undefined, 'before the new one starts');
  assert.equal(contradiction(canary(5, 25, 'rolling_back'), serving(['s', 100])), undefined);
});

test('a stale premise names what differs', () => {
  const pause = plan.findIndex((s) => s.kind === 'pause');
  assert.match(
    contradiction(canary(pause, 25), serving(['s', 100], ['n', 0])) ?? '',
    /2\.0\.0 takes 0% of traffic where the deployment recorded 25%/,
  );
  assert.match(
    contradiction(canary(pause, 25), serving(['x', 100])) ?? '',
    /release x takes 100% of traffic, and this deployment knows nothing of it/,
  );
  assert.match(
    contradiction(canary(1, 0), serving()) ?? '',
    /no release takes traffic, where 1\.0\.0 should serve 100%/,
  );
});
