/**
 * How the executor answers a data plane of several hosts (`DataPlane.hostEvents`, src/fleet/plane.ts):
 * over a real agent and builtin router, the host events are scripted here (the namespace hosts'
 * version is src/fleet/fleet-engine.e2e.test.ts). A note lands in the timeline; a fault with
 * `pause` pauses the canary naming the host, and it goes on once resumed; `rollback` rolls it back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../app/compose.ts';
import { lazyProjectSecrets } from '../app/secrets.ts';
import { BuiltinRouter } from '../traffic/builtin/router.ts';
import type { HostEvent } from './ports.ts';
import { type Harness, startHarness } from './testing.ts';

const yaml = `app: shop
run: { command: node server.js, instances: 1, health: { interval: 200ms, timeout: 200ms, startTimeout: 15s }, stopTimeout: 2s }
environments:
  production:
    profile: fast
    inconclusive: wait
    strategy: { canary: { steps: [{ weight: 20, pause: 2s }, { weight: 100 }] } }
`;

describe('host events from a data plane of several hosts (scripted events, real agent)', () => {
  let h: Harness;
  let script: (weight: number) => HostEvent[] = () => [];
  before(async () => {
    h = await startHarness(new BuiltinRouter());
  });
  after(async () => {
    await h.close();
  });

  const engine = () => {
    const config = h.config(yaml);
    // The agent's answers, plus the scripted host events keyed on the weight the agent serves now.
    const agent = {
      ...h.agent,
      hostEvents: async (env: string) => {
        const status = await h.agent.status(env).catch(() => undefined);
        const weight = status?.releases.at(-1)?.weight ?? 0;
        return status && status.releases.length > 1 ? script(weight) : [];
      },
    };
    const app = createApp({
      config,
      projectDir: h.dir,
      dataDir: h.dataDir,
      store: h.store,
      secrets: lazyProjectSecrets(config, h.dir),
      agent,
      intervalMs: 200,
    });
    const deploy = async (version: string) => {
      if (!(await h.store.findRelease('shop', version))) await h.release(version);
      return (await app.deploy('production', version, 'alice')).deployment;
    };
    return { app, executor: app.executor(), deploy };
  };
  const timeline = async (id: string) =>
    (await h.store.listEvents(id))
      .filter((e) => e.type === 'timeline')
      .map((e) => (e.data as { what: string }).what)
      .join('\n');

  test('a note is recorded; a pause fault pauses naming the host, and the canary goes on once resumed', async () => {
    const { executor, deploy, app } = engine();
    const first = await deploy('1.0.0');
    assert.equal((await executor.run(first.id)).status, 'succeeded');
    let faulty = true;
    let noted = false;
    script = (weight) => {
      const events: HostEvent[] = [];
      if (!noted) {
        noted = true;
        events.push({ kind: 'note', what: 'host 10.0.0.13 serves r2 worse than its peers' });
      }
      if (faulty && weight === 20)
        events.push({ kind: 'pause', what: 'host 10.0.0.12 unreachable (timed out) (hostFailure: pause)' });
      return events;
    };
    const second = await deploy('2.0.0');
    const running = executor.run(second.id);
    let paused = false;
    for (let i = 0; i < 200 && !paused; i++) {
      paused = (await h.store.getDeployment(second.id))?.status === 'paused';
      if (!paused) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(paused, 'the host fault pauses the deployment');
    faulty = false;
    await app.act(second.id, { action: 'resume' }, 'alice');
    const end = await running;
    assert.equal(end.status, 'succeeded', end.reason ?? '');
    const text = await timeline(second.id);
    assert.match(text, /host 10\.0\.0\.13 serves r2 worse than its peers/);
    assert.match(text, /paused by host 10\.0\.0\.12 unreachable \(timed out\) \(hostFailure: pause\)/);
  });

  test('a rollback fault rolls the canary back, the host named in the reason', async () => {
    const { executor, deploy } = engine();
    script = (weight) =>
      weight > 0
        ? [{ kind: 'rollback', what: 'host 10.0.0.12 unreachable (timed out) (hostFailure: rollback)' }]
        : [];
    const third = await deploy('3.0.0');
    const end = await executor.run(third.id);
    assert.equal(end.status, 'rolled_back');
    assert.match(end.reason ?? '', /host 10\.0\.0\.12 unreachable \(timed out\) \(hostFailure: rollback\)/);
    const serving = (await h.agent.status('production')).releases.filter((r) => r.weight > 0);
    assert.equal(serving.length, 1);
    assert.equal(serving[0]?.weight, 100);
  });
});
