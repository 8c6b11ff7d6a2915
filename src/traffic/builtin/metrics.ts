/**
 * Per-release request metrics over rolling windows: a ring of 1-second buckets, each holding
 * counters and a fixed log-scale latency histogram, so recording is a few array increments and a
 * query for any window up to `RING_SECONDS` reads at most that many buckets. Cumulative totals are
 * kept beside the ring for the Prometheus exposition (`prometheus.ts`).
 */
import type { ReleaseMetrics, ValueBounds } from '../contract.ts';

export const RING_SECONDS = 600;
/** Histogram bucket i holds latencies in (BASE·FACTOR^(i-1), BASE·FACTOR^i] ms; the last catches the rest. */
const HIST_BASE_MS = 0.05;
// 10%-wide buckets: the resolution a percentile's bounds inherit (see `bounds` in snapshot()).
// 150 buckets × 600 one-second slots × 4 bytes ≈ 360 KB per release.
const HIST_FACTOR = 1.1;
const HIST_BUCKETS = 150; // 0.05 ms · 1.1^149 ≈ 73 s
/** One-sided 95% normal quantile, for the rank bounds of a percentile. */
const Z95 = 1.645;
const LOG_FACTOR = Math.log(HIST_FACTOR);
/** Counter slots: requests, 1xx..5xx, failures. */
const C_REQ = 0;
const C_FAIL = 6;
const COUNTERS = 7;
/** Bounds (seconds) of the cumulative Prometheus histogram. */
export const PROM_BOUNDS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function histIndex(ms: number): number {
  if (ms <= HIST_BASE_MS) return 0;
  const i = Math.ceil(Math.log(ms / HIST_BASE_MS) / LOG_FACTOR);
  return i >= HIST_BUCKETS ? HIST_BUCKETS - 1 : i;
}

function histUpper(i: number): number {
  return HIST_BASE_MS * HIST_FACTOR ** i;
}

export class ReleaseWindow {
  readonly release: string;
  private readonly stamps = new Float64Array(RING_SECONDS).fill(-1);
  private readonly counters = new Uint32Array(RING_SECONDS * COUNTERS);
  private readonly hist = new Uint32Array(RING_SECONDS * HIST_BUCKETS);
  /** Cumulative since start: requests by status class (index 1..5) and failures (6). */
  readonly totals = new Float64Array(COUNTERS);
  readonly promBuckets = new Float64Array(PROM_BOUNDS_S.length + 1);
  latencySumS = 0;
  /** recordResponseAt's slot, valid while performance.now() is below slotEndsPerf. */
  private currentSlot = 0;
  private slotEndsPerf = Number.NEGATIVE_INFINITY;

  constructor(release: string) {
    this.release = release;
  }

  private slot(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    const slot = sec % RING_SECONDS;
    if (this.stamps[slot] !== sec) {
      this.stamps[slot] = sec;
      this.counters.fill(0, slot * COUNTERS, (slot + 1) * COUNTERS);
      this.hist.fill(0, slot * HIST_BUCKETS, (slot + 1) * HIST_BUCKETS);
    }
    return slot;
  }

  /** A response from the release: its status and the time to its last byte. */
  recordResponse(status: number, latencyMs: number, nowMs = Date.now()): void {
    this.count(this.slot(nowMs), status, latencyMs);
  }

  /**
   * recordResponse at `perfNow` (performance.now(), which the caller read for the latency):
   * the wall clock is read once a second, when the slot changes, not for every response.
   */
  recordResponseAt(status: number, latencyMs: number, perfNow: number): void {
    if (perfNow >= this.slotEndsPerf) {
      const nowMs = Date.now();
      this.currentSlot = this.slot(nowMs);
      this.slotEndsPerf = perfNow + 1000 - (nowMs % 1000);
    }
    this.count(this.currentSlot, status, latencyMs);
  }

