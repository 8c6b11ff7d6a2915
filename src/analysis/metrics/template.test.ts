import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promDuration, render } from './template.ts';

test('promDuration uses the largest exact unit', () => {
  assert.deepEqual([600_000, 30_000, 1500, 7_200_000, 90_000, 0].map(promDuration), [
    '10m',
    '30s',
    '1500ms',
    '2h',
    '90s',
    '1ms',
  ]);
});

test('render fills every placeholder and escapes values', () => {
  const q = { env: 'prod', release: 'v2 "beta"', metric: 'p95', windowMs: 300_000, now: 0 };
  assert.equal(
    render('{{env}}/{{ release }}/{{metric}}/{{window}}/{{windowSeconds}}', q, encodeURIComponent),
    'prod/v2%20%22beta%22/p95/5m/300',
  );
});
