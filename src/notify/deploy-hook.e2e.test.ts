/**
 * A deployment only queues its notifications: with a receiver that never answers, a real
 * deployment (real agent and instances) still runs to its end, and its "started" and "succeeded"
 * deliveries wait in the queue, with no secret in their payload.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { TinyProxyRouter } from '../agent/tiny-proxy.ts';
import { composedEngine, type Harness, startHarness } from '../engine/testing.ts';

const hung = createServer(() => undefined);
let h: Harness;
before(async () => {
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  h = await startHarness(new TinyProxyRouter());
});
after(async () => {
  await h?.close();
  hung.closeAllConnections();
  await new Promise<void>((r) => hung.close(() => r()));
});

test('a deployment never waits on delivery; its events are queued for the subscriptions that want them', async () => {
  const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/hook`;
  const yaml = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  staging: { strategy: rolling }
notifications:
  - { name: ops, url: "${url}", secret: { env: staging, key: HOOK }, environments: [staging] }
  - { name: failures-only, url: "${url}", secret: { env: staging, key: HOOK }, events: [deployment.rolled_back, deployment.failed] }
`;
  const { executor, deploy } = await composedEngine(h, yaml);
  const d = await deploy('staging', '1.0.0');
  const done = await executor.run(d.id);
  assert.equal(done.status, 'succeeded');
  const rows = await h.store.notifications.list({});
  assert.deepEqual(rows.map((r) => [r.subscription, r.event, r.status, r.attempts]).sort(), [
    ['ops', 'deployment.started', 'pending', 0],
    ['ops', 'deployment.succeeded', 'pending', 0],
  ]);
  const payload = JSON.parse(rows.find((r) => r.event === 'deployment.succeeded')?.payload ?? '{}');
  assert.equal(payload.type, 'deployment.succeeded');
  assert.equal(payload.data.release, '1.0.0');
  assert.equal(payload.data.deployment, d.id);
  assert.equal(payload.data.startedBy, 'alice');
});
