/**
 * What the client of an environment needs to know, gathered in one place: where to open it, who
 * accepted the release it runs, how it would revert right now and how long that took when last
 * measured *there*, and for a deployment: what it waits for (approval, the deploy window), when it
 * goes live and roughly how long it takes. Read-only; the words are the dashboard's.
 */
import { lifecycleOrder } from '../config/lifecycle.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { type Deployment, isTerminal } from '../domain/types.ts';
import type { PlanStep } from '../engine/plan.ts';
import {
  lastRevertDrill,
  lastRevertTime,
  type RevertDrill,
  type RevertKind,
  type RevertTime,
} from '../engine/revert-times.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import { type Acceptance, acceptanceOf } from '../gates/acceptance.ts';
import { overrideOf } from '../gates/decisions.ts';
import { evaluateWindows, nextOpening, windowPolicy } from '../gates/windows.ts';
import type { App } from './compose.ts';
import { activeDeployment } from './deployments.ts';
import { drillable } from './revert-drill.ts';

export interface ClientEnvironment {
  readonly env: string;
  /** Where people open the environment: slipway.yaml `url`, else the router's address. */
  readonly url: string | null;
  readonly acceptance: { readonly by: string } | null;
  /** The decision on the release the environment runs (when it asks for acceptance). */
  readonly accepted: Acceptance | null;
  readonly revert: {
    /** How it would revert right now; null: there is nothing to revert to. */
    readonly kind: RevertKind | null;
    /** The last revert of that kind measured on this environment; null: not yet measured here. */
    readonly measured: RevertTime | null;
    /**
     * The latest rehearsal of switching back (a drill) on this environment or, for one where drills
     * do not run, on an environment before it; null when there was none.
     */
    readonly rehearsed: RevertDrill | null;
    /** Whether a drill may run here (an environment before the last of the lifecycle). */
    readonly drillable: boolean;
  };
  /** The deploy window: whether it is open now and when it next opens (null: no window rule). */
  readonly window: { readonly open: boolean; readonly nextOpening: string | null } | null;
}

