import type { Command } from 'commander';
import { rollbackOf } from '../../app/views.ts';
import { AppError } from '../../domain/errors.ts';
import { DEPLOYMENT_STATUSES, type DeploymentStatus, isTerminal } from '../../domain/types.ts';
import { type Standing, standing, standingLine, waysOut } from '../../engine/reconcile.ts';
import { limit } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { showDeployment } from '../deployment-detail.ts';
import { appFor } from '../deployments.ts';
import { table } from '../io.ts';

export function registerHistory(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('history')
    .description('List deployments, newest first, with how each ended and why.')
    .option('--env <name>', 'only this environment')
    .option('--status <status>', `only this result (${DEPLOYMENT_STATUSES.join(', ')})`)
    .option('--by <user>', 'only deployments started by this user')
    .option('--limit <n>', 'how many, 1 to 1000', limit(), 20)
    .option('--id <deployment>', 'one deployment in detail, with its steps')
    .action(
      act(async (opts: { env?: string; status?: string; by?: string; limit: number; id?: string }) => {
        const c = ctx();
        const { config } = c.config();
        if (opts.id !== undefined && !c.remote()) return showDeployment(c, await appFor(c), opts.id);
        if (opts.status !== undefined && !DEPLOYMENT_STATUSES.includes(opts.status as DeploymentStatus)) {
          throw new AppError(
            'USAGE',
            `--status: expected one of ${DEPLOYMENT_STATUSES.join(', ')}, found ${JSON.stringify(opts.status)}`,
          );
        }
        const store = await c.store();
        const list = await store.listDeployments({
          app: config.app,
          limit: opts.limit,
          ...(opts.env && { env: opts.env }),
          ...(opts.status && { status: opts.status as DeploymentStatus }),
          ...(opts.by && { createdBy: opts.by }),
        });
        // A deployment in flight that no live process drives is shown as interrupted, with the ways out.
        const standings = new Map<string, Standing>();
        for (const d of list) if (!isTerminal(d.status)) standings.set(d.id, await standing(store, d));
        if (c.io.json) {
          c.io.data(
            list.map(({ state: _state, ...d }) => {
              const s = standings.get(d.id);
              const rollback = rollbackOf({ ...d, state: _state });
              return { ...d, rollback, ...(s && { standing: { ...s, line: standingLine(s) } }) };
            }),
          );
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
            ['ID', 'ENV', 'RELEASE', 'STRATEGY', 'STATUS', 'ROLLBACK', 'BY', 'STARTED', 'WHY'],
            ...list.map((d) => {
              const rollback = rollbackOf(d);
              return [
                d.id,
                d.env,
                versions.get(d.releaseId) ?? '',
                d.strategy,
                standings.get(d.id)?.state ?? d.status,
                rollback ? `↩ ${rollback.kind}` : '',
                d.createdBy,
                d.createdAt.slice(0, 19).replace('T', ' '),
                (d.reason ?? rollback?.reason ?? '').slice(0, 60),
              ];
            }),
          ]),
        );
        for (const s of standings.values())
          c.io.out(
            `${s.id} on ${s.env}: ${standingLine(s)}${s.state === 'interrupted' ? `; ${waysOut(s.env)}` : ''}`,
          );
        return 0;
      }),
    );
}
