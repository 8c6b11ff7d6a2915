/**
 * The performance step (slipway.yaml `environments.<env>.performance`): a bounded load on the
 * environment's own address once the checks passed, judged against the previous release.
 *
 * Noise: two runs minutes apart on a shared machine differ by more than a 20% regression, so the
 * previous release is measured in the same step whenever it still runs behind the router (canary
 * and blue-green keep it at weight 0 until finalize): one load whose requests alternate between
 * the two, each pinned by the preview header, so both see the same machine request by request
 * (perf-paired.ts). Only when it is gone (rolling) are
 * its figures recorded by its own deployment used. Either way the new release's figures are stored.
 * A fail on latency alone is measured once more, after another warm-up, before it decides: p95 from
 * a few dozen answers is the third-slowest of them, and one stall of a busy machine moves it; a
 * slower release is slower again, a stall seldom lands twice (the error rate decides at once).
 */
import { endpointOutside, type PerformanceConfig } from '../config/performance.ts';
import type { PerfBaseline, PerformanceRecords, PerfRecord, PerfVerdict } from '../domain/performance.ts';
import type { DeploymentContext } from './context.ts';
import { DEFAULT_PERF_LIMITS, describeFigures, judge } from './perf-judge.ts';
import { type LoadSpec, pairedRatios, runLoad, warmUp } from './perf-load.ts';
import { runPairedLoad } from './perf-paired.ts';
import type { PerformanceRunner } from './ports.ts';

interface Measured {
  readonly figures: PerfRecord['figures'];
  readonly baseline: PerfBaseline | null;
  /** Why there is no baseline, as the timeline says it. */
  readonly missing: string;
}

type PerformanceInput = Parameters<PerformanceRunner['run']>[1];

export interface PerformanceRunnerOptions {
  readonly records: PerformanceRecords;
  readonly now?: () => Date;
}

/** The origin and paths the load goes to, or why it may not go anywhere. */
export function loadTarget(
  ctx: DeploymentContext,
): { origin: string; paths: string[] } | { refused: string } {
  const perf = ctx.performance;
  if (!perf) return { refused: 'no performance step configured' };
  const router = `http://${ctx.listen.host}:${ctx.listen.port}`;
  const addresses = { routerPort: ctx.listen.port, ...(perf.envUrl !== undefined && { url: perf.envUrl }) };
  const origins = new Set<string>();
  const paths: string[] = [];
  for (const endpoint of perf.endpoints) {
    const outside = endpointOutside(endpoint, addresses);
    if (outside)
      return {
        refused: `environments.${ctx.env}.performance.endpoints: ${outside}; nothing was sent or recorded`,
      };
    if (endpoint.startsWith('/')) {
      origins.add(router);
      paths.push(endpoint);
    } else {
      const url = new URL(endpoint);
      origins.add(
        url.origin === new URL(router).origin || url.hostname === 'localhost' ? router : url.origin,
      );
      paths.push(`${url.pathname}${url.search}`);
    }
  }
  if (origins.size > 1)
    return {
      refused: `environments.${ctx.env}.performance.endpoints: they name ${origins.size} addresses (${[...origins].join(', ')}); one load step measures one address: use paths`,
    };
  return { origin: [...origins][0] as string, paths };
}

/** One timed measurement of the new release and of what it is compared with, both warmed first. */
async function measureOnce(
  ctx: DeploymentContext,
  input: PerformanceInput,
  target: { origin: string; paths: string[] },
  records: PerformanceRecords,
): Promise<Measured> {
  const perf = ctx.performance as NonNullable<DeploymentContext['performance']>;
  const spec = (releaseId: string): LoadSpec => ({
    origin: target.origin,
    paths: target.paths,
    rate: perf.rate,
    durationMs: perf.durationMs,
    connections: perf.connections,
    headers: { [ctx.previewHeader]: releaseId },
    ...(input.signal && { signal: input.signal }),
  });
  // Both sides warm (a just-started release is cold) before the timed load; the new release, beside
  // the previous one, until its median is near that one's (or the warm-up's time is up).
  const warmed = async (id: string, besideId?: string) => {
    let beside = Number.NaN;
    await Promise.all([
      warmUp(spec(id), besideId === undefined ? undefined : () => beside),
      besideId === undefined
        ? undefined
        : warmUp(spec(besideId), undefined, (m) => {
            beside = m;
          }),
    ]);
    if (input.signal?.aborted) throw new Error('aborted');
  };
  const load = (releaseId: string) => runLoad(spec(releaseId));
  if (ctx.stable && input.stableRunning) {
    const stable = ctx.stable;
    await warmed(ctx.release.id, stable.id);
    const { headers: _pinned, ...shared } = spec(ctx.release.id);
    const { mine, theirs } = await runPairedLoad(shared, ctx.previewHeader, ctx.release.id, stable.id);
    const paired = pairedRatios(mine.slices, theirs.slices);
    return {
      figures: mine.figures,
      baseline: {
        releaseId: stable.id,
        version: stable.version,
        how: 'side-by-side',
        figures: theirs.figures,
        ...(paired && { paired }),
      },
      missing: '',
    };
  }
  await warmed(ctx.release.id);
  const figures = (await load(ctx.release.id)).figures;
  if (!ctx.stable) return { figures, baseline: null, missing: ` (the first release of ${ctx.env})` };
  const recorded = await records.latest(ctx.app, ctx.env, ctx.stable.id);
  if (!recorded)
    return {
      figures,
      baseline: null,
      missing: ` (${ctx.stable.version} has no figures recorded in ${ctx.env} and no longer runs)`,
    };
  return {
    figures,
    baseline: {
      releaseId: ctx.stable.id,
      version: ctx.stable.version,
      how: 'recorded',
      figures: recorded.figures,
    },
    missing: '',
  };
}