/** The router's address of an environment, as the agent serves it; null when it cannot be asked. */
async function routerUrl(app: App, env: string): Promise<string | null> {
  try {
    const status = await app.agent().status(env);
    const host = status.listen.host === '0.0.0.0' ? '127.0.0.1' : status.listen.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${status.listen.port}/`;
  } catch {
    return null;
  }
}

/** The address people open an environment at (slipway.yaml `url`, else the router's). */
export async function environmentUrl(app: App, env: string): Promise<string | null> {
  return app.requireEnv(env).environments[env]?.url ?? (await routerUrl(app, env));
}

function windowNow(config: SlipwayConfig, env: string, now: number): ClientEnvironment['window'] {
  const policy = windowPolicy(config.environments[env]?.windows);
  if (!policy) return null;
  const open = evaluateWindows(policy, now).state === 'open';
  const next = open ? now : nextOpening(policy, now);
  return { open, nextOpening: next === null ? null : new Date(next).toISOString() };
}

/** How `env` would revert right now: the deployment in flight, a warm switch, or a redeploy. */
export async function revertKindNow(app: App, env: string): Promise<RevertKind | null> {
  const config = app.requireEnv(env);
  const active = await activeDeployment(app.store, config.app, env);
  if (active && !isTerminal(active.status)) return 'in-flight';
  const state = (await app.store.listEnvironments(config.app)).find((s) => s.name === env);
  if (!state?.previousReleaseId || !state.releaseId) return null;
  try {
    const desired = await app.agent().desired(env);
    if (desired?.releases.some((r) => r.release === state.previousReleaseId)) return 'switch';
  } catch {
    // An agent that cannot be asked says nothing is warm: the safe answer is the slower one.
  }
  return 'redeploy';
}

/** The newest drill here, or where drills cannot run here, the newest on an environment before it. */
async function rehearsal(app: App, config: SlipwayConfig, env: string): Promise<RevertDrill | null> {
  const order = lifecycleOrder(config);
  const envs = drillable(order, env) ? [env] : order.slice(0, Math.max(0, order.indexOf(env)));
  const drills = await Promise.all(envs.map((e) => lastRevertDrill(app.store, config.app, e)));
  return drills.reduce<RevertDrill | null>((a, d) => (d && (!a || d.at > a.at) ? d : a), null);
}

export async function clientEnvironment(app: App, env: string): Promise<ClientEnvironment> {
  const config = app.requireEnv(env);
  const e = config.environments[env];
  const state = (await app.store.listEnvironments(config.app)).find((s) => s.name === env);
  const release = state?.releaseId ? await app.store.findRelease(config.app, state.releaseId) : undefined;
  const [url, kind] = await Promise.all([environmentUrl(app, env), revertKindNow(app, env)]);
  return {
    env,
    url,
    acceptance: e?.acceptance ? { by: e.acceptance.by } : null,
    accepted:
      e?.acceptance && release ? await acceptanceOf(app.store, config.app, env, release.digest) : null,
    revert: {
      kind,
      measured: kind ? await lastRevertTime(app.store, config.app, env, kind) : null,
      rehearsed: await rehearsal(app, config, env),
      drillable: drillable(lifecycleOrder(config), env),
    },
    window: windowNow(config, env, app.clock.now()),
  };
}

export type Waiting = 'approval' | 'window' | null;

export interface ClientDeployment {
  readonly id: string;
  readonly version: string;
  readonly fromVersion: string | null;
  /** What it waits for now, if anything a person or the calendar must give. */
  readonly waiting: Waiting;
  /** When it goes live: now (null) or the next window opening, for the approval dialog and card. */
  readonly goesLiveAt: string | null;
  /** Roughly how long the steps from here take (their pauses, checks and watch), in ms. */
  readonly remainingMs: number;
  /** The acceptance of this release's digest where it comes from, when that asks for one. */
  readonly acceptance: (Acceptance & { readonly required: true }) | null;
  /** The people who approved, or the one who rejected. */
  readonly approvedBy: readonly string[];
  readonly rejectedBy: string | null;
}

const timed = (s: PlanStep) =>
  s.kind === 'pause' ? (s.durationMs ?? 0) : s.kind === 'analysis' || s.kind === 'watch' ? s.durationMs : 0;

/** The time the timed steps from `step` on still take, less what the current one already ran. */
export function remainingMs(plan: readonly PlanStep[], step: number, startedAt: number | null, now: number) {
  let ms = 0;
  for (let i = step; i < plan.length; i++) ms += timed(plan[i] as PlanStep);
  if (startedAt !== null && plan[step]) ms -= Math.min(timed(plan[step] as PlanStep), now - startedAt);
  return Math.max(0, ms);
}

export async function clientDeployment(app: App, d: Deployment): Promise<ClientDeployment> {
  const config = app.requireEnv(d.env);
  const now = app.clock.now();
  const [release, from, approvals] = await Promise.all([
    app.store.findRelease(d.app, d.releaseId),
    d.fromReleaseId ? app.store.findRelease(d.app, d.fromReleaseId) : undefined,
    app.store.listApprovals(d.id),
  ]);
  const engine = storedStateOrUndefined(d)?.engine;
  const plan = engine?.plan ?? [];
  const step = engine?.step ?? 0;
  const firstTraffic = plan.findIndex((s) => s.kind === 'start' || s.kind === 'shift' || s.kind === 'scale');
  const live = !isTerminal(d.status);
  const win = windowNow(config, d.env, now);
  const windowOverridden = win && !win.open ? await overrideOf(app.store, d.id, 'window') : undefined;
  const windowClosed = win !== null && !win.open && !windowOverridden;
  const approvalAt = plan.findIndex((s) => s.kind === 'approval');
  const approved = approvals.some((a) => a.decision === 'approve');
  let waiting: Waiting = null;
  // Before its approval step (a moment of preflight), it already waits for the decision.
  if (live && approvalAt >= step && (plan[step]?.kind === 'approval' || !approved)) waiting = 'approval';
  else if (live && step === firstTraffic && windowClosed) waiting = 'window';
  const beforeTraffic = live && (firstTraffic === -1 || step <= firstTraffic);
  const after = config.environments[d.env]?.after;
  const acceptance =
    after && config.environments[after]?.acceptance && release
      ? await acceptanceOf(app.store, d.app, after, release.digest)
      : null;
  return {
    id: d.id,
    version: release?.version ?? d.releaseId,
    fromVersion: from?.version ?? null,
    waiting,
    goesLiveAt: beforeTraffic && windowClosed ? (win?.nextOpening ?? null) : null,
    remainingMs: live ? remainingMs(plan, step, engine?.stepStartedAt ?? null, now) : 0,
    acceptance: acceptance ? { ...acceptance, required: true } : null,
    approvedBy: [...new Set(approvals.filter((a) => a.decision === 'approve').map((a) => a.user))],
    rejectedBy: approvals.find((a) => a.decision === 'reject')?.user ?? null,
  };
}
