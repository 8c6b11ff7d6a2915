/**
 * The rollout engine for the analysis benchmarks: a real agent with the builtin router in this
 * process (src/engine/testing.ts), real instances of the example shop, the real guard (fast
 * profile) built by the control plane's composition root, and helpers to deploy and run a
 * release to its end.
 */

import type { Deployment } from '../src/domain/types.ts';
import { createExecutor } from '../src/engine/compose.ts';
import { startDeployment } from '../src/engine/deploy.ts';
import type { Executor } from '../src/engine/executor.ts';
import { type Harness, startHarness } from '../src/engine/testing.ts';
import { BuiltinRouter } from '../src/traffic/builtin/router.ts';

export interface EngineBench {
  readonly h: Harness;
  readonly executor: Executor;
  /** Register `version` (with faults baked into the build) and run a deployment of it to its end. */
  deploy(
    env: string,
    version: string,
    faults?: Record<string, unknown>,
  ): Promise<{ id: string; releaseId: string; run: Promise<Deployment> }>;
  port(env: string): Promise<number>;
  close(): Promise<void>;
}

export async function startEngineBench(yaml: string): Promise<EngineBench> {
  const h = await startHarness(new BuiltinRouter());
  let config: ReturnType<Harness['config']>;
  try {
    config = h.config(yaml);
  } catch (error) {
    await h.close();
    throw error;
  }
  const executor = createExecutor({
    store: h.store,
    agent: h.agent,
    config,
    projectDir: h.dir,
    dataDir: h.dataDir,
    processEnv: {},
  });
  return {
    h,
    executor,
    async deploy(env, version, faults) {
      const release = await h.release(version, faults);
      const d = await startDeployment({
        store: h.store,
        agent: h.agent,
        executor,
        config,
        env,
        release,
        user: 'bench',
        dataDir: h.dataDir,
        projectDir: h.dir,
        processEnv: {},
        now: Date.now(),
      });
      return { id: d.id, releaseId: release.id, run: executor.run(d.id) };
    },
    async port(env) {
      return (await h.agent.status(env)).listen.port;
    },
    close: () => h.close(),
  };
}
