import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReleaseWindow } from './metrics.ts';

test('metrics: a window counts only its own seconds', () => {
  const w = new ReleaseWindow('v1');
  const t0 = 1_000_000_000;
  for (let i = 0; i < 10; i++) w.recordResponse(200, 5, t0);
  w.recordResponse(503, 5, t0 + 5_000);
  w.recordFailure(t0 + 5_000);
  assert.equal(w.snapshot(1_000, t0 + 5_000).requests, 1);
  const all = w.snapshot(10_000, t0 + 5_000);
  assert.equal(all.requests, 11);
  assert.deepEqual(all.status, { '1xx': 0, '2xx': 10, '3xx': 0, '4xx': 0, '5xx': 1 });
  assert.equal(all.failures, 1);
  assert.equal(w.snapshot(10_000, t0 + 20_000).requests, 0);
});

test('metrics: percentiles interpolated inside their histogram bucket land within 10% of the true value', () => {
  const w = new ReleaseWindow('v1');
  const t = 2_000_000_000;
  for (let i = 1; i <= 1000; i++) w.recordResponse(200, i / 10, t);
  const { p50, p95, p99 } = w.snapshot(1_000, t).latency;
  for (const [got, want] of [
    [p50, 50],
    [p95, 95],
    [p99, 99],
  ] as const) {
    assert.ok(got !== null && Math.abs(got - want) <= want * 0.1, `got ${got}, want ~${want}`);
  }
  assert.deepEqual(new ReleaseWindow('x').snapshot(1000).latency, { p50: null, p95: null, p99: null });
});