export function createPerformanceRunner(options: PerformanceRunnerOptions): PerformanceRunner {
  const now = options.now ?? (() => new Date());
  return {
    async run(ctx, input) {
      const perf = ctx.performance;
      if (!perf) return { ok: true, note: 'no performance step configured' };
      const target = loadTarget(ctx);
      if ('refused' in target) return { ok: false, reason: target.refused };
      const measure = () => measureOnce(ctx, input, target, options.records);
      const aborted = { ok: false as const, reason: 'performance step stopped: deployment aborted' };
      let measured: Measured;
      let verdict: PerfVerdict;
      let summary: string;
      try {
        measured = await measure();
        const first = judge(measured.figures, measured.baseline, perf.limits, ctx.release);
        ({ verdict, summary } = first);
        if (first.verdict === 'fail' && first.latencyOnly && !input.signal?.aborted) {
          // A tail read from a few dozen answers moves with one stall of a busy machine: a release
          // that is slower is slower again in a second run, while a stall seldom lands twice.
          measured = await measure();
          const second = judge(measured.figures, measured.baseline, perf.limits, ctx.release);
          verdict = second.verdict;
          summary =
            second.verdict === 'fail'
              ? `${second.summary} (confirmed by a second run; the first read ${first.regressions})`
              : `${second.summary} (a first run read ${first.regressions}; a second run did not confirm it)`;
        }
      } catch (error) {
        if (input.signal?.aborted) return aborted;
        return { ok: false, reason: `performance step could not run its load: ${(error as Error).message}` };
      }
      if (input.signal?.aborted) return aborted;
      const { figures, baseline } = measured;
      const line = `${summary}${measured.missing}`;
      await options.records.record({
        deploymentId: input.deploymentId,
        app: ctx.app,
        env: ctx.env,
        releaseId: ctx.release.id,
        version: ctx.release.version,
        measuredAt: now().toISOString(),
        figures,
        baseline,
        verdict,
        summary: line,
      });
      if (verdict === 'fail') return { ok: false, reason: line };
      return { ok: true, note: verdict === 'first' ? line : `${line}; ${describeFigures(figures)}` };
    },
  };
}

/** slipway.yaml's parsed `performance` as the deployment context keeps it. */
export function performanceOf(
  config: PerformanceConfig,
  envUrl: string | undefined,
): NonNullable<DeploymentContext['performance']> {
  const max = config.maxRegression;
  const latency = max && (max.p50 !== undefined || max.p95 !== undefined || max.p99 !== undefined);
  return {
    rate: config.rate,
    durationMs: config.duration,
    connections: config.connections ?? 10,
    endpoints: config.endpoints,
    ...(envUrl !== undefined && { envUrl }),
    limits: {
      // Naming no latency ratio keeps the default ratios: a step that judges no latency is a mistake.
      ...(latency
        ? {
            ...(max.p50 !== undefined && { p50: max.p50 }),
            ...(max.p95 !== undefined && { p95: max.p95 }),
            ...(max.p99 !== undefined && { p99: max.p99 }),
          }
        : { p50: DEFAULT_PERF_LIMITS.p50 as number, p95: DEFAULT_PERF_LIMITS.p95 as number }),
      errorRate: max?.errorRate ?? DEFAULT_PERF_LIMITS.errorRate,
      minDeltaMs: max?.minDelta ?? DEFAULT_PERF_LIMITS.minDeltaMs,
    },
  };
}
