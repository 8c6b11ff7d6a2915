/**
 * The gates as the engine sees them (the `Gates` port): at the approval step, the go/no-go
 * policy; before the first traffic step, the checklist and then the deploy window. Every decision
 * is an audit entry (who, when, what, why) — once per change, not once per poll — and the executor
 * puts waits and openings on the deployment's timeline.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment } from '../domain/types.ts';
import type { Clock, GatePoint, GateResult, Gates } from '../engine/ports.ts';
import { parseStoredState } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import { evaluateApprovals, type Users } from './approvals.ts';
import { openRequired } from './checklist.ts';
import { deploymentChecklist } from './checklist-facts.ts';
import { overrideOf } from './decisions.ts';
import { evaluateWindows, nextOpening, windowPolicy } from './windows.ts';

export interface GatesDeps {
  readonly store: Store;
  readonly config: SlipwayConfig;
  readonly clock: Clock;
  /** How often a waiting gate is asked again; default 1 s. */
  readonly pollMs?: number;
  /**
   * The users and their roles that count on an environment; default slipway.yaml `users:`. The
   * server passes its store grants here, so the gate and the API agree on who may approve.
   */
  readonly users?: (env: string) => Promise<Users>;
}

export function createGates(deps: GatesDeps): Gates {
  const { store, config, clock } = deps;
  const audited = new Map<string, string>();
  /** Audit a decision when it differs from the last one audited for this deployment and gate. */
  const decide = async (d: Deployment, gate: string, result: GateResult): Promise<GateResult> => {
    const why = result.state === 'open' ? (result.note ?? 'open') : result.reason;
    const key = `${d.id}/${gate}`;
    if (audited.get(key) !== `${result.state}:${why}`) {
      audited.set(key, `${result.state}:${why}`);
      await store.appendAudit({
        actor: 'slipway',
        action: `gate.${gate}.${result.state}`,
        target: d.id,
        data: { env: d.env, release: d.releaseId, reason: why, at: new Date(clock.now()).toISOString() },
      });
    }
    return result;
  };

  async function approval(d: Deployment): Promise<GateResult> {
    const policy = config.environments[d.env]?.approval;
    if (!policy) return { state: 'open' };
    const { engine } = parseStoredState(d);
    const verdict = evaluateApprovals({
      policy: { ...policy, ...(policy.timeout !== undefined && { timeoutMs: policy.timeout }) },
      users: deps.users ? await deps.users(d.env) : (config.users ?? {}),
      deployment: d,
      approvals: await store.listApprovals(d.id),
      since: engine.stepStartedAt ?? clock.now(),
      now: clock.now(),
    });
    switch (verdict.state) {
      case 'approved':
        return decide(d, 'approval', { state: 'open', note: `go: approved by ${verdict.by.join(', ')}` });
      case 'waiting':
        return decide(d, 'approval', { state: 'wait', reason: verdict.reason });
      default:
        return decide(d, 'approval', { state: 'blocked', reason: `no-go: ${verdict.reason}` });
    }
  }

  async function checklist(d: Deployment): Promise<GateResult> {
    const states = await deploymentChecklist(store, config, d, clock.now());
    if (states.length === 0) return { state: 'open' };
    const open = openRequired(states);
    const override = await overrideOf(store, d.id, 'checklist');
    if (open.length > 0 && override) {
      return decide(d, 'checklist', {
        state: 'open',
        note: `checklist overridden by ${override.user}: ${override.note}`,
      });
    }
    const stuck = open.filter((s) => s.auto && s.auto !== 'migrations');
    if (stuck.length > 0) {
      const what = stuck.map((s) => `${s.id} (${s.detail})`).join('; ');
      return decide(d, 'checklist', { state: 'blocked', reason: `checklist: ${what}` });
    }
    if (open.length > 0) {
      const ids = open.map((s) => s.id).join(', ');
      return decide(d, 'checklist', {
        state: 'wait',
        reason: `checklist: open required item(s) ${ids}; tick each with \`slipway check ${d.id} ITEM\``,
      });
    }
    return decide(d, 'checklist', { state: 'open', note: 'checklist: every required item is done' });
  }

  async function window(d: Deployment): Promise<GateResult> {
    const windows = config.environments[d.env]?.windows;
    const policy = windowPolicy(windows);
    if (!policy) return { state: 'open' };
    const now = clock.now();
    const verdict = evaluateWindows(policy, now);
    if (verdict.state === 'open') {
      const note = verdict.warnings.length
        ? `deploy window open; warning: ${verdict.warnings.join('; ')}`
        : undefined;
      return decide(d, 'window', { state: 'open', ...(note && { note }) });
    }
    const override = await overrideOf(store, d.id, 'window');
    if (override) {
      return decide(d, 'window', {
        state: 'open',
        note: `deploy window overridden by ${override.user}: ${override.note} (${verdict.reason})`,
      });
    }
    if (windows?.outside === 'fail')
      return decide(d, 'window', { state: 'blocked', reason: `deploy window: ${verdict.reason}` });
    const opens = nextOpening(policy, now);
    return decide(d, 'window', {
      state: 'wait',
      reason: `deploy window: ${verdict.reason}; ${opens === null ? 'no opening within a year' : `next opening ${new Date(opens).toISOString()}`}`,
      ...(opens !== null && { until: opens }),
    });
  }

  return {
    pollMs: deps.pollMs ?? 1000,
    async check(_ctx, d, point: GatePoint) {
      if (point === 'approval') return approval(d);
      const list = await checklist(d);
      if (list.state !== 'open') return list;
      const win = await window(d);
      if (win.state !== 'open') return win;
      const notes = [list, win].flatMap((r) => (r.state === 'open' && r.note ? [r.note] : []));
      return notes.length ? { state: 'open', note: notes.join('; ') } : { state: 'open' };
    },
  };
}
