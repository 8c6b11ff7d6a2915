/**
 * One round of analysis: measure every rule's metric for the new release (and the baseline when
 * the rule compares), judge, and combine into one result that can be stored and shown.
 *
 * Combination: `fail` if any rollback rule failed; otherwise `inconclusive` if any rollback rule
 * was inconclusive; otherwise `pass`. Warn rules never change the verdict; their failures are
 * listed in `warnings`. Sustained (`forMs`) rules read their earlier points from `history`, the
 * results of earlier rounds of the same analysis, so the engine only has to keep those.
 *
 * Provider failures never throw: they become inconclusive verdicts naming the provider.
 * Malformed rules do throw (`ANALYSIS_RULE_INVALID`): a rule that can never decide is a
 * configuration mistake to fix, not a verdict.
 */
import type { Measurement, MetricProvider, MetricQuery, Verdict, VerdictKind } from './contract.ts';
import { undecided } from './judges/common.ts';
import { judgeDrop } from './judges/drop.ts';
import { judgeLatencyVsStable } from './judges/latency-vs-stable.ts';
import { judgeMannWhitney } from './judges/mann-whitney.ts';
import { judgeProportions } from './judges/proportions.ts';
import { judgeRatio } from './judges/ratio.ts';
import { type Anchor, anchorsOf, countsOf, judgeSequential } from './judges/sequential.ts';
import { judgeSequentialLatency, STABLE_LEAD_MS } from './judges/sequential-latency.ts';
import { judgeSequentialVsBaseline, type PairPoint } from './judges/sequential-vs-baseline.ts';
import { judgeFor } from './judges/sustained.ts';
import { judgeThreshold } from './judges/threshold.ts';
import { type AnalysisRule, needsBaseline, type Severity, severityOf, validateRules } from './rules.ts';

/** Where the baseline's numbers come from. */
export type BaselineSource =
  /** A release serving beside the new one (canary): measured live, like the new release. */
  | { readonly kind: 'release'; readonly release: string }
  /** Numbers taken before the deploy (watch window after a full cutover), keyed by metric. */
  | { readonly kind: 'snapshot'; readonly values: Readonly<Record<string, Measurement>> };

export interface AnalyzeInput {
  readonly env: string;
  /** The new release. */
  readonly release: string;
  readonly baseline?: BaselineSource;
  readonly rules: readonly AnalysisRule[];
  readonly providers: Readonly<Record<string, MetricProvider>>;
  /** Provider key for rules that name none; default `builtin`. */
  readonly defaultProvider?: string;
  /** Window for rules that set none; default 60 s. */
  readonly defaultWindowMs?: number;
  /** Epoch ms; the end of every window. */
  readonly now: number;
  /** Earlier results of this analysis, any order; used by `forMs` and sequential rules. */
  readonly history?: readonly AnalysisResult[];
  /**
   * Epoch ms of this analysis' first round, however much history is kept: the origin of a
   * sequential rule's restarts. Default: the oldest result in `history`.
   */
  readonly since?: number;
}

/** A measurement as stored: raw samples are left out (they can be thousands), their number kept. */
export type StoredMeasurement =
  | {
      readonly phase: 'ok';
      readonly value: number;
      readonly count?: number;
      readonly samples?: number;
      readonly bounds?: { readonly low: number; readonly high: number };
    }
  | Exclude<Measurement, { phase: 'ok' }>;

export interface RuleOutcome {
  readonly rule: string;
  readonly kind: AnalysisRule['kind'];
  readonly severity: Severity;
  readonly metric: string;
  readonly provider: string;
  /** The rule's verdict, after `forMs` is applied. */
  readonly verdict: Verdict;
  /** This round's verdict alone; what `forMs` rules accumulate. */
  readonly point: Verdict;
  readonly measured: { readonly new: StoredMeasurement; readonly baseline?: StoredMeasurement };
}

export interface AnalysisResult {
  readonly at: number;
  readonly env: string;
  readonly release: string;
  readonly baseline?: string;
  readonly verdict: VerdictKind;
  /** One line: which rules failed or could not decide, or that all passed. */
  readonly reason: string;
  readonly outcomes: readonly RuleOutcome[];
  /** Reasons of failed warn rules. */
  readonly warnings: readonly string[];
}