  private count(slot: number, status: number, latencyMs: number): void {
    const cls = status >= 100 && status < 600 ? Math.floor(status / 100) : 5;
    const c = slot * COUNTERS;
    this.counters[c + C_REQ]!++;
    this.counters[c + cls]!++;
    this.hist[slot * HIST_BUCKETS + histIndex(latencyMs)]!++;
    this.totals[C_REQ]!++;
    this.totals[cls]!++;
    const s = latencyMs / 1000;
    this.latencySumS += s;
    let b = 0;
    while (b < PROM_BOUNDS_S.length && s > PROM_BOUNDS_S[b]!) b++;
    this.promBuckets[b]!++;
  }

  /** An attempt that got no response (connect refused, reset, timeout). */
  recordFailure(nowMs = Date.now()): void {
    const slot = this.slot(nowMs);
    this.counters[slot * COUNTERS + C_FAIL]!++;
    this.totals[C_FAIL]!++;
  }

  snapshot(windowMs: number, nowMs = Date.now()): ReleaseMetrics {
    const nowSec = Math.floor(nowMs / 1000);
    const seconds = Math.min(RING_SECONDS, Math.max(1, Math.ceil(windowMs / 1000)));
    const sums = new Float64Array(COUNTERS);
    const hist = new Float64Array(HIST_BUCKETS);
    for (let slot = 0; slot < RING_SECONDS; slot++) {
      const stamp = this.stamps[slot]!;
      if (stamp <= nowSec - seconds || stamp > nowSec) continue;
      for (let k = 0; k < COUNTERS; k++) sums[k]! += this.counters[slot * COUNTERS + k]!;
      for (let k = 0; k < HIST_BUCKETS; k++) hist[k]! += this.hist[slot * HIST_BUCKETS + k]!;
    }
    const n = sums[C_REQ]!;
    /** The bucket holding the request of this rank (1-based), in latency order. */
    const bucketOf = (rank: number): { k: number; before: number } => {
      let seen = 0;
      for (let k = 0; k < HIST_BUCKETS; k++) {
        const inBucket = hist[k]!;
        if (seen + inBucket >= rank) return { k, before: seen };
        seen += inBucket;
      }
      return { k: HIST_BUCKETS - 1, before: seen };
    };
    const lowerEdge = (k: number) => (k === 0 ? 0 : histUpper(k - 1));
    const round = (v: number) => Math.round(v * 1000) / 1000;
    const quantile = (q: number): number | null => {
      if (n === 0) return null;
      const rank = Math.ceil(q * n);
      const { k, before } = bucketOf(rank);
      // Spread the bucket's requests evenly over it (as Prometheus' histogram_quantile does)
      // instead of reporting its upper edge: with wide buckets a 2.0× ratio would otherwise read
      // as one bucket's factor too much or too little.
      const lower = lowerEdge(k);
      return round(lower + ((rank - before) / hist[k]!) * (histUpper(k) - lower));
    };
    // The ranks a percentile may really have, given n requests (normal approximation of the
    // binomial order statistic), widened to the edges of their buckets: the histogram knows no
    // finer. Null when n is too small for the upper rank to exist.
    const bounds = (q: number): ValueBounds | null => {
      const spread = Z95 * Math.sqrt(n * q * (1 - q));
      const hi = Math.ceil(n * q + spread);
      if (n === 0 || hi > n) return null;
      const lo = Math.max(1, Math.floor(n * q - spread));
      return { low: round(lowerEdge(bucketOf(lo).k)), high: round(histUpper(bucketOf(hi).k)) };
    };
    return {
      release: this.release,
      windowMs: seconds * 1000,
      requests: n,
      status: { '1xx': sums[1]!, '2xx': sums[2]!, '3xx': sums[3]!, '4xx': sums[4]!, '5xx': sums[5]! },
      failures: sums[C_FAIL]!,
      latency: { p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99) },
      latencyBounds: { p50: bounds(0.5), p95: bounds(0.95), p99: bounds(0.99) },
      latencyHistogram: {
        upperMs: [...hist.keys()].filter((k) => hist[k]! > 0).map((k) => round(histUpper(k))),
        counts: [...hist].filter((c) => c > 0),
      },
    };
  }
}
