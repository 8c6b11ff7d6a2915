/** Domain data to API shapes: what the API shows of a deployment, a release, a token. */

import { rollbackOf, stepsOf } from '../app/views.ts';
import type { ApiToken, User } from '../domain/auth.ts';
import type { Approval, Deployment, Release } from '../domain/types.ts';
import { describeStep } from '../engine/machine.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';

export const deploymentView = (d: Deployment) => ({
  id: d.id,
  app: d.app,
  env: d.env,
  releaseId: d.releaseId,
  fromReleaseId: d.fromReleaseId,
  strategy: d.strategy,
  status: d.status,
  reason: d.reason,
  createdBy: d.createdBy,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
  finishedAt: d.finishedAt,
  rollback: rollbackOf(d),
});

export const releaseView = (r: Release) => ({
  id: r.id,
  app: r.app,
  version: r.version,
  digest: r.digest,
  commit: r.commit,
  ci: r.ci,
  createdAt: r.createdAt,
  createdBy: r.createdBy,
  notes: r.notes,
  report: r.report ? { ...r.report, failed: [...r.report.failed] } : null,
});

export const releaseDetailView = (r: Release) => ({ ...releaseView(r), files: r.files, bytes: r.bytes });

export const tokenView = (t: ApiToken) => ({
  id: t.id,
  user: t.user,
  name: t.name,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
});

export const userView = (u: User) => ({
  name: u.name,
  createdAt: u.createdAt,
  createdBy: u.createdBy,
  grants: [...u.grants],
});

/** Progress of a deployment from its stored engine state (a state this version cannot read shows empty). */
export function progressView(d: Deployment) {
  const state = storedStateOrUndefined(d);
  const engine = state?.engine;
  return {
    progress: {
      status: engine?.status ?? d.status,
      step: engine?.step ?? 0,
      weight: engine?.weight ?? 0,
      plan: (engine?.plan ?? []).map((step) => ({
        kind: step.kind,
        description: describeStep(step),
        ...('weight' in step && { weight: step.weight }),
        ...('durationMs' in step && { durationMs: step.durationMs }),
      })),
      outcome: engine?.outcome ?? null,
    },
    timeline: (engine?.timeline ?? []).map((t) => ({ at: new Date(t.at).toISOString(), what: t.what })),
    analysis: state?.guard ?? null,
    steps: stepsOf(state),
  };
}

export const approvalView = (a: Approval) => ({
  user: a.user,
  decision: a.decision,
  reason: a.reason,
  at: a.at,
});
