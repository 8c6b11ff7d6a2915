/**
 * The per-environment lock, proven across real OS processes sharing one store, on both backends:
 * two processes never hold it at once, and a lock held by a process killed with SIGKILL is
 * recovered by the next one that asks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../src/store/factory.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { repoRoot } from '../src/testing.ts';

const worker = join(repoRoot, 'test/fixtures/lock-worker.ts');
const node = process.execPath;

function run(args: string[]): { child: ReturnType<typeof spawn>; output: Promise<string> } {
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', worker, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout?.on('data', (chunk) => {
    text += chunk;
  });
  const output = once(child, 'exit').then(([code]) => {
    if (code !== 0 && code !== null) throw new Error(`lock worker exited with ${code}`);
    return text;
  });
  return { child, output };
}

function intervals(text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (const line of text.trim().split('\n')) {
    const [word, at] = line.split(' ');
    if (word === 'start') start = Number(at);
    if (word === 'end') out.push([start, Number(at)]);
  }
  return out;
}

for (const backend of BACKENDS) {
  describe(`environment lock across processes: ${backend.name}`, async () => {
    const skip = await backend.skip();

    test('two processes never hold the same lock at once', { skip }, async () => {
      const { url, cleanup } = await backend.fresh();
      try {
        await (await openStore(url, repoRoot)).close(); // create the schema before the race
        const [a, b] = [
          run(['hold', url, 'env:shop/staging', '6']),
          run(['hold', url, 'env:shop/staging', '6']),
        ];
        const all = [...intervals(await a.output), ...intervals(await b.output)].sort((x, y) => x[0] - y[0]);
        assert.equal(all.length, 12);
        for (let i = 1; i < all.length; i++) {
          const [prev, next] = [all[i - 1] as [number, number], all[i] as [number, number]];
          assert.ok(next[0] >= prev[1], `critical sections overlap: ${prev} and ${next}`);
        }
      } finally {
        await cleanup();
      }
    });

    test('a lock held by a process killed with SIGKILL is recovered', { skip }, async () => {
      const { url, cleanup } = await backend.fresh();
      try {
        const holder = run(['grab', url, 'env:shop/production']);
        await new Promise<void>((resolve) =>
          holder.child.stdout?.on('data', (c) => String(c).includes('acquired') && resolve()),
        );
        const store = await openStore(url, repoRoot);
        try {
          const me = { id: 'recoverer', pid: process.pid, host: hostname() };
          assert.equal(
            (await store.acquireLock('env:shop/production', me, 60_000)).acquired,
            false,
            'held while the holder lives',
          );
          holder.child.kill('SIGKILL');
          await holder.output;
          const result = await store.acquireLock('env:shop/production', me, 60_000);
          assert.equal(result.acquired, true);
          assert.equal(result.acquired && result.recoveredFrom?.pid, holder.child.pid);
        } finally {
          await store.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
}
