/**
 * Sequential latency test against the stable release, request by request: is a request to the
 * new release more likely than not to take over `maxRatio` × a request the stable release served
 * at the same moment? A release whose every request became twice as slow is shown to be within a
 * few dozen requests, whatever the stable release's p95 and however little of its traffic there
 * is — no bound on the stable p95 is needed (that is what latency-p95-sequential needs, and on a
 * young stable release or a busy machine that bound is loose).
 *
 * Between two measurements the router saw the new release's requests X and the stable's Y. The
 * stable ones are shuffled (a seeded order, independent of their values) and paired with the new
 * release's one by one; a pair counts as an "event" when X's histogram bucket starts past
 * `maxRatio` × the upper edge of Y's (with 10%-wide buckets: X at least 1.1^3 = 1.33× Y for 1.25).
 *
 * H0: a new-release request is slower than `maxRatio` × an independent stable request with
 * probability at most 1/2 (its typical request is within `maxRatio` × the stable's). Counted
 * conservatively, each event then has probability at most 1/2 given the ones before, and the count
 * is tested with the mixture likelihood ratio of sequential.ts (alternatives 0.6–0.97 against
 * 0.5) and its restarts: by Ville's inequality a release within H0 is ever rolled back with
 * probability at most α, however often the test looks. It assumes what every comparison does:
 * each side's requests in an interval are alike and independent of the pairing.
 *
 * It only ever fails: when the evidence is not there it passes and the fixed latency trigger
 * decides. Unpaired requests (the side with more requests in an interval) are not counted, nor
 * are the new release's first WARMUP_REQUESTS requests and first WARMUP_MS.
 */
import type { Measurement, MeasurementOk, Verdict } from '../contract.ts';
import { undecided } from './common.ts';
import { formatShare } from './format.ts';
import { mulberry32 } from './seeded.ts';
import { type Anchor, formatAlpha, SEQUENTIAL_DEFAULTS, sequentialTest, testStats } from './sequential.ts';
import { BUCKET_FACTOR, type Histogram } from './sequential-latency.ts';

export interface LatencyVsStableRule {
  readonly name: string;
  /** How much slower than a stable request a new-release request must be to count, e.g. 1.25. */
  readonly maxRatio: number;
  readonly alpha?: number;
}

/**
 * A pair counts only when the new request is also this much slower in absolute terms: a third of
 * a millisecond on a 1 ms request is a ratio of 1.33 but nothing a user notices, and a release
 * just started (a fresh connection pool, code not yet optimised) runs that much behind a warm one.
 */
export const MIN_EXTRA_MS = 2;
/**
 * The new release's first requests are not paired: a release just started answers its first
 * hundred or so requests cold (the demo's shop: p95 33 ms in its first second, 9 ms after, against
 * 11 ms for the warm stable release), which says nothing about the release once warm.
 */
export const WARMUP_REQUESTS = 100;
/**
 * Nor are its requests of the first seconds after the analysis first saw it serve: under a heavy
 * load a hundred requests pass in a second, and a container just started on a busy machine (a cold
 * file cache, code not yet optimised) ran over 1.33× the warm release for longer than that.
 */
export const WARMUP_MS = 5000;

/** Alternatives mixed over: the chance a pair is an event, against 1/2 under H0. */
export const PAIR_ALTERNATIVES = [0.6, 0.7, 0.8, 0.9, 0.97];
const P0 = 0.5;

/** Stats keys holding the last round's cumulative histograms: `n:<upperMs>`, `b:<upperMs>`. */
const NEW = 'n:';
const BASE = 'b:';

function toStats(prefix: string, h: Histogram): Record<string, number> {
  return Object.fromEntries(h.upperMs.map((u, i) => [`${prefix}${u}`, h.counts[i] ?? 0]));
}

function fromStats(prefix: string, stats: Readonly<Record<string, number>> | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of Object.entries(stats ?? {})) if (k.startsWith(prefix)) out.set(Number(k.slice(2)), v);
  return out;
}

/** The requests between two cumulative histograms, as upper edges; undefined if a count fell. */
function added(now: Histogram, before: Map<number, number>): number[] | undefined {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const [i, u] of now.upperMs.entries()) {
    const n = (now.counts[i] ?? 0) - (before.get(u) ?? 0);
    if (n < 0) return undefined;
    seen.add(u);
    for (let k = 0; k < n; k++) out.push(u);
  }
  // A bucket that held requests before and is gone now: the router restarted or its window slid.
  for (const [u, n] of before) if (n > 0 && !seen.has(u)) return undefined;
  return out;
}

