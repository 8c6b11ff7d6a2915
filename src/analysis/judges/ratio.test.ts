import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeRatio } from './ratio.ts';

const p95 = { name: 'latency-p95', maxRatio: 2, floor: 50, unit: 'ms' } as const;

describe('judgeRatio', () => {
  test('fails when new p95 is more than 2× the baseline', () => {
    const v = judgeRatio(
      p95,
      { phase: 'ok', value: 320, count: 500 },
      { phase: 'ok', value: 140, count: 9000 },
    );
    assert.deepEqual(v, {
      verdict: 'fail',
      rule: 'latency-p95',
      observed: 320,
      baseline: 140,
      threshold: 280,
      sample: { new: 500, baseline: 9000 },
      stats: { ratio: 320 / 140, maxRatio: 2, floor: 50 },
      reason: 'latency-p95 is 320 ms, 2.29× baseline 140 ms, above the limit of 2×',
    });
  });

  test('passes within the ratio', () => {
    const v = judgeRatio(p95, { phase: 'ok', value: 200 }, { phase: 'ok', value: 140 });
    assert.equal(v.verdict, 'pass');
    assert.equal(v.reason, 'latency-p95 is 200 ms, 1.43× baseline 140 ms, within 2×');
  });

  test('the floor keeps a 1 ms baseline from failing a 30 ms release', () => {
    const v = judgeRatio(p95, { phase: 'ok', value: 30 }, { phase: 'ok', value: 1 });
    assert.equal(v.verdict, 'pass');
    assert.equal(v.threshold, 100);
    assert.equal(v.reason, 'latency-p95 is 30 ms, 0.6× the floor 50 ms (baseline 1 ms), within 2×');
  });

  test('above twice the floor still fails with a tiny baseline', () => {
    const v = judgeRatio(p95, { phase: 'ok', value: 120 }, { phase: 'ok', value: 1 });
    assert.deepEqual([v.verdict, v.threshold], ['fail', 100]);
  });

  test('a zero baseline without a floor is inconclusive, not an infinite ratio', () => {
    const v = judgeRatio({ name: 'p95', maxRatio: 2 }, { phase: 'ok', value: 5 }, { phase: 'ok', value: 0 });
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.reason, /no ratio can be taken; set a floor/);
  });

  test('missing baseline data is inconclusive and says it was the baseline', () => {
    const v = judgeRatio(p95, { phase: 'ok', value: 5 }, { phase: 'nodata', reason: 'no requests to v1' });
    assert.deepEqual([v.verdict, v.reason], ['inconclusive', 'no data for the baseline: no requests to v1']);
  });

  test('minCount applies to the baseline too', () => {
    const v = judgeRatio(
      { ...p95, minCount: 50 },
      { phase: 'ok', value: 5, count: 80 },
      { phase: 'ok', value: 5, count: 3 },
    );
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', 'too little traffic: 3 requests for the baseline, the rule needs at least 50'],
    );
  });

  test('a ratio just under the limit fails when its bounds reach past it and are narrow enough to decide', () => {
    const v = judgeRatio(
      p95,
      { phase: 'ok', value: 140, count: 100, bounds: { low: 136, high: 150 } },
      { phase: 'ok', value: 71, count: 100, bounds: { low: 68, high: 74 } },
    );
    assert.equal(v.verdict, 'fail');
    assert.equal(
      v.reason,
      'latency-p95 is 140 ms, 1.97× baseline 71 ms, and may really be up to 2.21× (100 and 100 requests): too close to the limit of 2× to count as within it',
    );
    assert.deepEqual([v.stats?.ratioLow?.toFixed(2), v.stats?.ratioHigh?.toFixed(2)], ['1.84', '2.21']);
  });

  test('new-release bounds wider than the limit factor decide nothing: the measured ratio stands', () => {
    const v = judgeRatio(
      p95,
      { phase: 'ok', value: 80, count: 60, bounds: { low: 50, high: 160 } },
      { phase: 'ok', value: 71, count: 60, bounds: { low: 60, high: 90 } },
    );
    assert.equal(v.verdict, 'pass');
  });

  test('a healthy release with bounds well inside the limit passes', () => {
    const v = judgeRatio(
      p95,
      { phase: 'ok', value: 72, count: 100, bounds: { low: 68, high: 80 } },
      { phase: 'ok', value: 71, count: 100, bounds: { low: 68, high: 74 } },
    );
    assert.equal(v.verdict, 'pass');
  });
});
