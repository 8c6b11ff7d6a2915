/**
 * The guard: one round of analysis of the new release against its baseline, with the
 * environment's rollback rules (the seed's defaults unless slipway.yaml overrides them).
 * During a canary the baseline is the stable release, measured live beside it; after a full
 * cutover it is the stable release's numbers up to the moment it stopped taking traffic.
 */
import { type AnalysisResult, analyze } from '../analysis/analyze.ts';
import type { MetricProvider } from '../analysis/contract.ts';
import { type AnalysisProfile, PROFILES } from '../analysis/judges/defaults.ts';
import type { AnalysisRule } from '../analysis/rules.ts';
import type { DeploymentContext } from './context.ts';
import type { Guard, GuardPhase, GuardResult } from './ports.ts';

export interface GuardOptions {
  readonly providers: Readonly<Record<string, MetricProvider>>;
  /** Rollback rules per environment; default: the profile's. */
  readonly rulesFor?: (ctx: DeploymentContext, profile: AnalysisProfile) => readonly AnalysisRule[];
  /** The providers of one deployment's environment (default: `providers`). */
  readonly providersFor?: (ctx: DeploymentContext) => Readonly<Record<string, MetricProvider>>;
  /** The provider of rules that name none (default: builtin). */
  readonly defaultProviderFor?: (ctx: DeploymentContext) => string;
  /** Override the interval (tests). */
  readonly intervalMs?: number;
  /**
   * The flag whose variants a deployment's analysis also judges apart (`strategy.canary.flagAnalysis:
   * variants`), with the variant rolled out and the one the others get; undefined: none.
   */
  readonly variantsFor?: (ctx: DeploymentContext) => Promise<FlagVariants | undefined>;
}

/** A flag's rolled-out variant (`on`) and the variant everyone else gets (`off`). */
export interface FlagVariants {
  readonly flag: string;
  readonly on: string;
  readonly off: string;
}

/** The router's name for a release's answers that served one variant of a flag (`x-slipway-flag`). */
export const variantSeries = (flag: string, variant: string, release: string): string =>
  `flag:${flag}=${variant}@${release}`;

/**
 * The rules that judge a flag's variants apart: the environment's error-rate rules applied to the
 * users of the rolled-out variant alone, and a two-proportion test of its error rate against the
 * other users'. Only error rates: they are what the app's answers carry per variant.
 */
export function variantRules(rules: readonly AnalysisRule[]): AnalysisRule[] {
  const errorRules = rules.filter(
    (r) => r.metric === 'error_rate' && (r.severity ?? 'rollback') === 'rollback',
  );
  const minCount = errorRules
    .map((r) => ('minCount' in r ? r.minCount : undefined))
    .find((n) => n !== undefined);
  return [
    ...errorRules.map((r) => ({ ...r, name: `variant-${r.name}` })),
    {
      kind: 'proportions',
      name: 'variant-error-rate-vs-others',
      metric: 'error_rate',
      windowMs: errorRules[0]?.windowMs ?? 60_000,
      ...(minCount !== undefined && { minRequests: minCount }),
      unit: 'ratio',
    },
  ];
}

/** A provider whose answers about `release` end at `until`: the stable release's last traffic. */
function frozenAt(provider: MetricProvider, release: string, until: number): MetricProvider {
  return {
    name: provider.name,
    query: (q) =>
      provider.query(
        q.release === release && q.now > until ? { ...q, now: until, endedAgoMs: q.now - until } : q,
      ),
  };
}

function headline(result: AnalysisResult): GuardResult['numbers'] {
  const find = (metric: string) => result.outcomes.find((o) => o.metric === metric);
  const value = (m: { phase: string; value?: number } | undefined) =>
    m?.phase === 'ok' ? (m.value ?? null) : null;
  const err = find('error_rate');
  const p95 = find('p95');
  return {
    errorRate: value(err?.measured.new),
    baselineErrorRate: value(err?.measured.baseline),
    p95: value(p95?.measured.new),
    baselineP95: value(p95?.measured.baseline),
  };
}

/**
 * The new release's users who got the flag's rolled-out variant against those who did not, from the
 * router's per-variant windows. Only a failure counts: too little traffic on either side (a flag at 0% or
 * 100%, an app that names no variant) leaves the release's own verdict to decide.
 */
async function judgeVariants(
  v: FlagVariants,
  rules: readonly AnalysisRule[],
  providers: Readonly<Record<string, MetricProvider>>,
  defaultProvider: string | undefined,
  ctx: DeploymentContext,
  now: number,
): Promise<Omit<GuardResult, 'warnings' | 'numbers'> | undefined> {
  const result = await analyze({
    env: ctx.env,
    release: variantSeries(v.flag, v.on, ctx.release.id),
    baseline: { kind: 'release', release: variantSeries(v.flag, v.off, ctx.release.id) },
    rules: variantRules(rules),
    providers,
    defaultProvider: defaultProvider ?? 'builtin',
    now,
  });
  const failed = result.outcomes.find((o) => o.verdict.verdict === 'fail');
  if (!failed) return undefined;
  return {
    verdict: 'fail',
    reason: `flag ${v.flag}, users on "${v.on}" against users on "${v.off}": ${failed.verdict.reason}`,
    rule: failed.rule,
    observed: failed.verdict.observed,
    threshold: failed.verdict.threshold,
  };
}

