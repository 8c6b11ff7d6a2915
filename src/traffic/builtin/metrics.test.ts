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

test('metrics: percentile bounds hold the true value, narrow with more requests, and are null when too few', () => {
  const t = 3_000_000_000;
  const boundsAt = (n: number) => {
    const w = new ReleaseWindow('v1');
    // n latencies spread evenly over 50–150 ms: the true p50 is 100 ms, the p95 145 ms.
    for (let i = 0; i < n; i++) w.recordResponse(200, 50 + (100 * (i + 0.5)) / n, t);
    const b = w.snapshot(1_000, t).latencyBounds!;
    for (const [q, truth] of [
      ['p50', 100],
      ['p95', 145],
    ] as const) {
      const { low, high } = b[q]!;
      assert.ok(low <= truth && truth <= high, `${q} bounds ${low}–${high} leave out ${truth} ms (n=${n})`);
    }
    return b;
  };
  const width = (b: { low: number; high: number }) => b.high - b.low;
  assert.ok(width(boundsAt(10_000).p50!) < width(boundsAt(100).p50!), 'bounds narrow as requests grow');
  // However many requests, a bound is no finer than the 10%-wide bucket holding it.
  assert.ok(width(boundsAt(10_000).p95!) >= 145 * 0.09);
  const few = new ReleaseWindow('v1');
  for (let i = 0; i < 20; i++) few.recordResponse(200, 10 + i, t);
  // 20 requests cannot bound a p95 from above: its upper rank would be past the slowest request.
  assert.equal(few.snapshot(1_000, t).latencyBounds!.p95, null);
  assert.notEqual(few.snapshot(1_000, t).latencyBounds!.p50, null);
});

test('metrics: responses recorded at performance.now() read the wall clock once a second', (t) => {
  const w = new ReleaseWindow('v1');
  let wall = 1_000_000_500;
  const now = t.mock.method(Date, 'now', () => wall);
  w.recordResponseAt(200, 5, 100); // reads the clock: 500 ms left in this second
  wall += 499;
  w.recordResponseAt(503, 5, 599);
  assert.equal(now.mock.callCount(), 1);
  wall += 1;
  w.recordResponseAt(200, 5, 600); // the next second
  assert.equal(now.mock.callCount(), 2);
  now.mock.restore();
  assert.equal(w.snapshot(1_000, wall).requests, 1);
  const both = w.snapshot(2_000, wall);
  assert.equal(both.requests, 3);
  assert.deepEqual(both.status, { '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 0, '5xx': 1 });
});
