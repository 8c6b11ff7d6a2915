/** Row ↔ domain mapping, kept apart from queries so the store reads as queries only. */
import type {
  Approval,
  AuditEntry,
  ChecklistTick,
  CiResult,
  Decision,
  Deployment,
  DeploymentEvent,
  DeploymentStatus,
  EnvironmentState,
  Release,
  TestReport,
} from '../../domain/types.ts';
import type { Tables } from './tables.ts';

type Row<T extends keyof Tables> = {
  [K in keyof Tables[T]]: Tables[T][K] extends { __select__: infer S } ? S : Tables[T][K];
};

export const parseJson = (text: string): unknown => JSON.parse(text);

export function toRelease(r: Row<'releases'>): Release {
  return {
    id: r.id,
    app: r.app,
    version: r.version,
    digest: r.digest,
    commit: r.commit,
    ci: r.ci as CiResult,
    createdAt: r.created_at,
    createdBy: r.created_by,
    files: Number(r.files),
    bytes: Number(r.bytes),
    notes: r.notes,
    report: r.ci_report === null || r.ci_report === undefined ? null : (parseJson(r.ci_report) as TestReport),
  };
}

export function toEnvironment(r: Row<'environments'>): EnvironmentState {
  return {
    app: r.app,
    name: r.name,
    releaseId: r.release_id,
    previousReleaseId: r.previous_release_id,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

export function toDeployment(r: Row<'deployments'>): Deployment {
  return {
    id: r.id,
    app: r.app,
    env: r.env,
    releaseId: r.release_id,
    fromReleaseId: r.from_release_id,
    strategy: r.strategy,
    status: r.status as DeploymentStatus,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
    state: parseJson(r.state),
    revision: Number(r.revision),
    auditHead:
      r.audit_seq === null || r.audit_hash === null ? null : { seq: Number(r.audit_seq), hash: r.audit_hash },
  };
}

export function toEvent(r: Row<'events'>): DeploymentEvent {
  return {
    id: Number(r.id),
    deploymentId: r.deployment_id,
    app: r.app,
    env: r.env,
    type: r.type,
    at: r.at,
    data: parseJson(r.data),
  };
}

export function toApproval(r: Row<'approvals'>): Approval {
  return {
    id: r.id,
    deploymentId: r.deployment_id,
    releaseId: r.release_id,
    user: r.user_name,
    decision: r.decision as Decision,
    reason: r.reason,
    at: r.at,
  };
}

export function toTick(r: Row<'checklist_items'>): ChecklistTick {
  return { deploymentId: r.deployment_id, item: r.item, user: r.user_name, note: r.note, at: r.at };
}

export function toAudit(r: Row<'audit'>): AuditEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    data: parseJson(r.data),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
