/**
 * The performance step's verdict: the new release's figures against the previous release's, as
 * ratios for latency (a difference under `minDeltaMs` never counts: at sub-millisecond latencies a
 * ratio is mostly timer noise) and as a rise in percentage points for the error rate. Pure.
 */
import type { PerfBaseline, PerfFigures, PerfVerdict } from '../domain/performance.ts';

export interface PerfLimits {
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  /** The error rate may rise by this much (0.01 = one percentage point). */
  readonly errorRate: number;
  readonly minDeltaMs: number;
}

/**
 * The median moves with the release's own service time and is steady under a busy machine; the
 * tail is mostly the machine's scheduling stalls, so it gets more room (bench/README.md, issue 19 b).
 */
export const DEFAULT_PERF_LIMITS: PerfLimits = { p50: 1.2, p95: 1.5, errorRate: 0.01, minDeltaMs: 2 };

const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

export function describeFigures(f: PerfFigures): string {
  return `p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, p99 ${ms(f.p99)}, errors ${pct(f.errorRate)} (${f.requests} requests, ${f.rate}/s)`;
}

export interface PerfJudgement {
  readonly verdict: PerfVerdict;
  readonly summary: string;
  /** A fail on latency ratios alone (the error rate held): worth measuring again before it decides. */
  readonly latencyOnly?: boolean;
  /** A fail's regressions, as the summary names them after its lead-in. */
  readonly regressions?: string;
}

export function judge(
  figures: PerfFigures,
  baseline: PerfBaseline | null,
  limits: PerfLimits,
  what: { readonly version: string },
): PerfJudgement {
  if (baseline === null)
    return {
      verdict: 'first',
      summary: `${what.version}: ${describeFigures(figures)}; nothing to compare with`,
    };
  const b = baseline.figures;
  if (figures.requests === 0 || b.requests === 0 || (figures.p50 === 0 && b.p50 === 0))
    return {
      verdict: 'unjudged',
      summary: `performance not judged: ${figures.requests} answers from ${what.version} and ${b.requests} from ${baseline.version} counted; raise duration or rate`,
    };
  const parts: string[] = [];
  const regressions: string[] = [];
  for (const key of ['p50', 'p95', 'p99'] as const) {
    const allowed = limits[key];
    // No good answer on one side: its latency says nothing (the error rate decides).
    if (allowed === undefined || b[key] === 0 || figures[key] === 0) continue;
    const overall = b[key] > 0 ? figures[key] / b[key] : figures[key] > 0 ? Number.POSITIVE_INFINITY : 1;
    const ratio = baseline.paired?.[key] ?? overall;
    const how = baseline.paired ? ` over ${baseline.paired.slices} paired slices` : '';
    const line = `${key} ${ms(figures[key])} vs ${ms(b[key])} (${ratio.toFixed(2)}x${how}, allowed ${allowed}x)`;
    parts.push(line);
    if (ratio > allowed && figures[key] - b[key] > limits.minDeltaMs) regressions.push(line);
  }
  const errLine = `errors ${pct(figures.errorRate)} vs ${pct(b.errorRate)} (allowed +${pct(limits.errorRate)})`;
  parts.push(errLine);
  if (figures.errorRate - b.errorRate > limits.errorRate) regressions.push(errLine);
  const against = `${baseline.version} (${baseline.how === 'side-by-side' ? 'measured side by side' : 'its recorded figures'})`;
  if (regressions.length > 0)
    return {
      verdict: 'fail',
      summary: `performance regression against ${against}: ${regressions.join('; ')}`,
      latencyOnly: !regressions.includes(errLine),
      regressions: regressions.join('; '),
    };
  return { verdict: 'pass', summary: `performance against ${against}: ${parts.join('; ')}` };
}
