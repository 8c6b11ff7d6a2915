import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeMannWhitney, mannWhitneyU } from './mann-whitney.ts';

const close = (actual: number, expected: number, tol = 1e-6) =>
  assert.ok(Math.abs(actual - expected) < tol, `${actual} is not within ${tol} of ${expected}`);

describe('mannWhitneyU', () => {
  // Reference values: SciPy 1.17 mannwhitneyu(a, b, alternative='greater', method='asymptotic').
  test('small sample without ties', () => {
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    assert.equal(r.u, 17);
    close(r.pValue, 0.055673443266570206);
    assert.equal(r.effect, 17 / 20);
  });

  test('tie correction', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 5], [1, 1, 2, 2, 3, 4]);
    assert.equal(r.u, 32);
    close(r.pValue, 0.15962631485751094);
  });

  test('all values tied: no evidence, p = 1', () => {
    assert.deepEqual(mannWhitneyU([5, 5, 5], [5, 5]), { u: 3, z: 0, pValue: 1, effect: 0.5 });
  });
});

const slow = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);

describe('judgeMannWhitney', () => {
  const rule = { name: 'latency', unit: 'ms' } as const;

  test('fails a clearly slower release with its numbers', () => {
    const v = judgeMannWhitney(
      rule,
      { phase: 'ok', value: 0, samples: slow(120, 200) },
      { phase: 'ok', value: 0, samples: slow(120, 10) },
    );
    assert.equal(v.verdict, 'fail');
    assert.equal(v.threshold, 0.01);
    assert.deepEqual(v.sample, { new: 120, baseline: 120 });
    assert.equal(v.stats?.effect, 1);
    assert.match(
      v.reason,
      /^latency: the new release is slower than the baseline \(p < 1e-6, significant at α = 0.01; P\(new slower\) = 1.00 ≥ 0.6; median 260 ms vs 69.5 ms\)$/,
    );
  });

  test('below the minimum sample size it is inconclusive even when clearly slower', () => {
    const v = judgeMannWhitney(
      rule,
      { phase: 'ok', value: 0, samples: slow(20, 100) },
      { phase: 'ok', value: 0, samples: slow(120, 10) },
    );
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', 'too little traffic: 20 samples for the new release, the rule needs at least 100'],
    );
  });

  test('significant but tiny effect passes', () => {
    // 4000 vs 4000 samples interleaved so that new is slightly above: significant, A ≈ 0.55.
    const base = Array.from({ length: 4000 }, (_, i) => i);
    const next = base.map((v, i) => (i % 10 === 0 ? v + 2000 : v));
    const v = judgeMannWhitney(
      rule,
      { phase: 'ok', value: 0, samples: next },
      { phase: 'ok', value: 0, samples: base },
    );
    assert.ok((v.stats?.pValue ?? 1) < 0.01, `p ${v.stats?.pValue}`);
    assert.equal(v.verdict, 'pass');
    assert.match(v.reason, /effect is small/);
  });

  test('a provider without raw samples makes it inconclusive', () => {
    const v = judgeMannWhitney(rule, { phase: 'ok', value: 120 }, { phase: 'ok', value: 100 });
    assert.equal(v.verdict, 'inconclusive');
    assert.match(v.reason, /0 samples for the new release/);
  });
});
