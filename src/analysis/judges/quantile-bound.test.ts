import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantileUpperBound, tailAllowance } from './quantile-bound.ts';
import { mulberry32 } from './seeded.ts';

test('too few requests bound nothing; from about 180 the slowest one bounds the p95 (δ = 1/600)', () => {
  assert.equal(tailAllowance(100, 0.05, 1 / 600), -1);
  assert.equal(tailAllowance(200, 0.05, 1 / 600), 0);
  assert.equal(quantileUpperBound({ upperMs: [60, 70], counts: [50, 50] }, 0.05, 1 / 600), undefined);
  assert.deepEqual(quantileUpperBound({ upperMs: [60, 70, 300], counts: [150, 49, 1] }, 0.05, 1 / 600), {
    ms: 300,
    requests: 200,
  });
});

test('with more requests the bound closes in on the p95 from above', () => {
  // 10,000 requests: at least 5% of them (500) are at or above the p95; the bound allows ~430.
  const a = tailAllowance(10_000, 0.05, 1 / 600);
  assert.ok(a > 400 && a < 500, String(a));
});

test('time-uniform: over 2,000 growing samples looked at after every request, the bound is ever below the true p95 in at most δ of 1,000 runs', () => {
  const delta = 0.05;
  const allowance = Array.from({ length: 2001 }, (_, n) => tailAllowance(n, 0.05, delta));
  let broken = 0;
  for (let seed = 1; seed <= 1000; seed++) {
    const random = mulberry32(seed);
    let atOrAbove = 0;
    for (let n = 1; n <= 2000; n++) {
      if (random() < 0.05) atOrAbove++;
      // The bound is below the quantile exactly when no more than the allowance are at or above it.
      if (atOrAbove <= allowance[n]!) {
        broken++;
        break;
      }
    }
  }
  assert.ok(broken <= 50, `${broken} of 1000`);
});
