/** `slipway metrics dora`: DORA's four keys for one environment over a period (README, "DORA metrics"). */
import type { Command } from 'commander';
import type { DoraReport } from '../../metrics/dora.ts';
import { doraFromStore } from '../../metrics/dora-read.ts';
import { duration } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { requireEnv } from '../deployments.ts';
import { table } from '../io.ts';
import type { ApiClient } from '../remote.ts';

export interface DoraOptions {
  env?: string;
  since: number;
  fixWithin?: number;
}

/** `--fix-within`: a duration, or 0 to count no fixes whatever slipway.yaml says. */
function fixWithin(value: string): number {
  return value.trim() === '0' ? 0 : duration('--fix-within')(value);
}

export const DEFAULT_SINCE_MS = 90 * 86_400_000;

export function registerMetrics(program: Command, ctx: () => Context, act: Act): void {
  const metrics = program.command('metrics').description('Delivery measured from the store.');
  metrics
    .command('dora')
    .description(
      "DORA's four keys for one environment: deployment frequency, lead time (release registered → live), change failure rate, recovery time.",
    )
    .option('--env <name>', 'the environment (default: the last of the lifecycle, e.g. production)')
    .option(
      '--since <duration>',
      'how far back, a duration such as 30d or 90d',
      duration('--since'),
      DEFAULT_SINCE_MS,
    )
    .option(
      '--fix-within <duration>',
      "count a succeeded change as failed when the next change starts within this time of it going live (0: never; default: slipway.yaml's dora.fixWithin)",
      fixWithin,
    )
    .action(
      act(async (opts: DoraOptions) => {
        const c = ctx();
        const { config, lifecycle } = c.config();
        const env = opts.env ?? (lifecycle.at(-1) as string);
        requireEnv(config, env);
        const report = await doraFromStore(await c.store(), {
          app: config.app,
          env,
          sinceMs: opts.since,
          fixWithinMs: opts.fixWithin ?? config.dora?.fixWithin ?? 0,
        });
        return printDora(c, config.app, report);
      }),
    );
}

export function printDora(c: Context, app: string, r: DoraReport): number {
  if (c.io.json) {
    c.io.data({ app, ...r });
    return 0;
  }
  const pct = r.changeFailure.rate === null ? '-' : `${(r.changeFailure.rate * 100).toFixed(1)}%`;
  c.io.out(`${app} on ${r.env}, ${r.since.slice(0, 10)} → ${r.until.slice(0, 10)} (${r.days} days)`);
  c.io.out(
    table([
      ['KEY', 'VALUE', 'FROM'],
      ['deployment frequency', `${r.perWeek}/week (${r.perDay}/day)`, `${r.deployments} succeeded changes`],
      [
        'lead time (median)',
        human(r.leadTime.medianMs),
        `p90 ${human(r.leadTime.p90Ms)} over ${r.leadTime.count}; from release registration`,
      ],
      [
        'change failure rate',
        pct,
        `${r.changeFailure.failed} of ${r.changeFailure.changes} changes${r.fixWithinMs ? `; fixed within ${human(r.fixWithinMs)} counts` : ''}`,
      ],
      [
        'recovery time (median)',
        human(r.recovery.medianMs),
        `${r.recovery.recovered} recovered, ${r.recovery.open} open`,
      ],
    ]),
  );
  for (const f of r.failures.filter((x) => x.recoveredAt === null))
    c.io.out(`open: ${f.deploymentId} (${f.how}) since ${f.startedAt.slice(0, 19).replace('T', ' ')}`);
  if (r.changeFailure.changes === 0) c.io.out(`no finished deployments to ${r.env} in this period`);
  return 0;
}

/** 2h 5m, 43h, 30m, 12s; "-" for none. */
export function human(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [days && `${days}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join(' ');
}

/** The same through a server (SLIPWAY_URL): `GET /api/metrics/dora`. */
export async function remoteDora(c: Context, r: ApiClient, opts: DoraOptions): Promise<number> {
  const project = await r.project();
  const env = opts.env ?? (project.lifecycle.at(-1) as string);
  const q = new URLSearchParams({ app: project.app, env, since: `${Math.round(opts.since / 1000)}s` });
  if (opts.fixWithin !== undefined)
    q.set('fixWithin', opts.fixWithin === 0 ? '0' : `${Math.max(1, Math.round(opts.fixWithin / 1000))}s`);
  const report = await r.http.json<DoraReport & { app: string }>('GET', `/api/metrics/dora?${q}`);
  const { app: _app, ...rest } = report;
  return printDora(c, project.app, rest);
}
