/**
 * How long reverts took, per environment and per way of reverting: every rollback (a switch to a
 * warm previous release, a rollback of the deployment in flight, a redeploy of the previous
 * release; asked for by a person or automatic) writes one audit entry with its measured duration,
 * so "how quickly can we revert?" is answered by what happened on that environment.
 */
import type { Store } from '../store/contract.ts';

export const REVERT_MEASURED_ACTION = 'environment.revert.measured';

/** switch: traffic back to the still-warm previous release; in-flight: the deployment under way
 * is rolled back; redeploy: the previous release is started again. */
export const REVERT_KINDS = ['switch', 'in-flight', 'redeploy'] as const;
export type RevertKind = (typeof REVERT_KINDS)[number];

export interface RevertTime {
  readonly kind: RevertKind;
  readonly ms: number;
  readonly at: string;
  readonly deployment: string;
  /** Who asked for it, or `slipway` for an automatic rollback. */
  readonly by: string;
}

export async function recordRevertTime(
  store: Store,
  r: { app: string; env: string; kind: RevertKind; ms: number; deployment: string; by: string },
): Promise<void> {
  await store.appendAudit({
    actor: r.by,
    action: REVERT_MEASURED_ACTION,
    target: `${r.app}/${r.env}`,
    data: { kind: r.kind, ms: r.ms, deployment: r.deployment, automatic: r.by === 'slipway' },
  });
}

/** Looked back this many measurements at most for one of the wanted kind. */
const LOOK_BACK = 200;

/** The latest revert of `kind` measured on `env`, or null when there was none. */
export async function lastRevertTime(
  store: Store,
  app: string,
  env: string,
  kind: RevertKind,
): Promise<RevertTime | null> {
  let entry = await store.latestAudit({ actions: [REVERT_MEASURED_ACTION], target: `${app}/${env}` });
  for (let i = 0; entry && i < LOOK_BACK; i++) {
    const data = entry.data as { kind?: unknown; ms?: unknown; deployment?: unknown } | null;
    if (data?.kind === kind && typeof data.ms === 'number')
      return { kind, ms: data.ms, at: entry.at, deployment: String(data.deployment ?? ''), by: entry.actor };
    entry = await store.latestAudit({
      actions: [REVERT_MEASURED_ACTION],
      target: `${app}/${env}`,
      beforeSeq: entry.seq,
    });
  }
  return null;
}

/**
 * A rehearsal of switching back on an environment before the last (`slipway`'s revert drill):
 * traffic went to the previous release and back, both switches measured. Audited apart from real
 * reverts, so a drill never passes for a revert that happened.
 */
export const REVERT_DRILL_ACTION = 'environment.revert.drill';

export interface RevertDrill {
  readonly env: string;
  /** The switch to the previous release, the figure a revert would take. */
  readonly ms: number;
  /** The switch back to the release it runs. */
  readonly backMs: number;
  readonly at: string;
  readonly by: string;
  readonly version: string;
  readonly previousVersion: string;
}

/** The latest drill on `env`, or null when none was run there. */
export async function lastRevertDrill(store: Store, app: string, env: string): Promise<RevertDrill | null> {
  const entry = await store.latestAudit({ actions: [REVERT_DRILL_ACTION], target: `${app}/${env}` });
  const d = entry?.data as Partial<RevertDrill> | null | undefined;
  if (!entry || typeof d?.ms !== 'number') return null;
  return {
    env,
    ms: d.ms,
    backMs: typeof d.backMs === 'number' ? d.backMs : 0,
    at: entry.at,
    by: entry.actor,
    version: String(d.version ?? ''),
    previousVersion: String(d.previousVersion ?? ''),
  };
}
