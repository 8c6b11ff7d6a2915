import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasBinary, serviceSkip } from '../../testing.ts';
import { runTrafficContract } from '../contract.case.test.ts';
import { freePort, load, startBackend } from '../testing.ts';
import { NginxRouter } from './router.ts';

runTrafficContract({
  name: 'nginx',
  create: () => new NginxRouter(),
  reloadsOnWeightChange: true,
  skipAll: serviceSkip('nginx', hasBinary('nginx'), 'apt-get install nginx'),
  skip: [
    {
      reason: 'nginx keeps no per-release windowed metrics; read them from access logs or Prometheus',
      tests: ['metrics count requests by status class'],
    },
  ],
});

const nginxSkip = serviceSkip('nginx', hasBinary('nginx'), 'apt-get install nginx');

test('nginx: weight changes under load reload gracefully; only requests on keep-alive connections nginx closes are resent', {
  skip: nginxSkip,
}, async () => {
  const router = new NginxRouter();
  const [a, b] = [await startBackend('a'), await startBackend('b')];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const state = (wa: number) => ({
    env: 'reload',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: 'v1', weight: wa, backends: [a.backend] },
      { release: 'v2', weight: 100 - wa, backends: [b.backend] },
    ],
  });
  try {
    await router.apply(state(100));
    let stop = false;
    const during = (async () => {
      let failed = 0;
      let served = 0;
      let retried = 0;
      const errors: string[] = [];
      while (!stop) {
        const r = await load(url, 40, { concurrency: 4, retryClosed: true });
        failed += r.failed;
        retried += r.retried;
        served += 40;
        errors.push(...r.errors.keys());
      }
      return { failed, served, retried, errors };
    })();
    for (const w of [90, 75, 50, 0, 100, 0]) await router.setWeights('reload', { v1: w, v2: 100 - w });
    stop = true;
    const r = await during;
    // An old nginx worker closes its keep-alive connections on reload (idle ones at once, busy
    // ones after a response that still said keep-alive); a request the client sent on one at that
    // instant is resent by the client, as browsers do (RFC 9112 §9.3.1). Nothing else may fail.
    assert.equal(
      r.failed,
      0,
      `${r.failed} of ${r.served} failed across 6 reloads (${r.errors}); ${r.retried} resent`,
    );
    assert.ok(router.lastReloadMs !== undefined && router.lastReloadMs > 0);
  } finally {
    await router.close();
    await Promise.all([a.close(), b.close()]);
  }
});
