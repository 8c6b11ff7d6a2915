import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolves, wilsonBounds } from './bounds.ts';

test('wilson bounds: 10 errors in 200 requests lie between about 3% and 8.2%', () => {
  const { low, high } = wilsonBounds(0.05, 200);
  assert.deepEqual([low.toFixed(4), high.toFixed(4)], ['0.0301', '0.0819']);
});

test('wilson bounds: no errors is not a zero-width interval, and it narrows with more requests', () => {
  assert.equal(wilsonBounds(0, 100).low, 0);
  assert.ok(wilsonBounds(0, 100).high > 0.02);
  assert.ok(wilsonBounds(0, 10_000).high < 0.0003);
});

test('resolves: bounds decide only when narrower than the distance to the limit', () => {
  assert.equal(resolves(0.03, 0.08, 0.05), true);
  assert.equal(resolves(0, 0.08, 0.05), false);
  assert.equal(resolves(1, Number.POSITIVE_INFINITY, 1), false);
});
