import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '../../domain/types.ts';
import { limit } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';
import { remoteHistory } from '../remote-commands.ts';

export function registerHistory(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('history')
    .description('List deployments, newest first, with how each ended and why.')
    .option('--env <name>', 'only this environment')
    .option('--status <status>', `only this result (${DEPLOYMENT_STATUSES.join(', ')})`)
    .option('--by <user>', 'only deployments started by this user')
    .option('--limit <n>', 'how many, 1 to 1000', limit(), 20)
    .action(
      act(async (opts: { env?: string; status?: string; by?: string; limit: number }) => {
        const c = ctx();
        const { config } = c.config();
        if (opts.status !== undefined && !DEPLOYMENT_STATUSES.includes(opts.status as DeploymentStatus)) {
          throw new AppError(
            'USAGE',
            `--status: expected one of ${DEPLOYMENT_STATUSES.join(', ')}, found ${JSON.stringify(opts.status)}`,
          );
        }
        const remote = c.remote();
        if (remote) return remoteHistory(c, remote, config.app, opts);
        const store = await c.store();
        const list = await store.listDeployments({
          app: config.app,
          limit: opts.limit,
          ...(opts.env && { env: opts.env }),
          ...(opts.status && { status: opts.status as DeploymentStatus }),
          ...(opts.by && { createdBy: opts.by }),
        });
        if (c.io.json) {
          c.io.data(list.map(({ state: _state, ...d }) => d));
          return 0;
        }
        if (list.length === 0) {
          c.io.out('no deployments yet');
          return 0;
        }
        const versions = new Map<string, string>();
        for (const d of list)
          versions.set(
            d.releaseId,
            (await store.findRelease(config.app, d.releaseId))?.version ?? d.releaseId,
          );
        c.io.out(
          table([
            ['ID', 'ENV', 'RELEASE', 'STRATEGY', 'STATUS', 'BY', 'STARTED', 'WHY'],
            ...list.map((d) => [
              d.id,
              d.env,
              versions.get(d.releaseId) ?? '',
              d.strategy,
              d.status,
              d.createdBy,
              d.createdAt.slice(0, 19).replace('T', ' '),
              (d.reason ?? '').slice(0, 60),
            ]),
          ]),
        );
        return 0;
      }),
    );
}
