import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { settleInterrupted } from '../../engine/reconcile.ts';
import { deploymentAddress } from '../addresses.ts';
import { version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor, drive } from '../deployments.ts';

export function registerDeploy(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('deploy')
    .description(
      "Deploy a release to an environment with the environment's strategy, showing progress live; rolls back on its own when the numbers go bad.",
    )
    .argument('<release>', 'version, id or digest of a registered release', version('<release>'))
    .requiredOption('--env <name>', 'the environment')
    .option(
      '--after-interrupted <how>',
      'when a deployment of ENV was interrupted, first drive it to its end: resume (as it was) or rollback',
    )
    .action(
      act(async (ref: string, opts: { env: string; afterInterrupted?: string }) => {
        const how = opts.afterInterrupted;
        if (how !== undefined && how !== 'resume' && how !== 'rollback')
          throw new AppError(
            'USAGE',
            `--after-interrupted: expected resume or rollback, found ${JSON.stringify(how)}`,
          );
        const c = ctx();
        const app = await appFor(c);
        const config = app.requireEnv(opts.env);
        if (how) {
          const old = await settleInterrupted({
            store: app.store,
            agent: app.agent(),
            executor: app.executor(),
            app: config.app,
            env: opts.env,
            how,
            user: c.user,
          });
          if (old) {
            if (!c.io.json)
              c.io.out(
                `${how === 'resume' ? 'resuming' : 'rolling back'} interrupted deployment ${old.id} first`,
              );
            const version =
              (await app.store.findRelease(config.app, old.releaseId))?.version ?? old.releaseId;
            const code = await drive(c, app, old, version);
            // Stopped by a signal: the new deployment does not start.
            if (code >= 128) return code;
          }
        }
        const { deployment: d, release } = await app.deploy(opts.env, ref, c.user, {
          via: c.identity().via,
        });
        if (!c.io.json)
          c.io.out(
            `deployment ${d.id}: ${d.app} ${release.version} → ${opts.env} (${d.strategy}), served at ${deploymentAddress(d) ?? '(address not known yet)'}`,
          );
        return drive(c, app, d, release.version);
      }),
    );
}