const DEFAULT_WINDOW_MS = 60_000;

function stored(m: Measurement): StoredMeasurement {
  if (m.phase !== 'ok') return m;
  return {
    phase: 'ok',
    value: m.value,
    ...(m.count === undefined ? {} : { count: m.count }),
    ...(m.samples === undefined ? {} : { samples: m.samples.length }),
    ...(m.bounds === undefined ? {} : { bounds: m.bounds }),
  };
}

/** Calls a provider; a provider that throws (a bug) still yields a measurement. */
async function measure(provider: MetricProvider, q: MetricQuery): Promise<Measurement> {
  try {
    return await provider.query(q);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      phase: 'error',
      message: `provider ${provider.name} threw while measuring ${q.metric}: ${message}`,
    };
  }
}

function judge(
  rule: AnalysisRule,
  current: Measurement,
  baseline: Measurement | undefined,
  history: readonly AnalysisResult[] | undefined,
  now: number,
  since: number | undefined,
): Verdict {
  if (rule.kind === 'threshold') return judgeThreshold(rule, current);
  if (isCounting(rule) && since !== undefined && countingWindow(now, since) > (rule.windowMs ?? 0))
    return undecided(
      'pass',
      rule.name,
      `${rule.name}: the analysis is older than the router's memory; the fixed trigger decides`,
    );
  if (rule.kind === 'sequential')
    return judgeSequential(rule, current, earlierCounts(rule, history, now, since));
  if (rule.kind === 'sequential-latency') {
    const points = pointsOf(rule, history, now);
    const counts = points.flatMap((p) => {
      const s = p.stats;
      return s?.requests !== undefined && s.events !== undefined
        ? [{ at: p.at, counts: { requests: s.requests, errors: s.events } }]
        : [];
    });
    const anchors = anchorsOf(counts, since ?? counts[0]?.at ?? now);
    return judgeSequentialLatency(rule, current, baseline, points.at(-1)?.stats, anchors);
  }
  if (rule.kind === 'sequential-latency-pairs') {
    const points = pointsOf(rule, history, now);
    const counts = points.flatMap((p) => {
      const s = p.stats;
      return s?.pairs !== undefined && s.events !== undefined
        ? [{ at: p.at, counts: { requests: s.pairs, errors: s.events } }]
        : [];
    });
    const anchors = anchorsOf(counts, since ?? counts[0]?.at ?? now);
    return judgeLatencyVsStable(rule, current, baseline, points.at(-1)?.stats, anchors, now);
  }
  if (rule.kind === 'sequential-vs-baseline') {
    const points: PairPoint[] = pointsOf(rule, history, now).flatMap((p) => {
      const s = p.stats;
      return s?.newRequests !== undefined &&
        s.newErrors !== undefined &&
        s.baselineRequests !== undefined &&
        s.baselineErrors !== undefined
        ? [
            {
              at: p.at,
              current: { requests: s.newRequests, errors: s.newErrors },
              baseline: { requests: s.baselineRequests, errors: s.baselineErrors },
            },
          ]
        : [];
    });
    return judgeSequentialVsBaseline(rule, current, baseline, points, now, since ?? points[0]?.at ?? now);
  }
  const base: Measurement = baseline ?? {
    phase: 'nodata',
    reason: `rule ${rule.name} compares with a baseline and this analysis has none`,
  };
  if (rule.kind === 'ratio') return judgeRatio(rule, current, base);
  if (rule.kind === 'drop') return judgeDrop(rule, current, base);
  if (rule.kind === 'mann-whitney') return judgeMannWhitney(rule, current, base);
  return judgeProportions(rule, current, base);
}

/** Sequential rules that only fail and count from the analysis' first round (see `countingWindow`). */
function isCounting(rule: AnalysisRule): boolean {
  return (
    rule.kind === 'sequential-latency' ||
    rule.kind === 'sequential-latency-pairs' ||
    rule.kind === 'sequential-vs-baseline' ||
    (rule.kind === 'sequential' && rule.onlyFails === true)
  );
}

/**
 * The window a counting rule reads: from the second before the analysis' first round to now, in
 * whole seconds (the builtin router's slots), so the counts of every round start at the same
 * moment and the difference of two rounds is the traffic between them. Past the rule's own window
 * (the router's memory) the counts would start sliding, and the test stops looking.
 */
