/**
 * The rollout engine for the analysis benchmarks: a real agent with the builtin router in this
 * process (src/engine/testing.ts), real instances of the example shop, the real guard (fast
 * profile) built by the control plane's composition root, and helpers to deploy and run a
 * release to its end.
 */

import { createApp } from '../src/app/compose.ts';
import { lazyProjectSecrets } from '../src/app/secrets.ts';
import type { Deployment } from '../src/domain/types.ts';
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
  const app = createApp({
    store: h.store,
    agent: h.agent,
    config,
    projectDir: h.dir,
    dataDir: h.dataDir,
    secrets: lazyProjectSecrets(config, h.dir, {}),
    processEnv: {},
  });
  const executor = app.executor();
  return {
    h,
    executor,
    async deploy(env, version, faults) {
      const release = await h.release(version, faults);
      const { deployment: d } = await app.deploy(env, release.id, 'bench');
      return { id: d.id, releaseId: release.id, run: executor.run(d.id) };
    },
    async port(env) {
      return (await h.agent.status(env)).listen.port;
    },
    close: () => h.close(),
  };
}
