import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeDrop } from './drop.ts';

const checkout = { name: 'checkout-rate', maxDrop: 0.2, unit: 'ratio' } as const;

describe('judgeDrop', () => {
  test('fails when the new value is more than 20% under the baseline', () => {
    const v = judgeDrop(checkout, { phase: 'ok', value: 0.03 }, { phase: 'ok', value: 0.04 });
    assert.equal(v.verdict, 'fail');
    assert.equal(v.observed, 0.03);
    assert.equal(v.baseline, 0.04);
    assert.ok(Math.abs((v.threshold ?? 0) - 0.032) < 1e-12);
    assert.equal(v.reason, 'checkout-rate is 3%, 25% below baseline 4%; more than the allowed 20%');
  });

  test('passes at a 10% drop and when the value rises', () => {
    assert.equal(
      judgeDrop(checkout, { phase: 'ok', value: 0.036 }, { phase: 'ok', value: 0.04 }).verdict,
      'pass',
    );
    const up = judgeDrop(checkout, { phase: 'ok', value: 0.05 }, { phase: 'ok', value: 0.04 });
    assert.equal(up.reason, 'checkout-rate is 5%, 25% above baseline 4%; within the allowed drop of 20%');
  });

  test('a zero baseline is inconclusive', () => {
    const v = judgeDrop(checkout, { phase: 'ok', value: 0 }, { phase: 'ok', value: 0 });
    assert.deepEqual(
      [v.verdict, v.reason],
      ['inconclusive', "the baseline's checkout-rate is 0%, so a drop cannot be measured"],
    );
  });

  test('an error on the new side is inconclusive', () => {
    const v = judgeDrop(
      checkout,
      { phase: 'error', message: 'timeout after 2000 ms' },
      { phase: 'ok', value: 1 },
    );
    assert.equal(v.reason, 'measuring the new release failed: timeout after 2000 ms');
  });
});
