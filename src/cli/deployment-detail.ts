/** `slipway history --id DEPLOYMENT`: one deployment with its steps (name, status, times, weight). */
import type { App } from '../app/compose.ts';
import { rollbackOf } from '../app/views.ts';
import { AppError } from '../domain/errors.ts';
import type { Context } from './context.ts';
import { table } from './io.ts';

const hhmmss = (iso: string | null) => (iso ? iso.slice(11, 19) : '');

export async function showDeployment(c: Context, app: App, id: string): Promise<number> {
  const d = await app.views.deployment(id);
  if (!d)
    throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}; list them with \`slipway history\``);
  const steps = app.views.steps(d);
  const rollback = rollbackOf(d);
  const release = await app.store.findRelease(d.app, d.releaseId);
  if (c.io.json) {
    const { state: _state, ...rest } = d;
    c.io.data({ ...rest, release: release?.version ?? null, rollback, steps });
    return 0;
  }
  c.io.out(
    `deployment ${d.id}: ${d.app} ${release?.version ?? d.releaseId} → ${d.env} (${d.strategy}), ${d.status}, by ${d.createdBy} at ${d.createdAt.slice(0, 19).replace('T', ' ')}`,
  );
  if (rollback) c.io.out(`rollback (${rollback.kind}) by ${rollback.by}: ${rollback.reason}`);
  if (d.reason) c.io.out(`why: ${d.reason}`);
  c.io.out(
    table([
      ['#', 'STEP', 'STATUS', 'STARTED', 'ENDED', 'WEIGHT'],
      ...steps.map((s) => [
        String(s.index + 1),
        s.name,
        s.status,
        hhmmss(s.startedAt),
        hhmmss(s.endedAt),
        `${s.weight}%`,
      ]),
    ]),
  );
  return 0;
}
