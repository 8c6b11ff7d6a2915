import assert from 'node:assert/strict';
import { tempDir } from '../../testing.ts';
import { runRuntimeContract } from '../contract.case.test.ts';
import { ProcessRuntime } from './process-runtime.ts';
import { exampleSpec, PidTracker } from './testing.ts';

runRuntimeContract({
  name: 'process',
  async create() {
    const release = tempDir('slipway-release-');
    const state = tempDir('slipway-state-');
    const runtime = new ProcessRuntime({
      stateDir: state.path,
      policy: { backoff: { baseMs: 50, maxMs: 500 } },
    });
    const pids = new PidTracker();
    return {
      runtime,
      spec: (overrides) => exampleSpec(release.path, overrides),
      async cleanup() {
        const instances = await runtime.list();
        pids.add(...instances.map((i) => i.pid));
        for (const { env, release: rel } of instances) await runtime.stop(env, rel);
        await runtime.close();
        const left = pids.leftovers();
        pids.killAll();
        release.cleanup();
        state.cleanup();
        assert.deepEqual(left, []);
      },
    };
  },
});