/**
 * Pairs the new release's requests of one interval with the stable's, shuffled by `seed`; returns
 * the pairs and how many of them are events (X certainly above maxRatio × Y, and by MIN_EXTRA_MS).
 *
 * @example pairEvents([200, 210], [60, 70, 66], 1.25, 7) // → { pairs: 2, events: 2 }
 */
export function pairEvents(
  newUppers: readonly number[],
  stableUppers: readonly number[],
  maxRatio: number,
  seed: number,
): { pairs: number; events: number } {
  const stable = [...stableUppers];
  const random = mulberry32(seed);
  for (let i = stable.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [stable[i], stable[j]] = [stable[j]!, stable[i]!];
  }
  const pairs = Math.min(newUppers.length, stable.length);
  let events = 0;
  for (let i = 0; i < pairs; i++) {
    const lower = newUppers[i]! / BUCKET_FACTOR;
    if (lower > maxRatio * stable[i]! * 1.001 && lower > stable[i]! + MIN_EXTRA_MS) events++;
  }
  return { pairs, events };
}

/**
 * `previous`: this rule's stats at the last round (undefined at the first); `earlier`: its running
 * counts {requests = pairs, errors = events} at earlier rounds, as restarts (sequential.ts).
 */
export function judgeLatencyVsStable(
  rule: LatencyVsStableRule,
  current: Measurement,
  baseline: Measurement | undefined,
  previous: Readonly<Record<string, number>> | undefined,
  earlier: readonly Anchor[],
  now: number,
): Verdict {
  const alpha = rule.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  const histogramOf = (m: Measurement | undefined) =>
    m?.phase === 'ok' ? (m as MeasurementOk).histogram : undefined;
  const h = histogramOf(current);
  const b = histogramOf(baseline);
  let pairs = previous?.pairs ?? 0;
  let events = previous?.events ?? 0;
  const running = { pairs, events };
  if (!h || !b)
    return undecided(
      'pass',
      rule.name,
      `${rule.name}: no latency histograms for both releases; the fixed latency trigger decides`,
      { stats: running },
    );
  // Requests the new release had served by the last round; pairing starts once it is warm.
  const servedBefore = [...fromStats(NEW, previous).values()].reduce((sum, n) => sum + n, 0);
  const serving = h.counts.some((n) => n > 0);
  const warmFrom = previous?.warmFrom ?? (serving ? now : undefined);
  const warm = servedBefore >= WARMUP_REQUESTS && warmFrom !== undefined && now - warmFrom >= WARMUP_MS;
  if (previous && warm) {
    const x = added(h, fromStats(NEW, previous));
    const y = added(b, fromStats(BASE, previous));
    if (x && y) {
      const r = pairEvents(x, y, rule.maxRatio, now);
      pairs += r.pairs;
      events += r.events;
    }
  }
  const r = sequentialTest({ requests: pairs, errors: events }, earlier, P0, alpha, PAIR_ALTERNATIVES);
  const stats = {
    pairs,
    events,
    ...(warmFrom !== undefined && { warmFrom }),
    ...toStats(NEW, h),
    ...toStats(BASE, b),
    ...testStats(r, alpha),
  };
  const base = {
    rule: rule.name,
    observed: pairs > 0 ? events / pairs : null,
    threshold: P0,
    sample: { new: pairs },
    stats,
  };
  if (r.reject) {
    const since = r.anchor === 0 ? 'since the test started' : `in the last ${r.requests} pairs`;
    const reason = `${rule.name}: ${r.errors} of ${r.requests} requests ${since} (${formatShare(r.errors, r.requests)}) took over ${rule.maxRatio}× a stable request served at the same moment, showing the new release's typical request more than ${rule.maxRatio}× slower (sequential test, α = ${formatAlpha(alpha)})`;
    return { ...base, verdict: 'fail', reason };
  }
  const reason = `${rule.name}: ${events} of ${pairs} requests over ${rule.maxRatio}× a stable one, not shown slower; the fixed latency trigger decides`;
  return { ...base, verdict: 'pass', reason };
}
