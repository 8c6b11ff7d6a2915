import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hasBinary, serviceSkip } from '../../testing.ts';
import { runRouterStateContract, runTrafficContract } from '../contract.case.test.ts';
import { freePort, load, startBackend } from '../testing.ts';
import { HaproxyRouter } from './router.ts';

runTrafficContract({
  name: 'haproxy',
  create: () => new HaproxyRouter(),
  skipAll: serviceSkip('haproxy', hasBinary('haproxy'), 'apt-get install haproxy'),
  leftOut: [
    {
      reason: 'HAProxy keeps cumulative counters only; its windowed metrics come from a Prometheus query',
      tests: ['metrics count requests by status class'],
    },
  ],
});

runRouterStateContract({
  name: 'haproxy',
  create: () => new HaproxyRouter(),
  skipAll: serviceSkip('haproxy', hasBinary('haproxy'), 'apt-get install haproxy'),
});

describe('haproxy: structural changes', {
  skip: serviceSkip('haproxy', hasBinary('haproxy'), 'apt-get install haproxy'),
}, () => {
  test('more releases than slots and a new stickiness reload HAProxy without failing a request', async () => {
    const router = new HaproxyRouter();
    const bs = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => startBackend(n)));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const base = { env: 'grow', listen: { host: '127.0.0.1', port } };
    try {
      await router.apply({ ...base, releases: [{ release: 'v1', weight: 100, backends: [bs[0]!.backend] }] });
      const during = load(url, 300, { concurrency: 4 });
      // Six releases do not fit the four pre-allocated slots: a graceful reload.
      const releases = bs.map((b, i) => ({
        release: `v${i + 1}`,
        weight: i === 5 ? 100 : 0,
        backends: [b.backend],
      }));
      await router.apply({ ...base, releases });
      await router.apply({ ...base, releases, stickiness: { kind: 'cookie', name: 'uid' } });
      const r = await during;
      assert.equal(r.failed, 0, JSON.stringify([...r.statuses]));
      // A connection opened before a reload gets one more answer from the old worker (with the
      // old routing, then "Connection: close"); after that every request sees the new state.
      assert.equal((await load(url, 20)).failed, 0);
      const after = await load(url, 20);
      assert.deepEqual([...after.byBackend], [['f', 20]]);
      const preview = await fetch(url, { headers: { 'x-slipway-release': 'v3' } });
      assert.equal(preview.headers.get('x-backend'), 'c');
    } finally {
      await router.close();
      await Promise.all(bs.map((b) => b.close()));
    }
  });
});
