import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { eventually, PidTracker } from '../runtime/process/testing.ts';
import { tempDir } from '../testing.ts';
import type { RouteState } from '../traffic/contract.ts';
import { FakeRouter } from '../traffic/fake-router.ts';
import { createAgentClient } from './client.ts';
import { runAgent } from './main.ts';
import { exampleBody, exampleRelease, pidsOf } from './testing.ts';

/** A fake router that refuses to apply while `refusing`, as when the listener port is still taken. */
class RefusingFakeRouter extends FakeRouter {
  refusing = true;
  applies = 0;
  override async apply(state: RouteState): Promise<void> {
    this.applies++;
    if (this.refusing) throw new Error(`listen EADDRINUSE 127.0.0.1:${state.listen.port}`);
    return super.apply(state);
  }
}

test('an environment that cannot be restored is reported in its status and retried until it works (fake router)', async () => {
  const release = tempDir('slipway-release-');
  const state = tempDir('slipway-agent-');
  const pids = new PidTracker();
  let running = await runAgent({ stateDir: state.path, router: new FakeRouter() });
  const token = readFileSync(running.tokenFile, 'utf8').trim();
  try {
    let client = createAgentClient({ url: running.url, token });
    const before = await client.putEnv('staging', exampleBody([exampleRelease(release.path, 'v1')]));
    pids.add(...pidsOf(before));
    await running.close();

    const router = new RefusingFakeRouter();
    running = await runAgent({ stateDir: state.path, router, retryMs: 100 });
    client = createAgentClient({ url: running.url, token });
    const failed = await client.status('staging');
    assert.match(failed.error ?? '', /EADDRINUSE/);
    assert.deepEqual(pidsOf(failed), pidsOf(before), 'the instances keep running meanwhile');
    await eventually(() => (router.applies >= 2 ? true : undefined)); // retried, still refused
    router.refusing = false;

    const restored = await eventually(async () => {
      const status = await client.status('staging');
      return status.error === undefined ? status : undefined;
    });
    assert.deepEqual(pidsOf(restored), pidsOf(before));
    assert.deepEqual(router.weights('staging'), { v1: 100 });
    await client.deleteEnv('staging');
  } finally {
    await running.close();
    const left = pids.leftovers();
    pids.killAll();
    release.cleanup();
    state.cleanup();
    assert.deepEqual(left, []);
  }
});
