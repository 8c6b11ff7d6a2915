/**
 * `slipway rollback ENV [--to RELEASE] [--reason TEXT]`: back to the previous release now, never
 * waiting (no analysis, windows, freezes or approvals; each skip audited). A deployment in flight
 * is rolled back (traffic first, then its instances stop). Otherwise, while the previous release is
 * still warm the rollback is a traffic switch; when it is not, a quick redeploy of that release.
 */
import type { Command } from 'commander';
import { rollbackDatabaseNote } from '../../migrations/rollback-note.ts';
import { text, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor, drive, driveIfOrphaned } from '../deployments.ts';

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
        const app = await appFor(c);
        const result = await app.rollbackEnvironment(env, c.user, {
          ...(opts.to !== undefined && { to: opts.to }),
          reason: opts.reason,
        });
        if (result.kind === 'in-flight') {
          const d = result.deployment;
          c.io.out(`rolling back deployment ${d.id} on ${env}`);
          return (await driveIfOrphaned(c, app, d, d.releaseId)) ?? 0;
        }
        const config = app.requireConfig();
        const database = config.migrations
          ? await rollbackDatabaseNote(app.store, config.app, env, result.release)
          : null;
        if (result.kind === 'switch') {
          const { release, switchMs, deployment } = result;
          if (c.io.json)
            c.io.data({
              env,
              release: release.version,
              kind: 'switch',
              switchMs,
              deployment: deployment.id,
              database,
            });
          else {
            c.io.out(
              `rolled back ${env} to ${release.version} in ${switchMs.toFixed(1)} ms (traffic switch; the previous instances were still warm; deployment ${deployment.id})`,
            );
            if (database) c.io.out(database);
          }
          return 0;
        }
        c.io.out(
          `${result.release.version} is no longer warm on ${env}: redeploying it (a rollback: no windows, freezes or approvals)`,
        );
        if (database) c.io.out(database);
        return drive(c, app, result.deployment, result.release.version);
      }),
    );
}
