/**
 * `slipway promote --from staging --to production`: deploy to `--to` the release that `--from`
 * runs (its last successful deployment), through every gate of `--to`. Driven here with the live
 * progress view, like `slipway deploy`; approvals come from other people with `slipway approve`.
 */
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { startDeployment } from '../../engine/deploy.ts';
import { text } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { drive, engineFor, requireEnv } from '../deployments.ts';

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
        const { config, lifecycle } = c.config();
        requireEnv(config, opts.from);
        requireEnv(config, opts.to);
        const after = config.environments[opts.to]?.after;
        if (after !== opts.from && !opts.override) {
          throw new AppError(
            'PROMOTION_REFUSED',
            `${opts.to} comes after ${after ?? 'nothing (it starts the lifecycle)'}, not ${opts.from} (lifecycle: ${lifecycle.join(' → ')}); ${after ? `promote from ${after}` : `deploy to ${opts.to} with \`slipway deploy RELEASE --env ${opts.to}\``}`,
          );
        }
        const store = await c.store();
        const state = (await store.listEnvironments(config.app)).find((s) => s.name === opts.from);
        const release = state?.releaseId ? await store.findRelease(config.app, state.releaseId) : undefined;
        if (!release) {
          throw new AppError(
            'PROMOTION_REFUSED',
            `${opts.from} runs no release yet; deploy one there first (\`slipway deploy RELEASE --env ${opts.from}\`)`,
          );
        }
        const e = await engineFor(c);
        const d = await startDeployment({
          store: e.store,
          agent: e.agent,
          executor: e.executor,
          config: e.config,
          env: opts.to,
          release,
          user: c.user,
          dataDir: c.dataDir(),
          now: Date.now(),
          ...(opts.override && { override: { reason: opts.override } }),
        });
        if (!c.io.json) {
          c.io.out(
            `deployment ${d.id}: ${config.app} ${release.version} ${opts.from} → ${opts.to} (${d.strategy})`,
          );
        }
        return drive(c, e, d, release.version);
      }),
    );
}
