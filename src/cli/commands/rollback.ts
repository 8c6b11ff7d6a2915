/**
 * `slipway rollback ENV [--to RELEASE]`: back to the previous release, never waiting for analysis.
 * A deployment in flight is rolled back (traffic first, then its instances stop). Otherwise, while
 * the previous release is still warm the rollback is a traffic switch; when it is not, it is a
 * quick redeploy of that release.
 */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { rollbackEnvironment } from '../../engine/rollback.ts';
import { text, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import {
  activeDeployment,
  drive,
  driveIfOrphaned,
  engineFor,
  requireEnv,
  requireRelease,
} from '../deployments.ts';
import { remoteRollback } from '../remote-commands.ts';

export function registerRollback(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('rollback')
    .description(
      'Return an environment to its previous release now: a traffic switch while the previous instances are warm, a redeploy otherwise.',
    )
    .argument('<env>', 'the environment')
    .option('--to <release>', 'a release other than the previous one', version('--to'))
    .option(
      '--reason <text>',
      'why, for the time line and the audit log',
      text('--reason'),
      'rollback by hand',
    )
    .action(
      act(async (env: string, opts: { to?: string; reason: string }) => {
        const c = ctx();
        const remote = c.remote();
        if (remote) {
          const { config } = c.config();
          requireEnv(config, env);
          return remoteRollback(c, remote, env, {
            ...(opts.to !== undefined && { to: opts.to }),
            reason: opts.reason,
          });
        }
        const e = await engineFor(c);
        requireEnv(e.config, env);
        const app = e.config.app;
        const inFlight = await activeDeployment(e.store, app, env);
        if (inFlight && opts.to === undefined) {
          await e.executor.transition(inFlight.id, {
            type: 'rollback',
            at: Date.now(),
            by: c.user,
            reason: opts.reason,
          });
          await e.store.appendAudit({
            actor: c.user,
            action: 'deployment.rollback',
            target: inFlight.id,
            data: { env, reason: opts.reason },
          });
          c.io.out(`rolling back deployment ${inFlight.id} on ${env}`);
          return (await driveIfOrphaned(c, e, inFlight, inFlight.releaseId)) ?? 0;
        }
        if (inFlight)
          throw new AppError(
            'LOCK_HELD',
            `${env} has deployment ${inFlight.id} in flight; roll it back first with \`slipway rollback ${env}\``,
          );
        const result = await rollbackEnvironment({
          store: e.store,
          agent: e.agent,
          executor: e.executor,
          config: e.config,
          env,
          ...(opts.to !== undefined && { to: await requireRelease(e.store, app, opts.to) }),
          reason: opts.reason,
          user: c.user,
          dataDir: c.dataDir(),
          projectDir: c.projectDir(),
          secrets: c.secrets(),
        });
        if (result.kind === 'switch') {
          const { release, switchMs } = result;
          if (c.io.json) c.io.data({ env, release: release.version, kind: 'switch', switchMs });
          else
            c.io.out(
              `rolled back ${env} to ${release.version} in ${switchMs.toFixed(1)} ms (traffic switch; the previous instances were still warm)`,
            );
          return 0;
        }
        c.io.out(`${result.release.version} is no longer warm on ${env}: redeploying it`);
        return drive(c, e, result.deployment, result.release.version);
      }),
    );
}
