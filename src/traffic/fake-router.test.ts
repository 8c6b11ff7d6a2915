import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteState } from './contract.ts';
import { FakeRouter } from './fake-router.ts';

const state = (weights: Record<string, number>): RouteState => ({
  env: 'staging',
  listen: { host: '127.0.0.1', port: 8080 },
  releases: Object.entries(weights).map(([release, weight]) => ({
    release,
    weight,
    backends: [{ id: `${release}-0`, host: '127.0.0.1', port: 9000 }],
  })),
});

test('fake router keeps the applied state, changes weights, checks them and forgets a removed env', async () => {
  const router = new FakeRouter();
  await router.apply(state({ v1: 100, v2: 0 }));
  await router.apply(state({ v1: 100, v2: 0 })); // idempotent
  await router.setWeights('staging', { v2: 100 });
  assert.deepEqual(router.weights('staging'), { v1: 0, v2: 100 });
  assert.equal(router.route('staging')!.releases[1]!.backends[0]!.id, 'v2-0');
  await assert.rejects(router.setWeights('staging', { v1: 50 }), /must add up to 100, got 50/);
  await assert.rejects(router.setWeights('staging', { v3: 100 }), /no release v3/);
  await assert.rejects(router.apply(state({ v1: 120, v2: -20 })), /within 0–100/);
  await assert.rejects(router.setWeights('production', { v1: 100 }), /apply it first/);
  assert.deepEqual(
    router.history.map((h) => h.weights),
    [
      { v1: 100, v2: 0 },
      { v1: 100, v2: 0 },
      { v1: 0, v2: 100 },
    ],
  );
  await router.remove('staging');
  assert.equal(router.route('staging'), undefined);
  await router.close();
  await assert.rejects(router.apply(state({ v1: 100 })), /closed/);
});
