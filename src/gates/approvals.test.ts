import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Approval } from '../domain/types.ts';
import { type ApprovalPolicy, approverProblem, evaluateApprovals } from './approvals.ts';

const users = { alice: ['deployer', 'approver'], bob: ['approver'], carol: ['approver'], dave: ['deployer'] };
const deployment = { id: 'dep-1', releaseId: 'rel-2', createdBy: 'alice' };
const policy: ApprovalPolicy = { required: 2, role: 'approver', selfApproval: false, timeoutMs: 3_600_000 };
let n = 0;
const a = (
  user: string,
  decision: 'approve' | 'reject' = 'approve',
  extra: Partial<Approval> = {},
): Approval => ({
  id: `apr-${++n}`,
  deploymentId: 'dep-1',
  releaseId: 'rel-2',
  user,
  decision,
  reason: null,
  at: '2026-03-25T10:00:00.000Z',
  ...extra,
});
const judge = (approvals: Approval[], p: ApprovalPolicy = policy, now = 1000) =>
  evaluateApprovals({ policy: p, users, deployment, approvals, since: 0, now });

describe('evaluateApprovals', () => {
  test('waits, naming who approved so far and how to approve', () => {
    assert.deepEqual(judge([a('bob')]), {
      state: 'waiting',
      by: ['bob'],
      reason:
        'waiting for approval: 1 of 2 from role approver (so far: bob); approve with `slipway approve dep-1`',
    });
  });

  test('N distinct holders of the role approve it', () => {
    assert.deepEqual(judge([a('bob'), a('bob'), a('carol')]), { state: 'approved', by: ['bob', 'carol'] });
  });

  test('four-eyes: the deployer approving their own deployment does not count, unless allowed', () => {
    assert.equal(judge([a('alice'), a('bob')]).state, 'waiting');
    assert.deepEqual(judge([a('alice'), a('bob')], { ...policy, selfApproval: true }), {
      state: 'approved',
      by: ['alice', 'bob'],
    });
  });

  test('approvals from users without the role, or for another release or deployment, do not count', () => {
    const verdict = judge([
      a('dave'),
      a('mallory'),
      a('bob', 'approve', { releaseId: 'rel-1' }),
      a('carol', 'approve', { deploymentId: 'dep-0' }),
    ]);
    assert.deepEqual(verdict.state === 'waiting' && verdict.by, []);
  });

  test('a rejection ends it with its reason, even after enough approvals', () => {
    assert.deepEqual(judge([a('bob'), a('carol'), a('carol', 'reject', { reason: 'checkout is broken' })]), {
      state: 'rejected',
      by: 'carol',
      reason: 'rejected by carol: checkout is broken',
    });
  });

  test('no decision within the timeout ends it', () => {
    assert.deepEqual(judge([a('bob')], policy, 3_600_000), {
      state: 'timed-out',
      reason: 'no go/no-go decision within 60 min: 1 of 2 approval(s) from role approver',
    });
    assert.equal(
      judge([a('bob')], { ...policy, timeoutMs: undefined } as ApprovalPolicy, 9e12).state,
      'waiting',
    );
  });
});

describe('approverProblem', () => {
  const base = {
    policy,
    users,
    env: 'production',
    deployment: { ...deployment, finished: false, status: 'running' },
    decision: 'approve' as const,
  };
  test('an unknown user is named with the fix', () => {
    assert.deepEqual(approverProblem({ ...base, user: 'eve' }), {
      code: 'USER_UNKNOWN',
      message:
        'unknown user "eve": slipway.yaml has no such entry under users:; add it with its roles, e.g. users: { eve: [approver] }, or act as a listed user (the OS user; SLIPWAY_USER only where identity.allowSlipwayUser allows it)',
    });
  });
  test('a finished deployment takes no decisions', () => {
    const p = approverProblem({
      ...base,
      user: 'bob',
      deployment: { ...base.deployment, finished: true, status: 'succeeded' },
    });
    assert.equal(
      p?.message,
      'deployment dep-1 is already succeeded; a decision can only be made while it runs — start a new deployment instead',
    );
  });
  test('a user without the role is refused, naming their roles', () => {
    assert.equal(
      approverProblem({ ...base, user: 'dave' })?.message,
      'user "dave" does not hold the role approver that production approvals need (their roles: deployer); add the role under users: in slipway.yaml',
    );
  });
  test('self-approval is refused where four-eyes applies; a self-rejection is allowed', () => {
    assert.equal(
      approverProblem({ ...base, user: 'alice' })?.message,
      `"alice" started deployment dep-1 and production forbids approving one's own deployment (four-eyes); another holder of the role approver must approve`,
    );
    assert.equal(approverProblem({ ...base, user: 'alice', decision: 'reject' }), null);
    assert.equal(approverProblem({ ...base, user: 'bob' }), null);
  });
});
