/**
 * Rebuilding the agent's desired state from the control plane's (`slipway agent rebuild`), for an
 * agent whose state file was lost or corrupt: it kept the instances running (see Agent.restore)
 * but no longer knows what to route. For each environment the store says runs a release and the
 * agent holds nothing for, the desired state is made again from the deployment that put that
 * release there (its stored context: listen address, command, instance count, plain vars,
 * secret versions) and sent to the agent, which adopts the running instances with the same spec
 * (same pids) instead of starting new ones. Environments the agent already holds are left alone.
 * What was in flight (a canary's split) is not rebuilt: the environment's current release gets
 * all the traffic, as `slipway status` records it.
 */

import { addressOf } from '../domain/address.ts';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import type { Deployment } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { type DeploymentContext, desiredBody, pinsOf, type ReleaseRun, sensitiveKeysOf } from './context.ts';
import type { SecretsPort } from './ports.ts';
import { storedStateOrUndefined } from './stored-state.ts';

export interface RebuildDeps {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly app: string;
  readonly secrets: SecretsPort;
}

export type RebuildOutcome =
  | { readonly env: string; readonly outcome: 'kept'; readonly address: string }
  | { readonly env: string; readonly outcome: 'nothing-deployed' }
  | { readonly env: string; readonly outcome: 'no-record'; readonly releaseId: string }
  | {
      readonly env: string;
      readonly outcome: 'rebuilt';
      readonly releaseId: string;
      readonly address: string;
      readonly pids: readonly (number | null)[];
    };

/** The context of the newest deployment that ran `releaseId` in `env`, and that release's run. */
async function contextOf(
  store: Store,
  app: string,
  env: string,
  releaseId: string,
): Promise<{ ctx: DeploymentContext; run: ReleaseRun } | undefined> {
  const deployments: readonly Deployment[] = await store.listDeployments({ app, env, limit: 200 });
  for (const d of deployments) {
    const ctx = storedStateOrUndefined(d)?.ctx;
    if (ctx?.release.id === releaseId) return { ctx, run: ctx.release };
    if (ctx?.stable?.id === releaseId) return { ctx, run: ctx.stable };
  }
  return undefined;
}

export async function rebuildAgentState(
  deps: RebuildDeps,
  envs: readonly string[],
): Promise<RebuildOutcome[]> {
  const current = new Map((await deps.store.listEnvironments(deps.app)).map((e) => [e.name, e]));
  const outcomes: RebuildOutcome[] = [];
  for (const env of envs) {
    const held = await deps.agent.desired(env);
    if (held) {
      outcomes.push({ env, outcome: 'kept', address: addressOf(held.listen) });
      continue;
    }
    const releaseId = current.get(env)?.releaseId;
    if (!releaseId) {
      outcomes.push({ env, outcome: 'nothing-deployed' });
      continue;
    }
    const found = await contextOf(deps.store, deps.app, env, releaseId);
    if (!found) {
      outcomes.push({ env, outcome: 'no-record', releaseId });
      continue;
    }
    const { ctx, run } = found;
    const values = await deps.secrets.values(env, pinsOf(ctx, run), sensitiveKeysOf(ctx, run));
    const only: DeploymentContext = { ...ctx, release: run, stable: null };
    const body = desiredBody(
      only,
      { weight: 100, newCount: ctx.run.instances, stableCount: 0 },
      { [run.id]: values },
    );
    const status = await deps.agent.putEnv(env, body);
    outcomes.push({
      env,
      outcome: 'rebuilt',
      releaseId,
      address: addressOf(ctx.listen),
      pids: status.releases.flatMap((r) => r.instances.map((i) => i.pid)),
    });
  }
  return outcomes;
}
