/**
 * What people do at the gates — approve, reject, tick a checklist item, override a gate, push a
 * release past the lifecycle rule — checked, stored, audited (who, when, what, why) and put on the
 * deployment's timeline (an event of type `gate`). The CLI and the API call these.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import {
  type Approval,
  type ChecklistTick,
  type Deployment,
  isTerminal,
  type Release,
} from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { approverProblem } from './approvals.ts';
import { checklistItems, tickable } from './checklist.ts';
import { checkPromotion } from './promotion.ts';

type Config = Pick<SlipwayConfig, 'app' | 'environments' | 'users'>;
export const OVERRIDE_ROLE = 'admin';
export type OverridableGate = 'window' | 'checklist';

async function load(store: Store, id: string): Promise<Deployment> {
  const d = await store.getDeployment(id);
  if (!d)
    throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}; list them with \`slipway history\``);
  return d;
}

export async function record(
  store: Store,
  d: Deployment,
  actor: string,
  action: string,
  what: string,
  data: object,
  via: string | undefined,
) {
  const at = new Date().toISOString();
  await store.appendAudit({
    actor,
    action,
    target: d.id,
    // How the actor was established (token, session, os-user, SLIPWAY_USER): part of every decision.
    data: { env: d.env, release: d.releaseId, ...data, identity: via ?? 'unstated' },
  });
  await store.appendEvent({
    deploymentId: d.id,
    app: d.app,
    env: d.env,
    type: 'gate',
    at,
    data: { what, by: actor, identity: via ?? 'unstated' },
  });
}

function knownUser(config: Config, user: string, fix: string): void {
  if (!config.users || !(user in config.users)) {
    throw new AppError(
      'USER_UNKNOWN',
      `unknown user "${user}": slipway.yaml has no such entry under users:; add it with its roles, e.g. users: { ${user}: [${fix}] }, or act as a listed user (the OS user; SLIPWAY_USER only where identity.allowSlipwayUser allows it)`,
    );
  }
}

/** Record a go or no-go from `user` on a running deployment. */
export async function decide(input: {
  store: Store;
  config: Config;
  user: string;
  id: string;
  decision: 'approve' | 'reject';
  reason: string | null;
  /** How `user` was established, recorded with the decision. */
  via?: string;
}): Promise<Approval> {
  const { store, config, user, decision } = input;
  const d = await load(store, input.id);
  if (decision === 'reject' && !input.reason?.trim()) {
    throw new AppError(
      'USAGE',
      `a rejection needs a reason: slipway reject ${d.id} --reason "what is wrong"`,
    );
  }
  const problem = approverProblem({
    policy: config.environments[d.env]?.approval,
    users: config.users,
    user,
    env: d.env,
    deployment: { ...d, finished: isTerminal(d.status) },
    decision,
  });
  if (problem) throw new AppError(problem.code, problem.message);
  const approval = await store.addApproval({
    deploymentId: d.id,
    releaseId: d.releaseId,
    user,
    decision,
    reason: input.reason,
  });
  const what = `${decision === 'approve' ? 'approved' : 'rejected'} by ${user}${input.reason ? `: ${input.reason}` : ''}`;
  await record(store, d, user, `gate.${decision}`, what, { reason: input.reason }, input.via);
  return approval;
}

/** Tick a manual checklist item of a deployment as `user`. */
export async function tick(input: {
  store: Store;
  config: Config;
  user: string;
  id: string;
  item: string;
  note: string | null;
  via?: string;
}): Promise<{ tick: ChecklistTick; created: boolean }> {
  const { store, config, user } = input;
  knownUser(config, user, 'deployer');
  const d = await load(store, input.id);
  if (isTerminal(d.status)) {
    throw new AppError(
      'APPROVAL_REFUSED',
      `deployment ${d.id} is already ${d.status}; its checklist is closed`,
    );
  }
  const item = tickable(checklistItems(config.environments[d.env]?.checklist), input.item);
  if (typeof item === 'string') throw new AppError('CHECKLIST_ITEM_UNKNOWN', item);
  const result = await store.tickChecklistItem({ deploymentId: d.id, item: item.id, user, note: input.note });
  if (result.created) {
    await record(
      store,
      d,
      user,
      'gate.checklist.tick',
      `checked "${item.text}" (${item.id})`,
      {
        item: item.id,
        note: input.note,
      },
      input.via,
    );
  }
  return result;
}

/** An emergency override of a window or the checklist: a holder of the admin role, with a reason. */
export async function override(input: {
  store: Store;
  config: Config;
  user: string;
  id: string;
  gate: OverridableGate;
  reason: string;
  via?: string;
}): Promise<void> {
  const { store, config, user } = input;
  knownUser(config, user, OVERRIDE_ROLE);
  requireAdmin(
    config,
    user,
    input.reason,
    `slipway override ${input.id} --gate ${input.gate} --reason "why"`,
  );
  const d = await load(store, input.id);
  if (isTerminal(d.status))
    throw new AppError('OVERRIDE_REFUSED', `deployment ${d.id} is already ${d.status}`);
  await store.tickChecklistItem({
    deploymentId: d.id,
    item: `override:${input.gate}`,
    user,
    note: input.reason,
  });
  await record(
    store,
    d,
    user,
    `gate.${input.gate}.override`,
    `${input.gate} gate overridden by ${user}: ${input.reason}`,
    { reason: input.reason },
    input.via,
  );
}

/** The override recorded for a gate of a deployment, if any. */
export async function overrideOf(
  store: Store,
  id: string,
  gate: OverridableGate,
): Promise<ChecklistTick | undefined> {
  return (await store.listChecklistTicks(id)).find((t) => t.item === `override:${gate}`);
}

function requireAdmin(config: Config, user: string, reason: string | undefined, usage: string): void {
  if (!reason?.trim()) throw new AppError('OVERRIDE_REFUSED', `an override needs a reason: ${usage}`);
  if (!config.users?.[user]?.includes(OVERRIDE_ROLE)) {
    throw new AppError(
      'OVERRIDE_REFUSED',
      `user "${user}" may not override gates: that needs the role ${OVERRIDE_ROLE} under users: in slipway.yaml (their roles: ${(config.users?.[user] ?? []).join(', ') || 'none'})`,
    );
  }
}

/**
 * The lifecycle rule, enforced before a deployment takes its environment's lock: refused (and
 * audited) unless the release passed the environment before, or an admin overrides with a reason.
 */
export async function enforcePromotion(input: {
  store: Store;
  config: Config;
  env: string;
  release: Release;
  user: string;
  override?: { readonly reason: string };
  via?: string;
}): Promise<'passed' | 'overridden'> {
  const { store, config, env, release, user } = input;
  const verdict = await checkPromotion(store, config, env, release);
  if (verdict.ok) return 'passed';
  const data = {
    env,
    release: release.version,
    digest: release.digest,
    rule: verdict.rule,
    refused: verdict.reason,
  };
  if (!input.override) {
    await store.appendAudit({
      actor: user,
      action: 'gate.promotion.refused',
      target: `${config.app}/${env}`,
      data,
    });
    throw new AppError('PROMOTION_REFUSED', verdict.reason);
  }
  if (user) knownUser(config, user, OVERRIDE_ROLE);
  requireAdmin(config, user, input.override.reason, `--override "why"`);
  await store.appendAudit({
    actor: user,
    action: 'gate.promotion.override',
    target: `${config.app}/${env}`,
    data: { ...data, reason: input.override.reason, identity: input.via ?? 'unstated' },
  });
  return 'overridden';
}
