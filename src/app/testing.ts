/**
 * For engine and gates tests that drive their own Executor (fake guard, virtual clock): start a
 * deployment the way the app does (lifecycle rule, then lock, context from the project's values,
 * plan, record) without building the rest of the app.
 */
import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment, Release } from '../domain/types.ts';
import type { DeploymentContext } from '../engine/context.ts';
import { startDeployment } from '../engine/deploy.ts';
import type { Executor } from '../engine/executor.ts';
import type { EngineStrategy } from '../engine/strategy.ts';
import { enforcePromotion } from '../gates/decisions.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { deploymentContext } from './engine.ts';
import { lazyProjectSecrets } from './secrets.ts';
import { EnvValues } from './values.ts';

export interface StartForTest {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly executor: Executor;
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly release: Release;
  readonly user: string;
  readonly dataDir: string;
  readonly now: number;
  /** Default: the folder holding `dataDir`. */
  readonly projectDir?: string;
  readonly secrets?: SecretStore;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  readonly rollback?: boolean;
  readonly override?: { readonly reason: string };
  readonly tune?: (ctx: DeploymentContext) => DeploymentContext;
  readonly strategy?: EngineStrategy;
  readonly watchMs?: number;
  /** The values cache of the app whose executor drives it (so it reads afresh, as the app does). */
  readonly values?: EnvValues;
}

export async function startForTest(input: StartForTest): Promise<Deployment> {
  const projectDir = input.projectDir ?? `${input.dataDir}/..`;
  input.values?.fresh(input.env);
  const values =
    input.values ??
    new EnvValues({
      config: input.config,
      projectDir,
      dataDir: input.dataDir,
      secrets: input.secrets ?? lazyProjectSecrets(input.config, projectDir, input.processEnv),
      ...(input.processEnv && { processEnv: input.processEnv }),
    });
  const promotion = input.rollback
    ? { rollback: true }
    : await enforcePromotion({ ...input, ...(input.override && { override: input.override }) });
  return startDeployment({
    store: input.store,
    executor: input.executor,
    config: input.config,
    env: input.env,
    release: input.release,
    user: input.user,
    now: input.now,
    promotion,
    context: (stable) =>
      deploymentContext({
        config: input.config,
        env: input.env,
        release: input.release,
        stable,
        dataDir: input.dataDir,
        agent: input.agent,
        store: input.store,
        values,
        ...(input.rollback && { rollback: true }),
      }),
    ...(input.rollback && {
      rollback: { reason: 'test rollback', by: input.user, kind: 'redeploy' as const },
    }),
    ...(input.tune && { tune: input.tune }),
    ...(input.strategy && { strategy: input.strategy }),
    ...(input.watchMs !== undefined && { watchMs: input.watchMs }),
  });
}