export function countingWindow(now: number, since: number): number {
  return (Math.floor(now / 1000) - Math.floor(since / 1000) + 2) * 1000;
}

/** This rule's verdicts at earlier rounds, oldest first. */
function pointsOf(
  rule: AnalysisRule,
  history: readonly AnalysisResult[] | undefined,
  now: number,
): { at: number; stats: Readonly<Record<string, number>> | undefined }[] {
  return [...(history ?? [])]
    .filter((r) => r.at < now)
    .sort((a, b) => a.at - b.at)
    .flatMap((r) => {
      const o = r.outcomes.find((x) => x.rule === rule.name);
      return o ? [{ at: r.at, stats: o.point.stats }] : [];
    });
}

/**
 * The restarts of a sequential rule: its cumulative counts at earlier rounds, oldest first, on a
 * grid counted from the analysis' first round. Only rounds inside the rule's window, whose counts
 * the current one contains.
 */
function earlierCounts(
  rule: AnalysisRule,
  history: readonly AnalysisResult[] | undefined,
  now: number,
  since: number | undefined,
): Anchor[] {
  const windowMs = rule.windowMs ?? DEFAULT_WINDOW_MS;
  const past = [...(history ?? [])].filter((r) => r.at < now).sort((a, b) => a.at - b.at);
  const points = past
    .filter((r) => r.at > now - windowMs)
    .flatMap((r) => {
      const m = r.outcomes.find((o) => o.rule === rule.name)?.measured.new;
      const counts = m?.phase === 'ok' ? countsOf(m) : undefined;
      return counts ? [{ at: r.at, counts }] : [];
    });
  return anchorsOf(points, since ?? past[0]?.at ?? now);
}

function unknownProvider(rule: AnalysisRule, key: string, known: readonly string[]): Measurement {
  return {
    phase: 'error',
    message: `rule ${rule.name} uses metric provider "${key}", which is not configured (configured: ${known.join(', ') || 'none'})`,
  };
}

type Cache = Map<string, Promise<Measurement>>;

/** The provider key of a rule and a function measuring its metric for a release. */
function querier(
  input: Omit<AnalyzeInput, 'baseline' | 'history'>,
  rule: AnalysisRule,
  cache: Cache,
  /** For a counting rule: how far before the analysis' first round the window starts. */
  leadMs = 0,
) {
  const counting = isCounting(rule);
  const key = rule.provider ?? input.defaultProvider ?? 'builtin';
  const provider = input.providers[key];
  const ruleWindow = rule.windowMs ?? input.defaultWindowMs ?? DEFAULT_WINDOW_MS;
  const windowMs =
    counting && input.since !== undefined
      ? Math.min(ruleWindow, countingWindow(input.now, input.since) + leadMs)
      : ruleWindow;
  // Rules sharing a metric, window and provider share one query per release.
  const query = (release: string): Promise<Measurement> => {
    if (!provider) return Promise.resolve(unknownProvider(rule, key, Object.keys(input.providers)));
    const id = JSON.stringify([key, rule.metric, windowMs, release]);
    let hit = cache.get(id);
    if (!hit) {
      hit = measure(provider, { env: input.env, release, metric: rule.metric, windowMs, now: input.now });
      cache.set(id, hit);
    }
    return hit;
  };
  return { key, query };
}

/**
 * The stable release's latencies the latency test bounds its p95 with: from STABLE_LEAD_MS before
 * the analysis started to now, a sample that only grows (its bound holds for every round at once).
 * Once that would reach past the router's memory the sample would slide: no new bound, the test
 * keeps its last limit.
 */
function stableLatency(input: AnalyzeInput, rule: AnalysisRule, cache: Cache, release: string) {
  const ruleWindow = rule.windowMs ?? DEFAULT_WINDOW_MS;
  if (input.since !== undefined && countingWindow(input.now, input.since) + STABLE_LEAD_MS > ruleWindow)
    return Promise.resolve<Measurement>({
      phase: 'nodata',
      reason: `the stable release's latencies since ${STABLE_LEAD_MS / 60_000} minutes before the analysis reach past the router's memory`,
    });
  return querier(input, rule, cache, STABLE_LEAD_MS).query(release);
}

