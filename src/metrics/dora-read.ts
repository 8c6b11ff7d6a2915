/** Reads what DORA needs from the store: one app's deployments to an environment since a time. */
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import { computeDora, type DoraDeployment, type DoraReport } from './dora.ts';

const PAGE = 500;

export interface DoraQuery {
  readonly app: string;
  readonly env: string;
  /** How far back, in milliseconds. */
  readonly sinceMs: number;
  readonly now?: number;
}

export async function doraFromStore(store: Store, q: DoraQuery): Promise<DoraReport> {
  const now = q.now ?? Date.now();
  const since = now - q.sinceMs;
  const sinceIso = new Date(since).toISOString();
  const deployments: DoraDeployment[] = [];
  let before: { at: string; id: string } | undefined;
  // Newest first, a page at a time, until the page reaches before the period.
  for (;;) {
    const page = await store.listDeployments({
      app: q.app,
      env: q.env,
      limit: PAGE,
      ...(before && { before: before.at, beforeId: before.id }),
    });
    for (const d of page) {
      if (d.createdAt < sinceIso) continue;
      deployments.push({
        id: d.id,
        env: d.env,
        releaseId: d.releaseId,
        fromReleaseId: d.fromReleaseId,
        status: d.status,
        createdAt: d.createdAt,
        finishedAt: d.finishedAt,
        isRollback: storedStateOrUndefined(d)?.rollback !== undefined,
      });
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE || last.createdAt < sinceIso) break;
    before = { at: last.createdAt, id: last.id };
  }
  const releaseCreatedAt = new Map<string, string>();
  for (const id of new Set(deployments.map((d) => d.releaseId))) {
    const r = await store.findRelease(q.app, id);
    if (r) releaseCreatedAt.set(id, r.createdAt);
  }
  return computeDora({ env: q.env, deployments, releaseCreatedAt, since, now });
}
