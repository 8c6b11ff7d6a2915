import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { eventually, PidTracker } from '../runtime/process/testing.ts';
import { tempDir } from '../testing.ts';
import { deployBlueGreen, rollbackBlueGreen } from './bluegreen.ts';
import { createAgentClient } from './client.ts';
import { runAgent } from './main.ts';
import { exampleRelease, pidsOf } from './testing.ts';
import { TinyProxyRouter } from './tiny-proxy.ts';

/** Bounded load: `workers` loops of sequential GETs until `stop()` or `max` requests in all. */
function load(port: number, workers: number, max: number) {
  const bodies: string[] = [];
  const failures: string[] = [];
  let running = true;
  const worker = async () => {
    while (running && bodies.length + failures.length < max) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        const body = await response.text();
        if (response.status === 200) bodies.push(body);
        else failures.push(`${response.status} ${body}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, worker));
  return {
    bodies,
    failures,
    async stop() {
      running = false;
      await done;
    },
  };
}

test('blue-green through a real tiny HTTP proxy: no request fails across the switch and the rollback', async () => {
  const release = tempDir('slipway-release-');
  const state = tempDir('slipway-agent-');
  const pids = new PidTracker();
  const router = new TinyProxyRouter();
  const running = await runAgent({ stateDir: state.path, router });
  const client = createAgentClient({
    url: running.url,
    token: readFileSync(running.tokenFile, 'utf8').trim(),
  });
  try {
    await deployBlueGreen(client, 'production', exampleRelease(release.path, 'v1', { count: 2 }), {
      warmMs: 60_000,
      listen: { port: 0 },
    });
    pids.add(...pidsOf(await client.status('production')));
    const traffic = load(router.port('production'), 4, 5000);

    const deployed = await deployBlueGreen(client, 'production', exampleRelease(release.path, 'v2'), {
      warmMs: 60_000,
    });
    pids.add(...pidsOf(await client.status('production')));
    const afterSwitch = traffic.bodies.length;
    await eventually(() => (traffic.bodies.length >= afterSwitch + 30 ? true : undefined));
    const rolledBack = await rollbackBlueGreen(client, 'production');
    const afterRollback = traffic.bodies.length;
    await eventually(() => (traffic.bodies.length >= afterRollback + 30 ? true : undefined));
    await traffic.stop();

    assert.equal(deployed.previous, 'v1');
    assert.equal(rolledBack.outcome, 'switched');
    assert.deepEqual(traffic.failures, []);
    assert.ok(traffic.bodies.length > 0);
    assert.ok(traffic.bodies.slice(afterSwitch + 8, afterRollback).includes('hello from v2'));
    // Some requests may still be in flight at the rollback; what starts after it goes to v1.
    assert.ok(traffic.bodies.slice(afterRollback + 8).every((body) => body === 'hello from v1'));
  } finally {
    for (const env of await client.statusAll()) await client.deleteEnv(env.env);
    await running.close();
    const left = pids.leftovers();
    pids.killAll();
    release.cleanup();
    state.cleanup();
    assert.deepEqual(left, []);
  }
});
