import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Instance, InstanceState } from '../../../runtime/contract.ts';
import { createRuntimeProvider } from './provider.ts';

const q = { env: 'production', release: 'v2', windowMs: 0, now: 0 };
const inst = (release: string, state: InstanceState, i: number): Instance => ({
  id: `shop-production-${release}-${i}`,
  release,
  env: 'production',
  host: '127.0.0.1',
  port: 4000 + i,
  pid: 100 + i,
  state,
  restarts: 0,
  startedAt: '2026-11-22T10:00:00Z',
});

/** A fake Runtime listing fixed instances: the process runtime has its own tests in src/runtime. */
const fakeRuntime = (instances: Instance[]) => ({ name: 'fake-runtime', list: async () => instances });

test('runtime provider (fake Runtime): share of instances failing health checks, stopped ones left out', async () => {
  const p = createRuntimeProvider({
    runtime: fakeRuntime([
      inst('v2', 'healthy', 0),
      inst('v2', 'unhealthy', 1),
      inst('v2', 'crashloop', 2),
      inst('v2', 'starting', 3),
      inst('v2', 'stopped', 4),
      inst('v1', 'unhealthy', 5),
    ]),
  });
  assert.deepEqual(await p.query({ ...q, metric: 'unhealthy_instances' }), {
    phase: 'ok',
    value: 0.5,
    count: 4,
  });
  assert.deepEqual(await p.query({ ...q, metric: 'instances' }), { phase: 'ok', value: 4, count: 4 });
});

test('runtime provider (fake Runtime): no instances is nodata; a failing list is an error', async () => {
  const empty = createRuntimeProvider({ runtime: fakeRuntime([]) });
  assert.deepEqual(await empty.query({ ...q, metric: 'unhealthy_instances' }), {
    phase: 'nodata',
    reason: 'release v2 has no running instances in production',
  });
  const broken = createRuntimeProvider({
    runtime: {
      name: 'ssh',
      list: async () => {
        throw new Error('host web1 unreachable');
      },
    },
  });
  assert.deepEqual(await broken.query({ ...q, metric: 'unhealthy_instances' }), {
    phase: 'error',
    message: 'runtime ssh could not list instances of production: host web1 unreachable',
  });
});
