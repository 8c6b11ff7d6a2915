/**
 * The business-metric trigger (`rollbackIf.businessMetric`: url + path + dropAbove) through the
 * composed engine, against a small real HTTP JSON endpoint that answers per release: a new
 * release whose orders rate falls more than 20% under the stable one's is rolled back; one within
 * the allowance goes through. Traffic and instances are real (builtin router, example app).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import { composedEngine, type Harness, startHarness, startLoad } from './testing.ts';

describe('business-metric drop trigger over an http JSON endpoint (real agent, builtin router)', () => {
  let h: Harness;
  let stats: Server;
  /** Orders per minute by release id; the endpoint answers { "orders": { "rate": N } }. */
  const rates = new Map<string, number>();
  const asked: string[] = [];
  let url = '';
  before(async () => {
    h = await startHarness(new BuiltinRouter());
    stats = createServer((req, res) => {
      const release = new URL(req.url ?? '/', 'http://stats').searchParams.get('release') ?? '';
      asked.push(release);
      const rate = rates.get(release);
      res.writeHead(rate === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rate === undefined ? { error: 'unknown release' } : { orders: { rate } }));
    });
    await new Promise<void>((r) => stats.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(stats.address() as AddressInfo).port}/stats?release={{release}}`;
  });
  after(async () => {
    await h.close();
    stats.close();
  });

  const yaml = () => `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    strategy: { canary: { steps: [{ weight: 50, analysis: { duration: 1500ms } }, { weight: 100 }] } }
    rollbackIf:
      businessMetric: { url: "${url}", path: orders.rate, dropAbove: 20% }
`;

  test('a drop beyond the allowance rolls back; one within it goes through', async () => {
    const { executor, deploy } = await composedEngine(h, yaml());
    const first = await deploy('production', '1.0.0');
    rates.set(first.releaseId, 100);
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    const port = (await h.agent.status('production')).listen.port;
    const load = startLoad({
      url: `http://127.0.0.1:${port}/api/products`,
      workers: 2,
      gapMs: 10,
      maxMs: 60_000,
    });
    try {
      const bad = await deploy('production', '2.0.0');
      rates.set(bad.releaseId, 60);
      const rolled = await executor.run(bad.id);
      assert.equal(rolled.status, 'rolled_back');
      assert.match(rolled.reason ?? '', /business-drop is 60, 40(\.0)?% below baseline 100/);
      assert.ok(asked.includes(bad.releaseId) && asked.includes(first.releaseId), 'both releases were asked');
      assert.deepEqual(
        (await h.agent.status('production')).releases.map((r) => [r.release, r.weight]),
        [[first.releaseId, 100]],
      );

      const fine = await deploy('production', '3.0.0');
      rates.set(fine.releaseId, 90);
      const done = await executor.run(fine.id);
      assert.equal(done.status, 'succeeded', done.reason ?? '');
    } finally {
      const figures = await load.stop();
      assert.deepEqual(figures.failures, []);
    }
  });
});
