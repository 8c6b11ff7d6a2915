/**
 * `slipway promote --from staging --to production`: deploy to `--to` the release that `--from`
 * runs (its last successful deployment), through every gate of `--to`. Runs the deployment in
 * the foreground; approvals come from other people with `slipway approve`.
 */
import type { Command } from 'commander';
import { AppError, EXIT } from '../../domain/errors.ts';
import { connectAgent, createExecutor } from '../../engine/compose.ts';
import { startDeployment } from '../../engine/deploy.ts';
import type { Act, Context } from '../context.ts';

export function registerPromote(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('promote')
    .description('Deploy the release that succeeded in one environment to the next, through its gates.')
    .requiredOption('--from <env>', 'the environment the release succeeded in, e.g. staging')
    .requiredOption('--to <env>', 'the environment to deploy it to, e.g. production')
    .option('--override <reason>', 'deploy although the lifecycle rule refuses (role admin; audited)')
    .action(
      act(async (opts: { from: string; to: string; override?: string }) => {
        const c = ctx();
        const { config, lifecycle } = c.config();
        for (const env of [opts.from, opts.to]) {
          if (!config.environments[env]) {
            throw new AppError(
              'ENV_NOT_FOUND',
              `no environment "${env}" in slipway.yaml (lifecycle: ${lifecycle.join(' → ')})`,
            );
          }
        }
        const after = config.environments[opts.to]?.after;
        if (after !== opts.from && !opts.override) {
          throw new AppError(
            'PROMOTION_REFUSED',
            `${opts.to} comes after ${after ?? 'nothing (it starts the lifecycle)'}, not ${opts.from} (lifecycle: ${lifecycle.join(' → ')}); promote from ${after ?? 'a release with slipway deploy'}`,
          );
        }
        const store = await c.store();
        const state = (await store.listEnvironments(config.app)).find((e) => e.name === opts.from);
        const release = state?.releaseId ? await store.findRelease(config.app, state.releaseId) : undefined;
        if (!release) {
          throw new AppError(
            'PROMOTION_REFUSED',
            `${opts.from} runs no release yet; deploy one to ${opts.from} first`,
          );
        }
        const agent = connectAgent(c.dataDir());
        const executor = createExecutor({ store, agent, config });
        const d = await startDeployment({
          store,
          agent,
          executor,
          config,
          env: opts.to,
          release,
          user: c.user,
          dataDir: c.dataDir(),
          now: Date.now(),
          ...(opts.override && { override: { reason: opts.override } }),
        });
        if (!c.io.json)
          c.io.out(`promoting ${release.version} from ${opts.from} to ${opts.to}: deployment ${d.id}`);
        const done = await executor.run(d.id);
        if (c.io.json) c.io.data(done);
        else c.io.out(`${d.id}: ${done.status}${done.reason ? ` (${done.reason})` : ''}`);
        return done.status === 'succeeded' ? EXIT.ok : EXIT.failed;
      }),
    );
}
