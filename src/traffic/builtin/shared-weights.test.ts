import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SharedWeights } from './shared-weights.ts';

test('shared weights: a write is read once, in order; nothing written reads as no change', () => {
  const writer = new SharedWeights(2);
  const reader = new SharedWeights(writer.buffer);
  assert.equal(reader.count, 2);
  assert.equal(reader.changed(), undefined);
  writer.write([30, 70]);
  assert.deepEqual(reader.changed(), [30, 70]);
  assert.equal(reader.changed(), undefined);
  writer.write([0, 100]);
  writer.write([100, 0]);
  assert.deepEqual(reader.changed(), [100, 0], 'the newest write, not each one');
  assert.throws(() => writer.write([100]), /1 weights for 2 releases/);
});

test('shared weights: a reader in another thread never sees a torn write', async () => {
  const writer = new SharedWeights(3);
  // The reader checks that every set it sees adds up to 100 while the writer rewrites constantly.
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     import(workerData.url).then(({ SharedWeights }) => {
       const reader = new SharedWeights(workerData.buffer);
       let reads = 0, torn = 0;
       const end = Date.now() + 300;
       while (Date.now() < end) {
         const w = reader.changed();
         if (w === undefined) continue;
         reads++;
         if (w[0] + w[1] + w[2] !== 100) torn++;
       }
       parentPort.postMessage({ reads, torn });
     });`,
    {
      eval: true,
      workerData: { buffer: writer.buffer, url: new URL('./shared-weights.ts', import.meta.url).href },
    },
  );
  const result = new Promise<{ reads: number; torn: number }>((resolve) => worker.once('message', resolve));
  let i = 0;
  const until = Date.now() + 400;
  while (Date.now() < until) {
    const a = i % 101;
    writer.write([a, 100 - a, 0]);
    i++;
    if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
  }
  const { reads, torn } = await result;
  await worker.terminate();
  assert.ok(reads > 0, 'the reader saw writes');
  assert.equal(torn, 0);
});
