/**
 * What is true of an environment: the release the store records, the deployment in flight (and
 * whether anyone still drives it), and what the data plane actually serves, asked of the agent.
 * Any difference between the record and the data plane is drift; an agent that cannot be asked
 * is said to be so, never shown as a serving release. `status`, the API and the dashboard read this.
 */
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { isAppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { contradiction, servedLine } from './premise.ts';
import {
  inFlight,
  live,
  type Served,
  type Standing,
  served,
  standing,
  standingLine,
  waysOut,
} from './reconcile.ts';

export interface EnvironmentTruth {
  readonly env: string;
  /** The release the store records as the environment's (its last successful deployment). */
  readonly release: { readonly id: string; readonly version: string } | null;
  readonly deployment: (Standing & { readonly line: string; readonly next: string }) | null;
  readonly served: Served & { readonly line: string };
  /** How the data plane differs from the record, in words; null when they agree or the agent is unreachable. */
  readonly drift: string | null;
}

export async function environmentTruth(
  store: Store,
  agent: AgentClient,
  app: string,
  env: string,
): Promise<EnvironmentTruth> {
  const state = (await store.listEnvironments(app)).find((e) => e.name === env);
  const release = state?.releaseId ? await store.findRelease(app, state.releaseId) : undefined;
  const d = await inFlight(store, app, env);
  // An environment with hosts whose hosts cannot be asked (a key not pinned, …) is shown as such.
  const now = await served(agent, env).catch((error: unknown): Served => {
    if (isAppError(error) && error.code.startsWith('HOST_'))
      return { reachable: false, error: error.message, releases: [] };
    throw error;
  });
  const line = await servedLine(store, app, now);
  let drift: string | null = null;
  if (now.reachable) {
    if (d) drift = contradiction(d, now) ?? null;
    else {
      const taking = live(now);
      const expected = state?.releaseId ?? null;
      const foreign = taking.find((r) => r.release !== expected);
      if (foreign || (expected && taking.length === 0))
        drift = `the record says ${release?.version ?? expected ?? 'nothing'}, the agent serves ${line}`;
    }
  }
  const s = d ? await standing(store, d) : null;
  return {
    env,
    release: release ? { id: release.id, version: release.version } : null,
    deployment: s && {
      ...s,
      line: standingLine(s),
      next:
        s.state === 'interrupted'
          ? waysOut(env)
          : `follow it with \`slipway status ${env}\`; \`slipway abort ${env}\` stops it`,
    },
    served: { ...now, line },
    drift,
  };
}
