import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReleaseMetrics, TrafficRouter } from '../../../traffic/contract.ts';
import { wilsonBounds } from '../../judges/bounds.ts';
import { createBuiltinProvider } from './provider.ts';

const q = { env: 'staging', release: 'v2', windowMs: 10_000, now: 0 };

function metrics(over: Partial<ReleaseMetrics> = {}): ReleaseMetrics {
  return {
    release: 'v2',
    windowMs: 10_000,
    requests: 200,
    status: { '1xx': 0, '2xx': 180, '3xx': 0, '4xx': 8, '5xx': 10 },
    failures: 2,
    latency: { p50: 40, p95: 120, p99: 300 },
    ...over,
  };
}

/** A fake TrafficRouter: the real builtin router's metrics are tested in src/traffic; here only the adapter. */
function fakeRouter(
  m: ReleaseMetrics | Error,
  calls: string[] = [],
): Pick<TrafficRouter, 'name' | 'metrics'> {
  return {
    name: 'fake-router',
    async metrics(env, release, windowMs) {
      calls.push(`${env}/${release}/${windowMs}`);
      if (m instanceof Error) throw m;
      return m;
    },
  };
}

describe('builtin metric provider (fake TrafficRouter)', () => {
  test('error_rate counts 5xx and failures over requests, with the request count', async () => {
    const calls: string[] = [];
    const p = createBuiltinProvider({ router: fakeRouter(metrics(), calls) });
    assert.deepEqual(await p.query({ ...q, metric: 'error_rate' }), {
      phase: 'ok',
      value: 12 / 200,
      count: 200,
      bounds: wilsonBounds(12 / 200, 200),
    });
    assert.deepEqual(calls, ['staging/v2/10000']);
  });

  test('a window that ended in the past is read as a longer one up to now (the router keeps no past windows)', async () => {
    const calls: string[] = [];
    const p = createBuiltinProvider({ router: fakeRouter(metrics(), calls) });
    await p.query({ ...q, metric: 'error_rate', endedAgoMs: 25_000 });
    assert.deepEqual(calls, ['staging/v2/35000']);
  });

  test('percentiles carry the bounds the router gives', async () => {
    const bounds = { low: 110, high: 135 };
    const m = { ...metrics(), latencyBounds: { p50: null, p95: bounds, p99: null } };
    const p = createBuiltinProvider({ router: fakeRouter(m) });
    assert.deepEqual(await p.query({ ...q, metric: 'p95' }), { phase: 'ok', value: 120, count: 200, bounds });
    assert.deepEqual(await p.query({ ...q, metric: 'p99' }), { phase: 'ok', value: 300, count: 200 });
  });

  test('p95, p99 and requests', async () => {
    const p = createBuiltinProvider({ router: fakeRouter(metrics()) });
    assert.deepEqual(await p.query({ ...q, metric: 'p95' }), { phase: 'ok', value: 120, count: 200 });
    assert.deepEqual(await p.query({ ...q, metric: 'p99' }), { phase: 'ok', value: 300, count: 200 });
    assert.deepEqual(await p.query({ ...q, metric: 'requests' }), { phase: 'ok', value: 200, count: 200 });
  });

  test('no requests in the window is nodata naming release, env and window', async () => {
    const p = createBuiltinProvider({
      router: fakeRouter(metrics({ requests: 0, latency: { p50: null, p95: null, p99: null } })),
    });
    assert.deepEqual(await p.query({ ...q, metric: 'error_rate' }), {
      phase: 'nodata',
      reason: 'no requests to release v2 in staging in the last 10s',
    });
    assert.deepEqual(await p.query({ ...q, metric: 'requests' }), { phase: 'ok', value: 0, count: 0 });
  });

  test('a router without metrics, a throwing router and an unknown metric are error measurements', async () => {
    const none = createBuiltinProvider({ router: { name: 'haproxy' } });
    assert.deepEqual(await none.query({ ...q, metric: 'p95' }), {
      phase: 'error',
      message: 'traffic router haproxy does not report metrics; use the prometheus or http metric provider',
    });
    const broken = createBuiltinProvider({ router: fakeRouter(new Error('env staging is not routed')) });
    assert.deepEqual(await broken.query({ ...q, metric: 'p95' }), {
      phase: 'error',
      message: 'traffic router fake-router metrics for staging/v2: env staging is not routed',
    });
    const p = createBuiltinProvider({ router: fakeRouter(metrics()) });
    assert.deepEqual(await p.query({ ...q, metric: 'checkout' }), {
      phase: 'error',
      message:
        'the builtin provider has no metric "checkout"; it knows error_rate, p50, p95, p99, requests, latency',
    });
  });
});

test('latency: the router histogram becomes samples a Mann-Whitney rule can rank', async () => {
  const { ReleaseWindow } = await import('../../../traffic/builtin/metrics.ts');
  const { judgeMannWhitney } = await import('../../judges/mann-whitney.ts');
  const now = Date.now();
  const fast = new ReleaseWindow('v1');
  const slow = new ReleaseWindow('v2');
  for (let i = 0; i < 300; i++) {
    fast.recordResponse(200, 10 + (i % 10), now);
    slow.recordResponse(200, 30 + (i % 10), now);
  }
  const source = (w: InstanceType<typeof ReleaseWindow>) =>
    createBuiltinProvider({ router: { name: 'builtin', metrics: async () => w.snapshot(60_000, now) } });
  const q = { metric: 'latency', env: 'staging', release: 'x', windowMs: 60_000, now };
  const [a, b] = [await source(slow).query(q), await source(fast).query(q)];
  assert.equal(a.phase === 'ok' && a.samples?.length, 300);
  const verdict = judgeMannWhitney({ name: 'latency-p95', unit: 'ms' }, a, b);
  assert.equal(verdict.verdict, 'fail', verdict.reason);
  assert.equal(judgeMannWhitney({ name: 'latency-p95' }, b, b).verdict, 'pass');
});
