/**
 * Deployment history as a client reads it: per deployment, what became of it (live, replaced,
 * reverted, rejected by whom, waiting for approval or for the deploy window), with versions, not
 * ids, and the people who decided. Reverts (traffic switches and redeploys) are rows of their own.
 */
import type { Deployment } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import { clientDeployment } from './client.ts';
import type { App } from './compose.ts';

export const CLIENT_STATES = [
  'live',
  'replaced',
  'reverted',
  'rejected',
  'waiting-approval',
  'waiting-window',
  'in-progress',
  'paused',
  'failed',
  'stopped',
] as const;
export type ClientState = (typeof CLIENT_STATES)[number];

export interface ClientHistoryRow {
  readonly id: string;
  readonly env: string;
  readonly version: string;
  readonly fromVersion: string | null;
  /** A revert (a rollback of the environment to an earlier version), not a new version. */
  readonly revert: boolean;
  readonly state: ClientState;
  readonly at: string;
  readonly finishedAt: string | null;
  readonly startedBy: string;
  /** Who approved it, rejected it, or asked for the revert. */
  readonly decidedBy: string | null;
}

/**
 * The state of each finished deployment from what came after it on its environment (`list` is
 * newest first): the newest success still running there is live; one followed by a revert was
 * reverted; one followed by a new version was replaced. Pure.
 */
export function finishedStates(
  list: readonly Pick<Deployment, 'id' | 'env' | 'status' | 'releaseId'>[],
  revertIds: ReadonlySet<string>,
  current: ReadonlyMap<string, string | null>,
): Map<string, ClientState> {
  const out = new Map<string, ClientState>();
  const later = new Map<string, { id: string }>();
  for (const d of list) {
    if (d.status === 'rolled_back') out.set(d.id, 'reverted');
    else if (d.status === 'aborted') out.set(d.id, 'stopped');
    else if (d.status === 'failed') out.set(d.id, 'failed');
    else if (d.status === 'succeeded') {
      const next = later.get(d.env);
      if (!next) out.set(d.id, current.get(d.env) === d.releaseId ? 'live' : 'replaced');
      else out.set(d.id, revertIds.has(next.id) ? 'reverted' : 'replaced');
      later.set(d.env, { id: d.id });
    }
  }
  return out;
}

async function versions(store: Store, app: string, ids: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of new Set(ids)) out.set(id, (await store.findRelease(app, id))?.version ?? id.slice(0, 12));
  return out;
}

export async function clientHistory(
  app: App,
  filter: { readonly env?: string; readonly envs?: readonly string[]; readonly limit: number },
): Promise<ClientHistoryRow[]> {
  const config = app.requireConfig();
  const list = await app.store.listDeployments({
    app: config.app,
    ...(filter.env !== undefined && { env: filter.env }),
    ...(filter.env === undefined && filter.envs && { envs: filter.envs }),
    limit: filter.limit,
  });
  const marks = new Map(list.map((d) => [d.id, storedStateOrUndefined(d)?.rollback]));
  const reverts = new Set(list.filter((d) => marks.get(d.id)).map((d) => d.id));
  const current = new Map(
    (await app.store.listEnvironments(config.app)).map((e) => [e.name, e.releaseId] as const),
  );
  const states = finishedStates(list, reverts, current);
  const names = await versions(
    app.store,
    config.app,
    list.flatMap((d) => [d.releaseId, ...(d.fromReleaseId ? [d.fromReleaseId] : [])]),
  );
  const rows: ClientHistoryRow[] = [];
  for (const d of list) {
    const mark = marks.get(d.id);
    let state = states.get(d.id);
    let decidedBy: string | null = mark?.by ?? null;
    if (!state || d.status === 'failed' || d.status === 'rolled_back') {
      const c = await clientDeployment(app, d);
      if (c.rejectedBy) {
        state = 'rejected';
        decidedBy = c.rejectedBy;
      } else if (!state)
        state =
          c.waiting === 'approval'
            ? 'waiting-approval'
            : c.waiting === 'window'
              ? 'waiting-window'
              : d.status === 'paused'
                ? 'paused'
                : 'in-progress';
      if (!decidedBy && c.approvedBy.length > 0) decidedBy = c.approvedBy.join(', ');
    } else if (!decidedBy) {
      const approved = (await app.store.listApprovals(d.id)).filter((a) => a.decision === 'approve');
      if (approved.length > 0) decidedBy = [...new Set(approved.map((a) => a.user))].join(', ');
    }
    if (d.status === 'rolled_back' && !decidedBy) {
      const by = storedStateOrUndefined(d)?.engine.outcome?.by;
      decidedBy = by ?? null;
    }
    rows.push({
      id: d.id,
      env: d.env,
      version: names.get(d.releaseId) ?? d.releaseId,
      fromVersion: d.fromReleaseId ? (names.get(d.fromReleaseId) ?? null) : null,
      revert: mark !== undefined,
      state,
      at: d.createdAt,
      finishedAt: d.finishedAt,
      startedBy: d.createdBy,
      decidedBy,
    });
  }
  return rows;
}
