import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickSmooth, pickSticky, stickyPoint } from './split.ts';

test('split: smooth round-robin is exact over 100 picks', () => {
  const current: number[] = [];
  const counts = [0, 0, 0];
  for (let i = 0; i < 100; i++) counts[pickSmooth([60, 30, 10], [true, true, true], current)]!++;
  assert.deepEqual(counts, [60, 30, 10]);
});

test('split: smooth round-robin skips ineligible releases and returns -1 when none is left', () => {
  const current: number[] = [];
  for (let i = 0; i < 10; i++) assert.equal(pickSmooth([50, 50], [false, true], current), 1);
  assert.equal(pickSmooth([100, 0], [false, true], current), -1);
});

test('split: sticky points spread evenly over [0,100)', () => {
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 10_000; i++) buckets[Math.floor(stickyPoint(`user-${i}`) / 10)]++;
  for (const n of buckets) assert.ok(n > 850 && n < 1150, `bucket of ${n} users (want ~1000)`);
});

test('split: while the new release only grows, no sticky user flips back (every step 0→100)', () => {
  const users = Array.from({ length: 2000 }, (_, i) => `u${i}`);
  const points = users.map(stickyPoint);
  let onNew = new Set<number>();
  for (let w = 0; w <= 100; w++) {
    const now = new Set<number>();
    points.forEach((p, i) => {
      if (pickSticky(p, [100 - w, w], [true, true]) === 1) now.add(i);
    });
    for (const i of onNew) assert.ok(now.has(i), `user ${users[i]} left the new release at weight ${w}`);
    onNew = now;
  }
  assert.equal(onNew.size, users.length);
});

test('split: sticky pick with the chosen release unavailable asks for a fallback', () => {
  assert.equal(pickSticky(5, [90, 10], [true, false]), -1);
  assert.equal(pickSticky(50, [90, 10], [true, false]), 0);
});
