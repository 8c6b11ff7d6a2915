/** Gathers a post-mortem draft's facts from the store (draft.ts renders them). */
import { AppError } from '../domain/errors.ts';
import type { Deployment, Release } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import { changesOf } from './changes.ts';
import { type DraftFacts, type DraftRelease, postmortemDraft } from './draft.ts';

const DRAFTABLE = new Set(['rolled_back', 'failed']);

function draftRelease(r: Release | undefined): DraftRelease | null {
  return r
    ? { version: r.version, digest: r.digest, commit: r.commit, ci: r.ci, createdAt: r.createdAt }
    : null;
}

export async function postmortemFacts(
  store: Store,
  app: string,
  id: string,
  now = Date.now(),
): Promise<DraftFacts> {
  const d = await store.getDeployment(id);
  if (!d || d.app !== app)
    throw new AppError(
      'DEPLOYMENT_NOT_FOUND',
      `no deployment ${id} of ${app}; \`slipway history\` lists them`,
    );
  // A succeeded deployment that `slipway rollback` later took back is a rolled-back change too.
  const revert = d.status === 'succeeded' ? await revertOf(store, d) : undefined;
  if (!DRAFTABLE.has(d.status) && !revert)
    throw new AppError(
      'USAGE',
      `deployment ${id} is ${d.status}; post-mortem drafts are written for rolled-back or failed deployments, and for those a rollback took back (\`slipway history --status rolled_back\` lists them)`,
    );
  const state = storedStateOrUndefined(d);
  // The state's time line is complete (its first entry is never an event); the stored events add
  // the new release's share of traffic at each entry.
  const weights = new Map<string, number>();
  for (const e of await store.listEvents(d.id, 0, 10_000)) {
    const data = e.data as { what?: string; weight?: number };
    if (e.type === 'timeline' && typeof data.weight === 'number')
      weights.set(`${e.at} ${data.what}`, data.weight);
  }
  const timeline = (state?.engine.timeline ?? []).map((e, i) => {
    const at = new Date(e.at).toISOString();
    return { at, what: e.what, weight: weights.get(`${at} ${e.what}`) ?? (i === 0 ? 0 : null) };
  });
  const mark = revert ? storedStateOrUndefined(revert)?.rollback : undefined;
  if (revert) {
    timeline.push({
      at: new Date(revert.createdAt).toISOString(),
      what: `rollback started (${mark?.kind ?? 'rollback'}, deployment ${revert.id})${mark?.reason ? `: ${mark.reason}` : ''}`,
      weight: null,
    });
    if (revert.finishedAt)
      timeline.push({
        at: revert.finishedAt,
        what: `rollback ${revert.status}; the previous release serves everything`,
        weight: 0,
      });
  }
  const outcome = revert ? undefined : state?.engine.outcome;
  return {
    id: d.id,
    app: d.app,
    env: d.env,
    strategy: d.strategy,
    status: revert ? 'reverted' : d.status,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    // A reverted change's impact lasts until the rollback finished.
    finishedAt: revert ? revert.finishedAt : d.finishedAt,
    reason: revert ? (mark?.reason ?? null) : (d.reason ?? outcome?.reason ?? null),
    release: draftRelease(await store.findRelease(app, d.releaseId)),
    previous: d.fromReleaseId ? draftRelease(await store.findRelease(app, d.fromReleaseId)) : null,
    outcome: outcome
      ? {
          ...(outcome.rule !== undefined && { rule: outcome.rule }),
          ...(outcome.observed !== undefined && { observed: outcome.observed }),
          ...(outcome.threshold !== undefined && { threshold: outcome.threshold }),
          ...(outcome.by !== undefined && { by: outcome.by }),
        }
      : null,
    timeline,
    changes: await changesOf(store, d, revert ? revert.finishedAt : d.finishedAt),
    approvals: (await store.listApprovals(d.id)).map((a) => ({
      user: a.user,
      decision: a.decision,
      at: a.at,
    })),
    now: new Date(now).toISOString(),
  };
}

/** The rollback deployment that took `d`'s release back before any other change, if one did. */
async function revertOf(store: Store, d: Deployment): Promise<Deployment | undefined> {
  const later = await store.listDeployments({ app: d.app, env: d.env, limit: 200 });
  const after = later.filter((x) => x.createdAt >= (d.finishedAt ?? d.createdAt) && x.id !== d.id).reverse();
  for (const x of after) {
    if (storedStateOrUndefined(x)?.rollback) return x.fromReleaseId === d.releaseId ? x : undefined;
    if (x.status !== 'aborted') return undefined; // another change came first
  }
  return undefined;
}

export async function postmortemMarkdown(store: Store, app: string, id: string): Promise<string> {
  return postmortemDraft(await postmortemFacts(store, app, id));
}
