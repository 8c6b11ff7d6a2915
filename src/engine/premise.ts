/**
 * Before `resume`, `abort` or `rollback` act on an environment, the agent is asked what it really
 * serves. An action whose premise is stale (the deployment believes one split, the data plane
 * serves another release) is refused with what is true now, instead of switching live traffic
 * on a record that no longer describes it.
 */
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { Deployment } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { live, type Served, served } from './reconcile.ts';
import { parseStoredState } from './stored-state.ts';

/** "2.0.0 at 25% (2/2 healthy), 1.0.0 at 75% (2/2 healthy)", with versions for release ids. */
export async function servedLine(store: Store, app: string, s: Served): Promise<string> {
  if (!s.reachable) return `agent not reachable (${s.error ?? 'no answer'})`;
  const taking = live(s);
  if (taking.length === 0) return s.releases.length === 0 ? 'nothing' : 'no release takes traffic';
  const parts = await Promise.all(
    taking.map(async (r) => {
      const version = (await store.findRelease(app, r.release))?.version ?? r.release;
      return `${version} at ${r.weight}% (${r.healthy}/${r.instances} healthy)`;
    }),
  );
  return parts.join(', ');
}

/** Why the data plane contradicts the deployment `d`, or undefined when it agrees. */
export function contradiction(d: Deployment, s: Served): string | undefined {
  const { engine, ctx } = parseStoredState(d);
  const ours = new Set([ctx.release.id, ...(ctx.stable ? [ctx.stable.id] : [])]);
  const foreign = live(s).find((r) => !ours.has(r.release));
  if (foreign)
    return `release ${foreign.release} takes ${foreign.weight}% of traffic, and this deployment knows nothing of it`;
  if (engine.status === 'rolling_back') return undefined;
  const weight = s.releases.find((r) => r.release === ctx.release.id)?.weight ?? 0;
  const step = engine.plan[engine.step];
  // A shift in progress may have reached its weight already; a rolling batch's weight follows counts.
  const expected = new Set([engine.weight, ...(step?.kind === 'shift' ? [step.weight] : [])]);
  if (step?.kind !== 'scale' && !expected.has(weight))
    return `${ctx.release.version} takes ${weight}% of traffic where the deployment recorded ${engine.weight}%`;
  if (ctx.stable && engine.weight < 100 && live(s).length === 0)
    return `no release takes traffic, where ${ctx.stable.version} should serve ${100 - engine.weight}%`;
  return undefined;
}

/**
 * Refuse to act on `d` when the agent cannot be asked (AGENT_UNAVAILABLE) or serves something the
 * deployment does not describe (DEPLOYMENT_STALE, naming what is served now).
 */
export async function requirePremise(
  store: Store,
  agent: AgentClient,
  d: Deployment,
  action: string,
): Promise<void> {
  // Before its first data-plane step a deployment holds no belief about what is served: nothing to check.
  const { engine } = parseStoredState(d);
  const reached = engine.plan.slice(0, engine.step + (engine.stepStartedAt === null ? 0 : 1));
  if (!reached.some((step) => step.kind === 'start' || step.kind === 'shift' || step.kind === 'scale'))
    return;
  const now = await served(agent, d.env);
  if (!now.reachable)
    throw new AppError(
      'AGENT_UNAVAILABLE',
      `cannot ${action} deployment ${d.id}: the agent cannot be asked what ${d.env} serves (${now.error}); start it with \`slipway agent\` and try again`,
    );
  const wrong = contradiction(d, now);
  if (!wrong) return;
  throw new AppError(
    'DEPLOYMENT_STALE',
    `refused to ${action} deployment ${d.id} on ${d.env}: ${wrong}. The agent serves ${await servedLine(store, d.app, now)} now. ` +
      `Acting on the record would change live traffic on a wrong premise; \`slipway abort ${d.env} --record-only\` closes the record and leaves traffic as it is`,
  );
}

/**
 * A rollback with no deployment in flight rests on the environment running the release the store
 * names: refused when another release takes traffic, or when the agent cannot be asked.
 */
export async function requireEnvPremise(
  store: Store,
  agent: AgentClient,
  app: string,
  env: string,
  action: string,
): Promise<void> {
  const now = await served(agent, env);
  if (!now.reachable)
    throw new AppError(
      'AGENT_UNAVAILABLE',
      `cannot ${action} ${env}: the agent cannot be asked what it serves (${now.error}); start it with \`slipway agent\` and try again`,
    );
  const current = (await store.listEnvironments(app)).find((e) => e.name === env)?.releaseId ?? null;
  const foreign = live(now).find((r) => r.release !== current);
  if (!foreign) return;
  throw new AppError(
    'DEPLOYMENT_STALE',
    `refused to ${action} ${env}: the store says it runs ${current ?? 'nothing'}, but the agent serves ${await servedLine(store, app, now)}; \`slipway status\` shows the drift — deploy the release you want there explicitly`,
  );
}
