/**
 * The server's host reconciler against a real SQLite store and a recording plane (the SSH side of
 * reconciling is covered end to end in fleet-engine.e2e.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { seedDeployment } from '../server/testing.ts';
import { openStore } from '../store/factory.ts';
import { tempDir } from '../testing.ts';
import { startHostReconciler } from './reconciler.ts';

const dir = tempDir('slipway-reconciler-');
after(() => dir.cleanup());
let subs = 0;
const sub = () => {
  const path = join(dir.path, String(++subs));
  mkdirSync(path);
  return path;
};

function recordingPlane(answers: Record<string, string[]>) {
  const asked: string[] = [];
  return {
    asked,
    plane: {
      fleetEnvs: Object.keys(answers),
      reconcileHosts: async (env: string) => {
        asked.push(env);
        return answers[env] ?? [];
      },
    },
  };
}

test('a pass reconciles each fleet environment without a deployment in flight and audits the hosts given the state', async () => {
  const store = await openStore(undefined, dir.path);
  try {
    await seedDeployment(store, { env: 'staging', status: 'running' });
    const { plane, asked } = recordingPlane({
      staging: ['10.0.0.2: given the desired state (r1 100%)'],
      production: ['10.0.0.3: given the desired state (r2 100%)', '10.0.0.4: not reconciled: timed out'],
    });
    const reconciler = startHostReconciler({
      app: 'shop',
      plane,
      store,
      leading: () => true,
      intervalMs: 60_000,
    });
    const lines = await reconciler.pass();
    await reconciler.stop();
    assert.deepEqual(asked, ['production'], 'staging has a deployment in flight: it owns its hosts');
    assert.deepEqual(lines, [
      'production: 10.0.0.3: given the desired state (r2 100%)',
      'production: 10.0.0.4: not reconciled: timed out',
    ]);
    const audit = (await store.listAudit()).filter((a) => a.action === 'hosts.reconciled');
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0]?.data, { env: 'production', hosts: ['10.0.0.3'] });
  } finally {
    await store.close();
  }
});

test('a server that does not lead changes no host', async () => {
  const store = await openStore(undefined, sub());
  try {
    const { plane, asked } = recordingPlane({ production: ['10.0.0.3: given the desired state (r2 100%)'] });
    const reconciler = startHostReconciler({
      app: 'shop',
      plane,
      store,
      leading: () => false,
      intervalMs: 60_000,
    });
    assert.deepEqual(await reconciler.pass(), []);
    await reconciler.stop();
    assert.deepEqual(asked, []);
  } finally {
    await store.close();
  }
});

test('passes run on the interval, one at a time, and stop with stop()', async () => {
  const store = await openStore(undefined, sub());
  try {
    let open = 0;
    let most = 0;
    let calls = 0;
    const plane = {
      fleetEnvs: ['production'],
      reconcileHosts: async () => {
        calls++;
        most = Math.max(most, ++open);
        await new Promise((r) => setTimeout(r, 60));
        open--;
        return [];
      },
    };
    const reconciler = startHostReconciler({
      app: 'shop',
      plane,
      store,
      leading: () => true,
      intervalMs: 20,
    });
    // Until a few passes ran (not a fixed time: a loaded machine can take 300 ms for one pass).
    const deadline = Date.now() + 10_000;
    while (calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await reconciler.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(after >= 2, `passes ran on the interval (${after})`);
    assert.equal(most, 1, 'never two passes at once');
    assert.equal(calls, after, 'no pass after stop');
  } finally {
    await store.close();
  }
});
