import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuiltinRouter } from './builtin/router.ts';
import { runRouterStateContract } from './contract.case.test.ts';
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
  await assert.rejects(router.setWeights('staging', { v1: 50 }), /weights add up to 50/);
  await assert.rejects(router.setWeights('staging', { v3: 100 }), /no release "v3"/);
  await assert.rejects(router.apply(state({ v1: 120, v2: -20 })), /use an integer from 0 to 100/);
  await assert.rejects(router.setWeights('production', { v1: 100 }), /has no route yet/);
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

runRouterStateContract({ name: 'fake (opens no listener)', create: () => new FakeRouter() });
runRouterStateContract({ name: 'builtin', create: () => new BuiltinRouter() });
