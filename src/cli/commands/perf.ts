/**
 * `slipway perf ENV`: the performance step's stored figures of an environment, newest first: each
 * release's p50/p95/p99 and error rate, what it was compared with (and how), the ratio and the
 * verdict. Locally from the store; against a server through GET /api/performance.
 */
import type { Command } from 'commander';
import { lifecycleOrder } from '../../config/lifecycle.ts';
import { AppError } from '../../domain/errors.ts';
import type { PerfRecord } from '../../domain/performance.ts';
import { limit } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';
import type { ApiClient } from '../remote.ts';

const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

/** "1.0.0 side by side: p50 1.02x, p95 0.97x" — the paired ratios when there are, else the overall ones. */
function against(r: PerfRecord): string {
  const b = r.baseline;
  if (!b) return '';
  const ratio = (key: 'p50' | 'p95') =>
    (b.paired?.[key] ?? (b.figures[key] > 0 ? r.figures[key] / b.figures[key] : 0)).toFixed(2);
  const how = b.how === 'side-by-side' ? 'side by side' : 'recorded';
  return `${b.version} ${how}: p50 ${ratio('p50')}x, p95 ${ratio('p95')}x`;
}

export function printPerf(c: Context, env: string, list: readonly PerfRecord[]): void {
  if (c.io.json) {
    c.io.data(list);
    return;
  }
  if (list.length === 0) {
    c.io.out(
      `no performance figures for ${env} yet; they are stored when a deployment runs the performance step (environments.${env}.performance in slipway.yaml)`,
    );
    return;
  }
  c.io.out(
    table([
      ['RELEASE', 'MEASURED', 'P50 MS', 'P95 MS', 'P99 MS', 'ERRORS', 'REQUESTS', 'VERDICT', 'AGAINST'],
      ...list.map((r) => [
        r.version,
        r.measuredAt.slice(0, 19).replace('T', ' '),
        ms(r.figures.p50),
        ms(r.figures.p95),
        ms(r.figures.p99),
        pct(r.figures.errorRate),
        String(r.figures.requests),
        r.verdict,
        against(r),
      ]),
    ]),
  );
}

export async function remotePerf(c: Context, r: ApiClient, env: string, opts: { limit: number }) {
  const { app } = await r.project();
  printPerf(c, env, await r.performance(app, env, opts.limit));
  return 0;
}

export function registerPerf(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('perf')
    .description(
      "An environment's performance-step figures per release, newest first: p50/p95/p99, errors, the verdict and what it was compared with.",
    )
    .argument('<env>', 'the environment')
    .option('--limit <n>', 'how many, 1 to 1000', limit(), 20)
    .action(
      act(async (env: string, opts: { limit: number }) => {
        const c = ctx();
        const { config } = c.config();
        if (!(env in config.environments))
          throw new AppError(
            'ENV_NOT_FOUND',
            `${env}: slipway.yaml has no such environment; it has ${lifecycleOrder(config).join(', ') || 'none'}`,
          );
        const store = await c.store();
        printPerf(c, env, await store.performance.list(config.app, env, opts.limit));
        return 0;
      }),
    );
}
