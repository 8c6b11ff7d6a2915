/** "migration run": the migrate step's outcome queued for the subscriptions that want it. */
import type { SlipwayConfig } from '../config/schema.ts';
import type { Migrator } from '../engine/ports.ts';
import type { Store } from '../store/contract.ts';
import { enqueueEvent } from './events.ts';

/** The migrator, announcing each run (done or failed); queuing never fails the step. */
export function announced(
  migrator: Migrator,
  store: Store,
  config: Pick<SlipwayConfig, 'notifications'>,
): Migrator {
  if (!config.notifications?.length) return migrator;
  return {
    async run(ctx, deploymentId) {
      const announce = (ok: boolean, detail: string) =>
        enqueueEvent(store, config.notifications, 'migration.run', {
          app: ctx.app,
          env: ctx.env,
          key: deploymentId,
          deploymentId,
          data: { deployment: deploymentId, release: ctx.release.version, ok, detail: detail.slice(0, 4000) },
        }).catch(() => 0);
      try {
        const result = await migrator.run(ctx, deploymentId);
        await announce(true, result.note);
        return result;
      } catch (error) {
        // The error may quote a connection string: the deployment's (redacted) timeline has it.
        await announce(false, `the migration failed; deployment ${deploymentId} tells why`);
        throw error;
      }
    },
  };
}
