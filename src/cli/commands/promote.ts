/**
 * `slipway promote --from staging --to production`: deploy to `--to` the release that `--from`
 * runs (its last successful deployment), through every gate of `--to`. Driven here with the live
 * progress view, like `slipway deploy`; approvals come from other people with `slipway approve`.
 */
import type { Command } from 'commander';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor, drive } from '../deployments.ts';

export function registerPromote(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('promote')
    .description('Deploy the release that succeeded in one environment to the next, through its gates.')
    .requiredOption('--from <env>', 'the environment the release succeeded in, e.g. staging')
    .requiredOption('--to <env>', 'the environment to deploy it to, e.g. production')
    .option(
      '--override <reason>',
      'deploy although the lifecycle rule refuses (role admin; audited)',
      text('--override'),
    )
    .action(
      act(async (opts: { from: string; to: string; override?: string }) => {
        const c = ctx();
        const app = await appFor(c);
        const { deployment: d, release } = await app.promote(opts.from, opts.to, c.user, {
          via: c.identity().via,
          ...(opts.override && { override: { reason: opts.override } }),
        });
        if (!c.io.json)
          c.io.out(
            `deployment ${d.id}: ${d.app} ${release.version} ${opts.from} → ${opts.to} (${d.strategy})`,
          );
        return drive(c, app, d, release.version);
      }),
    );
}
