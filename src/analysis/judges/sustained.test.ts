import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Measurement, Verdict } from '../contract.ts';
import { judgeFor, judgeWithin, type VerdictPoint } from './sustained.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);

/** One point per minute with the given verdict kinds. */
function series(kinds: readonly Verdict['verdict'][]): VerdictPoint[] {
  return kinds.map((verdict, i) => ({
    at: T0 + i * MIN,
    verdict: {
      verdict,
      rule: 'p95',
      observed: verdict === 'fail' ? 300 : 100,
      threshold: 200,
      baseline: 100,
      sample: { new: 50, baseline: 50 },
      reason: `point ${i} ${verdict}`,
    },
  }));
}

describe('judgeFor (for 5m)', () => {
  const rule = { name: 'latency-p95', forMs: 5 * MIN };

  test('fails when the condition held at every point across 5 minutes', () => {
    const v = judgeFor(rule, series(['pass', 'fail', 'fail', 'fail', 'fail', 'fail', 'fail']));
    assert.deepEqual(v, {
      verdict: 'fail',
      rule: 'latency-p95',
      observed: 300,
      threshold: 200,
      baseline: 100,
      sample: { new: 7 },
      stats: { heldMs: 5 * MIN, forMs: 5 * MIN, points: 6 },
      reason: 'latency-p95 breached for 5m (6 measurements), at least the 5m allowed; last: point 6 fail',
    });
  });

  test('a breach of 4 minutes still going is inconclusive, not a fail', () => {
    const v = judgeFor(rule, series(['pass', 'fail', 'fail', 'fail', 'fail', 'fail']));
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(v.reason, 'latency-p95 has breached for 4m of the 5m that would fail it: point 5 fail');
  });

  test('a gap without data breaks the run', () => {
    const v = judgeFor(rule, series(['fail', 'fail', 'fail', 'inconclusive', 'fail', 'fail', 'fail']));
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(v.stats?.heldMs, 2 * MIN);
  });

  test('an earlier 5-minute breach that recovered still fails', () => {
    const v = judgeFor(rule, series(['fail', 'fail', 'fail', 'fail', 'fail', 'fail', 'pass']));
    assert.equal(v.verdict, 'fail');
  });

  test('spikes that come and go pass', () => {
    const v = judgeFor(rule, series(['fail', 'pass', 'fail', 'pass', 'fail', 'pass', 'pass']));
    assert.deepEqual([v.verdict, v.reason], ['pass', 'point 6 pass']);
  });

  test('no data now is inconclusive with the point reason', () => {
    const v = judgeFor(rule, series(['pass', 'pass', 'inconclusive']));
    assert.deepEqual([v.verdict, v.reason], ['inconclusive', 'point 2 inconclusive']);
  });

  test('no points at all is inconclusive', () => {
    const v = judgeFor(rule, []);
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', 'no measurements of latency-p95 yet; it must be watched for 5m'],
    );
  });
});

describe('judgeWithin (within 10m)', () => {
  const rule = { name: 'error-rate', above: 0.05, withinMs: 10 * MIN, unit: 'ratio' } as const;
  const ok = (value: number, count: number): Measurement => ({ phase: 'ok', value, count });

  test('aggregates errors over requests, not the mean of rates', () => {
    // 10% of 100 + 1% of 900 = 19 errors / 1000 requests = 1.9%; the mean of rates would be 5.5%.
    const now = T0 + 10 * MIN;
    const v = judgeWithin(
      rule,
      [
        { at: T0 + MIN, measurement: ok(0.1, 100) },
        { at: T0 + 2 * MIN, measurement: ok(0.01, 900) },
      ],
      now,
    );
    assert.equal(v.verdict, 'pass');
    assert.ok(Math.abs((v.observed ?? 0) - 0.019) < 1e-12);
    assert.deepEqual(v.sample, { new: 1000 });
    assert.equal(
      v.reason,
      'error-rate is 1.9%, within bounds (at most 5%) over the last 10m (2 measurements)',
    );
  });

  test('fails when the windowed aggregate breaches', () => {
    const now = T0 + 10 * MIN;
    const points = [1, 2, 3].map((i) => ({ at: T0 + i * MIN, measurement: ok(0.08, 200) }));
    const v = judgeWithin(rule, points, now);
    assert.deepEqual([v.verdict, v.observed, v.threshold], ['fail', 0.08, 0.05]);
  });

  test('points older than the window are left out', () => {
    const now = T0 + 20 * MIN;
    const v = judgeWithin(
      rule,
      [
        { at: T0, measurement: ok(0.5, 1000) },
        { at: T0 + 15 * MIN, measurement: ok(0.01, 100) },
      ],
      now,
    );
    assert.deepEqual([v.verdict, v.observed], ['pass', 0.01]);
  });

  test('only nodata in the window is inconclusive and names why', () => {
    const now = T0 + 10 * MIN;
    const v = judgeWithin(
      rule,
      [{ at: T0 + MIN, measurement: { phase: 'nodata', reason: 'no requests to v2' } }],
      now,
    );
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', 'no data for error-rate in the last 10m: no requests to v2'],
    );
  });

  test('points with zero requests are too little traffic', () => {
    const v = judgeWithin(rule, [{ at: T0 + MIN, measurement: ok(0, 0) }], T0 + 2 * MIN);
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.reason, /^too little traffic: 0 requests/);
  });
});
