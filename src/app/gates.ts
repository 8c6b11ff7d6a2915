/**
 * The Gates port as the app wires it: the gates of src/gates/, except for a rollback, which is the
 * way back and never waits: windows, freezes and the checklist open at once for it, each skip
 * audited when the rollback is created (`gate.<gate>.skipped`, saying it is because of the rollback).
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment } from '../domain/types.ts';
import type { Gates } from '../engine/ports.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';

/** The gates configured for `env` that a rollback goes past. */
export function gatesOf(config: SlipwayConfig, env: string): string[] {
  const e = config.environments[env];
  const out: string[] = [];
  if (e?.approval) out.push('approval');
  if (e?.windows) out.push('window');
  if (e?.checklist) out.push('checklist');
  return out;
}

export async function auditSkipped(
  store: Store,
  d: Pick<Deployment, 'id' | 'env' | 'releaseId'>,
  gates: readonly string[],
  reason: string,
): Promise<void> {
  for (const gate of gates) {
    await store.appendAudit({
      actor: 'slipway',
      action: `gate.${gate}.skipped`,
      target: d.id,
      data: {
        env: d.env,
        release: d.releaseId,
        skipped: `${gate} not applied: this deployment is a rollback, and a rollback never waits`,
        rollback: true,
        reason,
      },
    });
  }
}

/** The skips are audited once, when the rollback is created (auditSkipped); here they only open. */
export function rollbackAwareGates(inner: Gates, config: SlipwayConfig): Gates {
  return {
    pollMs: inner.pollMs,
    async check(ctx, d, point) {
      const mark = storedStateOrUndefined(d)?.rollback;
      if (!mark) return inner.check(ctx, d, point);
      const skipped = gatesOf(config, d.env).filter((g) => (point === 'approval') === (g === 'approval'));
      if (skipped.length === 0) return { state: 'open' };
      return { state: 'open', note: `rollback: ${skipped.join(', ')} not applied (a rollback never waits)` };
    },
  };
}
