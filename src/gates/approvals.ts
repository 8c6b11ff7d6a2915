/**
 * Go/no-go: does a deployment have the approvals its environment asks for? Pure — the stored
 * approvals, the users' roles and the time are arguments — so each rule is tested on exact output.
 *
 * An approval counts when it is for this deployment *and* this release (a newly proposed release
 * starts from zero), comes from a user holding the role, and — where four-eyes applies — not from
 * the person who started the deployment. Each user counts once. A rejection by a holder of the
 * role ends the deployment with its reason.
 */
import type { Approval } from '../domain/types.ts';

export interface ApprovalPolicy {
  readonly required: number;
  readonly role: string;
  readonly selfApproval: boolean;
  readonly timeoutMs?: number;
}

/** User name → roles, from slipway.yaml `users:`. */
export type Users = Readonly<Record<string, readonly string[]>>;

export interface ApprovalSubject {
  readonly id: string;
  readonly releaseId: string;
  readonly createdBy: string;
}

export type ApprovalVerdict =
  | { readonly state: 'approved'; readonly by: readonly string[] }
  | { readonly state: 'waiting'; readonly by: readonly string[]; readonly reason: string }
  | { readonly state: 'rejected'; readonly by: string; readonly reason: string }
  | { readonly state: 'timed-out'; readonly reason: string };

const holds = (users: Users, user: string, role: string) => users[user]?.includes(role) === true;

export function evaluateApprovals(input: {
  readonly policy: ApprovalPolicy;
  readonly users: Users;
  readonly deployment: ApprovalSubject;
  readonly approvals: readonly Approval[];
  /** When the deployment began waiting for approval (epoch ms), and now. */
  readonly since: number;
  readonly now: number;
}): ApprovalVerdict {
  const { policy, users, deployment } = input;
  const valid = input.approvals.filter(
    (a) =>
      a.deploymentId === deployment.id &&
      a.releaseId === deployment.releaseId &&
      holds(users, a.user, policy.role) &&
      (policy.selfApproval || a.user !== deployment.createdBy),
  );
  const rejection = valid.find((a) => a.decision === 'reject');
  if (rejection) {
    return {
      state: 'rejected',
      by: rejection.user,
      reason: `rejected by ${rejection.user}: ${rejection.reason ?? 'no reason given'}`,
    };
  }
  const by = [...new Set(valid.filter((a) => a.decision === 'approve').map((a) => a.user))];
  if (by.length >= policy.required) return { state: 'approved', by };
  if (policy.timeoutMs !== undefined && input.now - input.since >= policy.timeoutMs) {
    return {
      state: 'timed-out',
      reason: `no go/no-go decision within ${Math.round(policy.timeoutMs / 60_000)} min: ${by.length} of ${policy.required} approval(s) from role ${policy.role}`,
    };
  }
  return {
    state: 'waiting',
    by,
    reason: `waiting for approval: ${by.length} of ${policy.required} from role ${policy.role}${by.length ? ` (so far: ${by.join(', ')})` : ''}; approve with \`slipway approve ${deployment.id}\``,
  };
}

/**
 * Why `user` may not record a decision on this deployment, or null when they may. Messages name
 * the value and the fix.
 */
export function approverProblem(input: {
  readonly policy: ApprovalPolicy | undefined;
  readonly users: Users | undefined;
  readonly user: string;
  readonly env: string;
  readonly deployment: ApprovalSubject & { readonly finished: boolean; readonly status: string };
  readonly decision: 'approve' | 'reject';
}): { code: 'USER_UNKNOWN' | 'APPROVAL_REFUSED'; message: string } | null {
  const { policy, users, user, deployment, env } = input;
  if (!users || !(user in users)) {
    return {
      code: 'USER_UNKNOWN',
      message: `unknown user "${user}": slipway.yaml has no such entry under users:; add it with its roles, e.g. users: { ${user}: [${policy?.role ?? 'approver'}] }, or act as a listed user (the OS user; SLIPWAY_USER only where identity.allowSlipwayUser allows it)`,
    };
  }
  if (deployment.finished) {
    return {
      code: 'APPROVAL_REFUSED',
      message: `deployment ${deployment.id} is already ${deployment.status}; a decision can only be made while it runs — start a new deployment instead`,
    };
  }
  if (!policy) {
    return {
      code: 'APPROVAL_REFUSED',
      message: `environment ${env} asks for no approval (no approval: in slipway.yaml), so deployment ${deployment.id} needs none`,
    };
  }
  if (!holds(users, user, policy.role)) {
    return {
      code: 'APPROVAL_REFUSED',
      message: `user "${user}" does not hold the role ${policy.role} that ${env} approvals need (their roles: ${(users[user] ?? []).join(', ') || 'none'}); add the role under users: in slipway.yaml`,
    };
  }
  if (input.decision === 'approve' && !policy.selfApproval && user === deployment.createdBy) {
    return {
      code: 'APPROVAL_REFUSED',
      message: `"${user}" started deployment ${deployment.id} and ${env} forbids approving one's own deployment (four-eyes); another holder of the role ${policy.role} must approve`,
    };
  }
  return null;
}
