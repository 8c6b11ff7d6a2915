/**
 * What a person does to a deployment, whichever path it comes from (CLI in this process, the
 * API, the dashboard): approve, reject, pause, resume, abort, rollback, check a checklist item,
 * override a gate. Each is checked, written as an engine event or a gate decision, and audited the
 * same way. A rejection fails the deployment (a no-go); before anything started it ends at once.
 */
import type { IdentitySource } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';
import { type Approval, type ChecklistTick, type Deployment, isTerminal } from '../domain/types.ts';
import type { EngineEvent } from '../engine/machine.ts';
import { requirePremise } from '../engine/premise.ts';
import { decide, type OverridableGate, override, tick } from '../gates/decisions.ts';
import type { App } from './compose.ts';
import { requireTrustedActor } from './identity.ts';

export type ActRequest =
  | { readonly action: 'approve'; readonly reason?: string }
  | { readonly action: 'reject'; readonly reason: string }
  | { readonly action: 'pause' }
  | { readonly action: 'resume' }
  | { readonly action: 'abort'; readonly reason?: string }
  | { readonly action: 'rollback'; readonly reason?: string }
  | { readonly action: 'check'; readonly item: string; readonly note?: string }
  | { readonly action: 'override'; readonly gate: OverridableGate; readonly reason: string };

export type ActionName = ActRequest['action'];

export interface ActResult {
  /** The deployment after the action. */
  readonly deployment: Deployment;
  /** approve, reject: the decision stored. */
  readonly approval?: Approval;
  /** check: the tick (an earlier one when the item was already checked; `created` false). */
  readonly tick?: { readonly tick: ChecklistTick; readonly created: boolean };
}

async function load(app: App, id: string): Promise<Deployment> {
  const d = await app.store.getDeployment(id);
  if (!d)
    throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}; list them with \`slipway history\``);
  return d;
}

/** slipway.yaml with `users:` as the server's grants on `env` where the server has users. */
export async function gateConfig(app: App, env: string) {
  const config = app.requireEnv(env);
  if (!app.deps.users) return config;
  const users = await app.deps.users(env);
  return { ...config, users: Object.fromEntries(Object.entries(users).map(([u, r]) => [u, [...r]])) };
}

const DECISIONS: Readonly<Record<string, string>> = {
  approve: 'an approval',
  reject: 'a rejection',
  check: 'a checklist tick',
  override: 'a gate override',
};

/**
 * `via` says how `user` was established (a token, a session, the OS user…); it is recorded with
 * every decision, and a local identity may not decide on a store the server owns (identity.ts).
 */
export async function act(
  app: App,
  id: string,
  request: ActRequest,
  user: string,
  via?: IdentitySource,
): Promise<ActResult> {
  const { action } = request;
  const decision = DECISIONS[action];
  await requireTrustedActor(app.store, via, {
    decision: decision !== undefined,
    text: `${decision ?? action} by ${user} (${via})`,
  });
  const d = await load(app, id);
  if (action === 'check' || action === 'override') {
    const config = await gateConfig(app, d.env);
    if (action === 'override') {
      await override({
        store: app.store,
        config,
        user,
        id,
        gate: request.gate,
        reason: request.reason,
        ...(via && { via }),
      });
      return { deployment: await load(app, id) };
    }
    const ticked = await tick({
      store: app.store,
      config,
      user,
      id,
      item: request.item,
      note: request.note ?? null,
      ...(via && { via }),
    });
    return { deployment: await load(app, id), tick: ticked };
  }
  const at = app.clock.now();
  if (action === 'approve' || action === 'reject') {
    // Through the gates, so four-eyes and the approval role apply; decide() audits (gate.<decision>).
    const reason = request.reason ?? null;
    const approval = await decide({
      store: app.store,
      config: await gateConfig(app, d.env),
      user,
      id,
      decision: action,
      reason,
      ...(via && { via }),
    });
    if (action === 'reject') await rejectNow(app, d, user, reason ?? '', at);
    return { deployment: await load(app, id), approval };
  }
  // Approvals and rejections of a finished deployment are refused by decide(), with its reason.
  if (isTerminal(d.status))
    throw new AppError(
      'DEPLOYMENT_FINISHED',
      `deployment ${id} already ended (${d.status}); ${action === 'rollback' ? `roll the environment back with \`slipway rollback ${d.env}\`` : 'start a new deployment'}`,
    );
  const reason = 'reason' in request ? request.reason : undefined;
  const event: EngineEvent =
    action === 'abort'
      ? { type: 'abort', at, by: user, reason: reason ?? `aborted by ${user}` }
      : action === 'rollback'
        ? { type: 'rollback', at, by: user, reason: reason ?? `rolled back by ${user}` }
        : { type: action, at, by: user };
  // Actions that move traffic first ask the agent what it serves (src/engine/premise.ts): one whose
  // premise is stale is refused with what is true now.
  if (action !== 'pause' && app.deps.checkPremise !== false)
    await requirePremise(app.store, app.agent(), d, action === 'rollback' ? 'roll back' : action);
  await app.transitions.transition(id, event);
  await app.store.appendAudit({
    actor: user,
    action: `deployment.${action}`,
    target: id,
    data: { env: d.env, ...(reason !== undefined && { reason }), ...(via && { identity: via }) },
  });
  return { deployment: await load(app, id) };
}

/**
 * The no-go applied at once, the same as the approval gate would on its next poll (the same
 * reason), so the end does not depend on which process sees the rejection first. Before anything
 * touched the data plane there is nothing to undo: the deployment fails here and now.
 */
async function rejectNow(app: App, d: Deployment, user: string, reason: string, at: number): Promise<void> {
  const outcome = { reason: `no-go: rejected by ${user}: ${reason}`, by: user };
  const state = await app.transitions.transition(d.id, { type: 'step-failed', at, outcome });
  const { plan, step } = state.engine;
  const untouched = plan
    .slice(0, Math.min(step + 1, plan.length))
    .every((s) => s.kind === 'preflight' || s.kind === 'approval' || s.kind === 'migrate');
  if (state.engine.status === 'rolling_back' && state.engine.weight === 0 && untouched)
    await app.transitions.transition(d.id, { type: 'rollback-done', at });
}

/**
 * `abort --record-only`: end a deployment nobody drives, leaving the data plane as it is (when
 * its record no longer matches what the agent serves).
 */
export async function closeRecord(app: App, d: Deployment, user: string, reason: string): Promise<void> {
  const executor = app.transitions;
  await app.executor().lock(d);
  await executor.transition(d.id, { type: 'close', at: app.clock.now(), by: user, reason });
  await app.store.appendAudit({
    actor: user,
    action: 'deployment.close',
    target: d.id,
    data: { env: d.env, reason, recordOnly: true },
  });
}
