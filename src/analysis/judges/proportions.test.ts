import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeProportions, twoProportionZ } from './proportions.ts';

const close = (actual: number, expected: number, tol = 1e-6) =>
  assert.ok(Math.abs(actual - expected) < tol, `${actual} is not within ${tol} of ${expected}`);

describe('twoProportionZ', () => {
  test('textbook example: 60/500 vs 40/500', () => {
    // pooled p = 0.1, SE = sqrt(0.1·0.9·(2/500)) = 0.018974, z = 0.04 / SE = 2.10819, P(Z > z) = 0.017507
    const r = twoProportionZ({ events: 60, total: 500 }, { events: 40, total: 500 });
    close(r.z, 2.1081851067789192);
    close(r.pValue, 0.01750749050983127);
    close(r.difference, 0.04);
  });

  test('no errors on either side: no evidence', () => {
    assert.deepEqual(twoProportionZ({ events: 0, total: 300 }, { events: 0, total: 300 }), {
      z: 0,
      pValue: 1,
      difference: 0,
    });
  });
});

describe('judgeProportions', () => {
  const rule = { name: 'errors' };

  test('fails 5% errors against a 1% baseline', () => {
    const v = judgeProportions(
      rule,
      { phase: 'ok', value: 0.05, count: 1000 },
      { phase: 'ok', value: 0.01, count: 1000 },
    );
    assert.equal(v.verdict, 'fail');
    assert.equal(v.baseline, 0.01);
    assert.deepEqual(v.sample, { new: 1000, baseline: 1000 });
    assert.match(
      v.reason,
      /^errors: the new release fails more often than the baseline \(5% of 1000 vs 1% of 1000; p < 1e-6, significant at α = 0.01\)$/,
    );
  });

  test('too few requests is inconclusive, even with a terrible error rate', () => {
    const v = judgeProportions(
      rule,
      { phase: 'ok', value: 0.5, count: 40 },
      { phase: 'ok', value: 0.01, count: 1000 },
    );
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', 'too little traffic: 40 requests for the new release, the rule needs at least 200'],
    );
  });

  test('significant but below the minimum effect passes', () => {
    // 1.5% vs 1.0% over 100 000 requests each: p ≈ 1e-23, but only half a percentage point.
    const v = judgeProportions(
      rule,
      { phase: 'ok', value: 0.015, count: 100_000 },
      { phase: 'ok', value: 0.01, count: 100_000 },
    );
    assert.ok((v.stats?.pValue ?? 1) < 0.01);
    assert.equal(v.verdict, 'pass');
    assert.match(v.reason, /less than 2% more/);
  });

  test('a measurement without a request count is inconclusive', () => {
    const v = judgeProportions(rule, { phase: 'ok', value: 0.05 }, { phase: 'ok', value: 0.01, count: 1000 });
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.reason, /provider gave no count/);
  });
});

test('judgeProportions: a likely regression with under 5 expected errors waits instead of failing', () => {
  // 13/400 vs 36/3600: p < 0.01 and +2.25 points, but at the pooled 1.225% only 4.9 errors are expected in 400.
  const v = judgeProportions(
    { name: 'errors' },
    { phase: 'ok', value: 13 / 400, count: 400 },
    { phase: 'ok', value: 0.01, count: 3600 },
  );
  assert.equal(v.verdict, 'inconclusive');
  assert.equal(
    v.reason,
    'errors: the new release may fail more often (3.25% of 400 vs 1% of 3600), but 4.9 errors are expected at this traffic and the z-test needs 5; wait for more requests',
  );
});
