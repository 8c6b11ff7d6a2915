import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { runTrafficContract } from '../contract.case.test.ts';
import { freePort, startBackend } from '../testing.ts';
import { ThreadedRouter } from './threaded-router.ts';

runTrafficContract({ name: 'builtin in its thread', create: () => new ThreadedRouter() });

test('builtin in its thread: a refused state keeps its error code and message', async () => {
  const router = new ThreadedRouter();
  const port = await freePort();
  const busy = await startBackend('busy');
  await assert.rejects(
    router.apply({
      env: 'e',
      listen: { host: '127.0.0.1', port: busy.backend.port },
      releases: [],
    }),
    (e) => isAppError(e) && e.code === 'TRAFFIC_DRIVER_FAILED' && /pick a free port/.test(e.message),
  );
  await assert.rejects(router.setWeights('nowhere', { v1: 100 }), (e) => isAppError(e));
  await router.apply({ env: 'e', listen: { host: '127.0.0.1', port }, releases: [] });
  assert.match(await router.prometheus(), /^#|^$/);
  await busy.close();
  await router.close();
  await assert.rejects(
    router.apply({ env: 'e', listen: { host: '127.0.0.1', port }, releases: [] }),
    /closed/,
  );
});

test('builtin in its thread: weight changes sent back to back end on the last one', async () => {
  const router = new ThreadedRouter();
  const [a, b] = [await startBackend('a'), await startBackend('b')];
  const port = await freePort();
  await router.apply({
    env: 'e',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: 'v1', weight: 100, backends: [a.backend] },
      { release: 'v2', weight: 0, backends: [b.backend] },
    ],
  });
  const flips = Array.from({ length: 20 }, (_, i) =>
    router.setWeights('e', i % 2 === 0 ? { v1: 0, v2: 100 } : { v1: 100, v2: 0 }),
  );
  flips.push(router.setWeights('e', { v1: 0, v2: 100 }));
  await Promise.all(flips);
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    seen.add(res.headers.get('x-backend') ?? '');
    await res.arrayBuffer();
  }
  assert.deepEqual([...seen], ['b']);
  await router.close();
  await a.close();
  await b.close();
});

test('builtin in its thread: a router thread that ends unasked ends the process (so a supervisor restarts it), with the reason', () => {
  const script = `
    import { ThreadedRouter } from ${JSON.stringify(new URL('./threaded-router.ts', import.meta.url).href)};
    const router = new ThreadedRouter();
    await router.prometheus();
    setInterval(() => {}, 1000);
    router.worker.terminate();
  `;
  // A file, not --eval: the router thread inherits the process's flags, and --input-type is not for a file.
  const dir = mkdtempSync(join(tmpdir(), 'slipway-thread-'));
  const file = join(dir, 'ends.mjs');
  writeFileSync(file, script);
  const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', file], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  rmSync(dir, { recursive: true, force: true });
  assert.notEqual(run.status, 0, 'the process ended with an error');
  assert.equal(run.signal, null, 'it ended by itself, not by the timeout');
  assert.match(run.stderr, /the builtin router thread exited/);
});
