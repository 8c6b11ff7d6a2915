/** Reads what DORA needs from the store: one app's deployments to an environment since a time. */
import type { Store } from '../store/contract.ts';
import { computeDora, type DoraReport } from './dora.ts';

export interface DoraQuery {
  readonly app: string;
  readonly env: string;
  /** How far back, in milliseconds. */
  readonly sinceMs: number;
  readonly now?: number;
  /** "Followed by a fix" window (slipway.yaml `dora.fixWithin`); 0 or absent: not counted. */
  readonly fixWithinMs?: number;
}

export async function doraFromStore(store: Store, q: DoraQuery): Promise<DoraReport> {
  const now = q.now ?? Date.now();
  const since = now - q.sinceMs;
  // Facts only (no deployment state): the period's rows, read from one covering index, and their releases.
  const facts = await store.listDeploymentFacts(q.app, q.env, new Date(since).toISOString());
  return computeDora({
    env: q.env,
    deployments: facts.deployments,
    releaseCreatedAt: facts.releaseCreatedAt,
    since,
    now,
    fixWithinMs: q.fixWithinMs ?? 0,
  });
}
