import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeThreshold } from './threshold.ts';

const errorRate = { name: 'error-rate', above: 0.05, unit: 'ratio' } as const;

describe('judgeThreshold', () => {
  test('fails above the bound with the numbers kept', () => {
    assert.deepEqual(judgeThreshold(errorRate, { phase: 'ok', value: 0.08, count: 400 }), {
      verdict: 'fail',
      rule: 'error-rate',
      observed: 0.08,
      threshold: 0.05,
      sample: { new: 400 },
      reason: 'error-rate is 8%, above 5%',
    });
  });

  test('passes at exactly the bound (the rule is strictly above)', () => {
    const v = judgeThreshold(errorRate, { phase: 'ok', value: 0.05, count: 400 });
    assert.equal(v.verdict, 'pass');
    assert.equal(v.reason, 'error-rate is 5%, within bounds (at most 5%)');
  });

  test('below-bounds fail names the lower bound', () => {
    const v = judgeThreshold({ name: 'success', below: 0.99, unit: 'ratio' }, { phase: 'ok', value: 0.9 });
    assert.deepEqual([v.verdict, v.threshold, v.reason], ['fail', 0.99, 'success is 90%, below 99%']);
  });

  test('no data is inconclusive, naming what was missing', () => {
    const v = judgeThreshold(errorRate, { phase: 'nodata', reason: 'no requests to v2 in the last 10m' });
    assert.deepEqual(v, {
      verdict: 'inconclusive',
      rule: 'error-rate',
      observed: null,
      threshold: null,
      sample: { new: 0 },
      reason: 'no data for the new release: no requests to v2 in the last 10m',
    });
  });

  test('a provider error is inconclusive with its message', () => {
    const v = judgeThreshold(errorRate, { phase: 'error', message: 'GET http://m/x: 503' });
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(v.reason, 'measuring the new release failed: GET http://m/x: 503');
  });

  test('too little traffic is inconclusive, never a silent pass', () => {
    const v = judgeThreshold({ ...errorRate, minCount: 100 }, { phase: 'ok', value: 0, count: 12 });
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(
      v.reason,
      'too little traffic: 12 requests for the new release, the rule needs at least 100',
    );
  });
});

describe('threshold judge near its limit', () => {
  const errorRate = { name: 'error-rate', above: 0.05, unit: 'ratio' as const };

  test('5% errors over 200 requests cannot be shown to stay within 5%: fail, naming how high it may be', () => {
    const v = judgeThreshold(errorRate, {
      phase: 'ok',
      value: 0.045,
      count: 200,
      bounds: { low: 0.025, high: 0.075 },
    });
    assert.equal(v.verdict, 'fail');
    assert.equal(
      v.reason,
      'error-rate is 4.5% over 200 requests and may really be up to 7.5%: too close to the limit of 5% to count as within it',
    );
  });

  test('no errors over 30 requests: bounds wider than the limit decide nothing, the measured rate passes', () => {
    const v = judgeThreshold(errorRate, {
      phase: 'ok',
      value: 0,
      count: 30,
      bounds: { low: 0, high: 0.083 },
    });
    assert.equal(v.verdict, 'pass');
  });

  test('no errors over 500 requests passes', () => {
    const v = judgeThreshold(errorRate, {
      phase: 'ok',
      value: 0,
      count: 500,
      bounds: { low: 0, high: 0.0054 },
    });
    assert.equal(v.verdict, 'pass');
  });
});

describe('threshold judge that needs the rate shown above its limit (shownAt, the default error-rate trigger)', () => {
  const shown = { name: 'error-rate', above: 0.05, shownAt: 0.999, unit: 'ratio' as const };

  test('1 error in 12 requests reads 8.3% but shows nothing: inconclusive, not a rollback', () => {
    const v = judgeThreshold(shown, { phase: 'ok', value: 1 / 12, count: 12 });
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(
      v.reason,
      'error-rate is 8.33% over 12 requests, above 5% but not shown to be (it may be as low as 0.736%); waiting for more requests',
    );
  });

  test('20% errors over 100 requests is shown above 5%: fail, naming the lower bound', () => {
    const v = judgeThreshold(shown, { phase: 'ok', value: 0.2, count: 100 });
    assert.equal(v.verdict, 'fail');
    assert.equal(
      v.reason,
      'error-rate is 20%, above 5% (over 100 requests: at least 10.54% with 99.9% confidence)',
    );
  });

  test('4.5% over 200 requests is within the limit as measured: pass (the measured-only judge fails it)', () => {
    const m = { phase: 'ok', value: 0.045, count: 200, bounds: { low: 0.025, high: 0.075 } } as const;
    assert.equal(judgeThreshold(shown, m).verdict, 'pass');
    assert.equal(judgeThreshold({ ...shown, shownAt: undefined }, m).verdict, 'fail');
  });

  test('the minimum count still applies first', () => {
    const v = judgeThreshold({ ...shown, minCount: 50 }, { phase: 'ok', value: 0.5, count: 12 });
    assert.equal(v.verdict, 'inconclusive');
  });
});