async function runRule(input: AnalyzeInput, rule: AnalysisRule, cache: Cache) {
  const { key, query } = querier(input, rule, cache);
  const baselineOf = (): Promise<Measurement | undefined> => {
    const b = input.baseline;
    if (!needsBaseline(rule) || !b) return Promise.resolve(undefined);
    if (b.kind === 'release' && rule.kind === 'sequential-latency')
      return stableLatency(input, rule, cache, b.release);
    if (b.kind === 'release') return query(b.release);
    return Promise.resolve(
      b.values[rule.metric] ?? { phase: 'nodata', reason: `the pre-deploy snapshot has no ${rule.metric}` },
    );
  };
  const [current, baseline] = await Promise.all([query(input.release), baselineOf()]);
  return {
    key,
    current,
    baseline,
    point: judge(rule, current, baseline, input.history, input.now, input.since),
  };
}

function sustain(rule: AnalysisRule, point: Verdict, input: AnalyzeInput): Verdict {
  if (rule.forMs === undefined) return point;
  const earlier = (input.history ?? []).flatMap((r) =>
    r.outcomes.filter((o) => o.rule === rule.name).map((o) => ({ at: r.at, verdict: o.point })),
  );
  return judgeFor({ name: rule.name, forMs: rule.forMs }, [...earlier, { at: input.now, verdict: point }]);
}

function combine(outcomes: readonly RuleOutcome[]): { verdict: VerdictKind; reason: string } {
  const decisive = outcomes.filter((o) => o.severity === 'rollback');
  const failed = decisive.filter((o) => o.verdict.verdict === 'fail');
  if (failed.length > 0) return { verdict: 'fail', reason: failed.map((o) => o.verdict.reason).join('; ') };
  const open = decisive.filter((o) => o.verdict.verdict === 'inconclusive');
  if (open.length > 0)
    return { verdict: 'inconclusive', reason: open.map((o) => o.verdict.reason).join('; ') };
  if (decisive.length === 0) return { verdict: 'inconclusive', reason: 'no rollback rules to judge by' };
  return { verdict: 'pass', reason: `all ${decisive.length} rules passed` };
}

/**
 * @example
 * const result = await analyze({
 *   env: 'production', release: 'v2', baseline: { kind: 'release', release: 'v1' },
 *   rules: DEFAULT_PROFILE.rollback, providers: { builtin, runtime }, now: Date.now(), history,
 * });
 * if (result.verdict === 'fail') await rollback(result.reason);
 */
export async function analyze(input: AnalyzeInput): Promise<AnalysisResult> {
  validateRules(input.rules);
  const cache: Cache = new Map();
  const runs = await Promise.all(input.rules.map((rule) => runRule(input, rule, cache)));
  const outcomes: RuleOutcome[] = input.rules.map((rule, i) => {
    const { key, current, baseline, point } = runs[i]!;
    return {
      rule: rule.name,
      kind: rule.kind,
      severity: severityOf(rule),
      metric: rule.metric,
      provider: key,
      verdict: sustain(rule, point, input),
      point,
      measured:
        baseline === undefined
          ? { new: stored(current) }
          : { new: stored(current), baseline: stored(baseline) },
    };
  });
  const warnings = outcomes
    .filter((o) => o.severity === 'warn' && o.verdict.verdict === 'fail')
    .map((o) => o.verdict.reason);
  const b = input.baseline;
  return {
    at: input.now,
    env: input.env,
    release: input.release,
    ...(b?.kind === 'release'
      ? { baseline: b.release }
      : b?.kind === 'snapshot'
        ? { baseline: 'pre-deploy snapshot' }
        : {}),
    ...combine(outcomes),
    outcomes,
    warnings,
  };
}

/**
 * Measures the metrics of `rules` for a release, for use later as a `snapshot` baseline (the
 * watch window compares with the numbers from before the deploy).
 */
export async function snapshotBaseline(
  input: Omit<AnalyzeInput, 'baseline' | 'history'>,
): Promise<Readonly<Record<string, Measurement>>> {
  validateRules(input.rules);
  const cache: Cache = new Map();
  const entries = await Promise.all(
    input.rules.map(
      async (rule) => [rule.metric, await querier(input, rule, cache).query(input.release)] as const,
    ),
  );
  return Object.fromEntries(entries);
}
