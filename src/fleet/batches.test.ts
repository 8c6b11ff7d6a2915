import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSize, hostBatches } from './batches.ts';

test('one host at a time by default', () => {
  assert.deepEqual(hostBatches(['a', 'b', 'c'], undefined), [['a'], ['b'], ['c']]);
});

test('a number of hosts, never all of them: one host always serves', () => {
  assert.deepEqual(hostBatches(['a', 'b', 'c'], 2), [['a', 'b'], ['c']]);
  assert.equal(batchSize(3, 10), 2);
  assert.equal(batchSize(4, '100%'), 3);
  assert.deepEqual(hostBatches(['a'], 5), [['a']]);
});

test('a share of the hosts is rounded up, never below one', () => {
  assert.equal(batchSize(10, '25%'), 3);
  assert.equal(batchSize(3, '1%'), 1);
  assert.deepEqual(hostBatches(['a', 'b', 'c', 'd'], '50%'), [
    ['a', 'b'],
    ['c', 'd'],
  ]);
});
