import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, normalUpperTail } from './normal.ts';

// Textbook values of the standard normal (any z table; here to 7 digits from SciPy 1.17 norm.cdf/sf).
const close = (actual: number, expected: number, tol = 2e-7) =>
  assert.ok(Math.abs(actual - expected) < tol, `${actual} is not within ${tol} of ${expected}`);

test('normalCdf matches z-table values', () => {
  close(normalCdf(0), 0.5);
  close(normalCdf(1.96), 0.9750021);
  close(normalCdf(-1), 0.1586553);
});

test('normalUpperTail gives the one-sided p-values used for significance', () => {
  close(normalUpperTail(2.326347874), 0.01);
  close(normalUpperTail(3), 0.0013499);
  close(normalUpperTail(1.6448536), 0.05);
});