/**
 * How often an analysis with a sequential rule measures: a look costs the test nothing, so the
 * delay between the evidence and the rollback is at most this.
 */
export const SEQUENTIAL_INTERVAL_MS = 250;

export function createGuard(
  options: GuardOptions & { profile?: string },
): Guard & { history: Map<string, AnalysisResult[]> } {
  const history = new Map<string, AnalysisResult[]>();
  const firstRound = new Map<string, number>();
  const lastFull = new Map<string, { at: number; phase: GuardPhase; result: AnalysisResult }>();
  const base = PROFILES[options.profile ?? 'default'] ?? PROFILES.default!;
  const intervalMs = (ctx: DeploymentContext): number => {
    if (options.intervalMs !== undefined) return options.intervalMs;
    const profile = PROFILES[ctx.profile] ?? base;
    // A sequential test may be looked at after every measurement without losing its guarantee, so
    // it is measured every SEQUENTIAL_INTERVAL_MS: a fault is caught as soon as the evidence is in.
    const rules = options.rulesFor?.(ctx, profile) ?? profile.rollback;
    return rules.some((r) => r.kind.startsWith('sequential'))
      ? Math.min(profile.intervalMs, SEQUENTIAL_INTERVAL_MS)
      : profile.intervalMs;
  };
  return {
    history,
    intervalMs,
    unmeasurable: (ctx) => {
      const driver = ctx.driver ?? 'builtin';
      if (driver === 'builtin' || (options.defaultProviderFor?.(ctx) ?? 'builtin') !== 'builtin')
        return undefined;
      return `${driver} keeps no per-release metrics and this environment sets no metrics source`;
    },
    async check(
      ctx: DeploymentContext,
      phase: GuardPhase,
      now: number,
      cutover: number | null,
    ): Promise<GuardResult> {
      const profile = PROFILES[ctx.profile] ?? base;
      const allRules = [
        ...(options.rulesFor?.(ctx, profile) ?? profile.rollback),
        ...(phase === 'watch' ? profile.watch : []),
      ].filter(
        // The latency tests compare the two releases at the same moments. In the watch the previous
        // release serves nothing (its figures are from before the switch, under another share of the
        // load), so the fixed latency trigger decides there.
        (r) => !(phase === 'watch' && r.kind.startsWith('sequential-latency')),
      );
      const key = `${ctx.env}/${ctx.release.id}`;
      // The fixed-window judges are judged at the profile's interval, as they were designed to be
      // (a limit's confidence bounds looked at every 250 ms would fail more healthy releases); the
      // sequential tests, which may be looked at any time, in every round between.
      const full = lastFull.get(key);
      const everyRule =
        options.intervalMs !== undefined ||
        !full ||
        now - full.at >= profile.intervalMs ||
        full.phase !== phase;
      const rules = everyRule ? allRules : allRules.filter((r) => r.kind.startsWith('sequential'));
      const all = options.providersFor?.(ctx) ?? options.providers;
      const providers =
        ctx.stable && cutover !== null
          ? Object.fromEntries(Object.entries(all).map(([k, p]) => [k, frozenAt(p, ctx.stable!.id, cutover)]))
          : all;
      const past = history.get(key) ?? [];
      // The first round stays known when old rounds are dropped: sequential rules count from it.
      const since = firstRound.get(key) ?? now;
      firstRound.set(key, since);
      const result = await analyze({
        env: ctx.env,
        release: ctx.release.id,
        ...(ctx.stable && { baseline: { kind: 'release' as const, release: ctx.stable.id } }),
        rules,
        providers,
        defaultProvider: options.defaultProviderFor?.(ctx) ?? 'builtin',
        now,
        history: past,
        since,
      });
      // Enough rounds for the longest `forMs` at this interval (a sequential rule makes rounds
      // frequent: 5 minutes at 250 ms is 1200 rounds), at least 500.
      const longestFor = Math.max(0, ...allRules.map((r) => r.forMs ?? 0));
      const keep = Math.max(500, Math.ceil(longestFor / intervalMs(ctx)) + 20);
      history.set(key, [...past.filter((r) => r.at > now - 3_600_000).slice(-keep), result]);
      const variants = phase === 'watch' || !everyRule ? undefined : await options.variantsFor?.(ctx);
      if (variants) {
        const failed = await judgeVariants(
          variants,
          rules,
          providers,
          options.defaultProviderFor?.(ctx),
          ctx,
          now,
        );
        if (failed) return { ...failed, warnings: result.warnings, numbers: headline(result) };
      }
      const failed = result.outcomes.find((o) => o.severity === 'rollback' && o.verdict.verdict === 'fail');
      if (everyRule) lastFull.set(key, { at: now, phase, result });
      else if (!failed && full) {
        // Between full rounds nothing failed: the fixed triggers' last word stands.
        return {
          verdict: full.result.verdict,
          reason: full.result.reason,
          warnings: full.result.warnings,
          numbers: headline(full.result),
        };
      }
      return {
        verdict: result.verdict,
        reason: failed ? failed.verdict.reason : result.reason,
        ...(failed && {
          rule: failed.rule,
          observed: failed.verdict.observed,
          threshold: failed.verdict.threshold,
        }),
        warnings: result.warnings,
        numbers: headline(result),
      };
    },
  };
}
