/**
 * One bounded load run with autocannon (a maintained HTTP load generator, fixed-rate mode), its
 * latencies taken from every response so percentiles are exact rather than histogram buckets.
 * Before the timed run, uncounted requests (`warmUp`: 300 at least, more while the median still
 * falls or is far above the previous release's) warm a just-started release: its JIT needs a few
 * hundred requests, which a short step at a low rate never sends, so a cold new release measured
 * against the warm previous one read as a 4x regression. Responses in the timed run's first tenth
 * (1 s to 2 s, at most a quarter of it: connections opening) are not counted either.
 */
import type autocannon from 'autocannon';
import type { PerfFigures } from '../domain/performance.ts';
import { lazyRequire } from '../runtime/lazy-require.ts';

/** autocannon, loaded when a performance step runs (not at every command's start). */
export const loadAutocannon = lazyRequire<typeof autocannon>('autocannon');

export interface LoadSpec {
  /** http://host:port the load goes to (already checked to be the environment's own). */
  readonly origin: string;
  /** Paths requested in turn by each connection. */
  readonly paths: readonly string[];
  /** Requests per second, a ceiling (a slow server gets fewer). */
  readonly rate: number;
  readonly durationMs: number;
  readonly connections: number;
  /** Sent with every request: the preview header that pins one release. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** Counting stops this long before the run's end (its teardown). */
export const END_MARGIN_MS = 200;

export const warmupMs = (durationMs: number) =>
  Math.min(Math.round(durationMs / 4), Math.max(1000, Math.min(2000, Math.round(durationMs / 10))));

/** Nearest-rank percentile of sorted values (ms), rounded to 0.01 ms. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[rank] as number) * 100) / 100;
}

export function figuresOf(latencies: number[], errors: number, seconds: number): PerfFigures {
  const sorted = latencies.sort((a, b) => a - b);
  const requests = sorted.length + errors;
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    // Answers outside 2xx/3xx were counted in `errors` already, so latencies hold only the good ones.
    errorRate: requests === 0 ? 1 : Math.round((errors / requests) * 1e6) / 1e6,
    requests,
    rate: seconds > 0 ? Math.round((requests / seconds) * 10) / 10 : 0,
  };
}

/** Slices of the counted time, so two runs side by side compare moment by moment. */
export const sliceMs = (durationMs: number) => Math.max(1000, Math.round(durationMs / 10));

export interface LoadResult {
  readonly figures: PerfFigures;
  /** Latencies (ms) of good answers per time slice (`sliceMs`) from the end of the warm-up. */
  readonly slices: readonly (readonly number[])[];
}

/** Uncounted warm-up requests go in rounds of this many, sent as fast as the connections go. */
export const WARMUP_ROUND = 100;
const WARMUP_MIN_ROUNDS = 3;
/** The fewest warm-up requests a release gets (more while its median still falls). */
export const WARMUP_REQUESTS = WARMUP_ROUND * WARMUP_MIN_ROUNDS;
const WARMUP_MAX_MS = 6000;
/** A round whose median is under this share of the round before: the release is still warming. */
const STILL_FALLING = 0.85;
/** Warm beside a warm release: a median within this ratio of its median (or a slower release's cap). */
const WARM_NEAR = 1.2;

/**
 * Warms a release until its median stops falling and, given `reference` (the warm release beside it,
 * warmed alongside), until it is within WARM_NEAR of that one's median: at least WARMUP_MIN_ROUNDS
 * rounds, for at most WARMUP_MAX_MS. On a busy machine the optimising compiler's threads get little
 * CPU, and a release measured after a fixed 300 requests was still cold: 2.6x the warm one's median.
 * `onRound` hears each round's median (ms); returns the last one, NaN when it had no answer.
 */
export async function warmUp(
  spec: LoadSpec,
  reference?: () => number,
  onRound?: (median: number) => void,
): Promise<number> {
  const deadline = performance.now() + WARMUP_MAX_MS;
  let before = Number.POSITIVE_INFINITY;
  for (let round = 1; ; round++) {
    const left = deadline - performance.now();
    if (left <= 0 || spec.signal?.aborted) return before;
    const median = await warmRound(spec, left);
    onRound?.(median);
    const near = reference === undefined || !(median > reference() * WARM_NEAR);
    // NaN (no answer in the round) ends the warm-up too: a hung release is the timed run's to judge.
    if (round >= WARMUP_MIN_ROUNDS && !(median < before * STILL_FALLING) && near) return median;
    if (Number.isNaN(median)) return median;
    before = median;
  }
}

/** One round of warm-up requests, stopped after `capMs`; resolves with its median latency (ms). */
function warmRound(spec: LoadSpec, capMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const instance = loadAutocannon()(
      {
        url: spec.origin,
        connections: spec.connections,
        amount: WARMUP_ROUND,
        timeout: 10,
        headers: { ...spec.headers },
        requests: spec.paths.map((path) => ({ method: 'GET', path })),
      },
      (error, result) => {
        clearTimeout(cap);
        spec.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(result.latency.p50 ?? Number.NaN);
      },
    );
    const cap = setTimeout(() => instance.stop(), capMs);
    const onAbort = () => instance.stop();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The counted part of a timed run: from the end of its warm-up to END_MARGIN_MS before its end
 * (the run's end tears down its connections: requests still in flight then end as errors that say
 * nothing about the release). Good answers are kept per time slice as well.
 */
export class CountedAnswers {
  readonly latencies: number[] = [];
  readonly slices: number[][] = [];
  errors = 0;

  private readonly window: CountingWindow;

  constructor(window: CountingWindow) {
    this.window = window;
  }

  answer(status: number, ms: number): void {
    if (!this.window.open) return;
    if (status >= 200 && status < 400) {
      this.latencies.push(ms);
      const at = this.window.sliceNow();
      this.slices[at] ??= [];
      this.slices[at].push(ms);
    } else this.errors++;
  }

  failed(): void {
    if (this.window.open) this.errors++;
  }

  result(): LoadResult {
    return { figures: figuresOf(this.latencies, this.errors, this.window.seconds), slices: this.slices };
  }
}

/** When a run of `durationMs` counts answers; `close()` once the run ends. */
export class CountingWindow {
  open = false;
  private from = 0;
  private readonly slice: number;
  private readonly timers: NodeJS.Timeout[];
  /** The counted time in seconds. */
  readonly seconds: number;

  constructor(durationMs: number) {
    const warm = warmupMs(durationMs);
    this.slice = sliceMs(durationMs);
    this.seconds = (durationMs - END_MARGIN_MS - warm) / 1000;
    this.timers = [
      setTimeout(() => {
        this.open = true;
        this.from = performance.now();
      }, warm),
      setTimeout(() => {
        this.open = false;
      }, durationMs - END_MARGIN_MS),
    ];
  }

  sliceNow(): number {
    return Math.floor((performance.now() - this.from) / this.slice);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}

/**
 * Settles a load run: calls `stop` on `signal`, and returns autocannon's callback, which
 * closes `window` and resolves with `result()` unless the run failed or was aborted.
 */
export function settleRun<T>(
  window: CountingWindow,
  signal: AbortSignal | undefined,
  stop: () => void,
  result: () => T,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
): (error: unknown) => void {
  const onAbort = () => stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  return (error) => {
    window.close();
    signal?.removeEventListener('abort', onAbort);
    if (error) reject(error);
    else if (signal?.aborted) reject(new Error('aborted'));
    else resolve(result());
  };
}

/** The timed, counted run; `warmUp` first (both sides of a comparison together, then both timed runs). */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const window = new CountingWindow(spec.durationMs);
    const counted = new CountedAnswers(window);
    let instance: autocannon.Instance | undefined;
    const done = settleRun(
      window,
      spec.signal,
      () => instance?.stop(),
      () => counted.result(),
      resolve,
      reject,
    );
    instance = loadAutocannon()(
      {
        url: spec.origin,
        connections: spec.connections,
        overallRate: spec.rate,
        duration: spec.durationMs / 1000,
        timeout: 10,
        headers: { ...spec.headers },
        requests: spec.paths.map((path) => ({ method: 'GET', path })),
      },
      done,
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) =>
      counted.answer(status, ms),
    );
    instance.on('reqError', () => counted.failed());
  });
}

/** Fewer good answers than this in a slice and its percentiles say little: the slice is left out. */
const MIN_SLICE_SAMPLES = 10;

/**
 * new/previous per percentile, the median over the slices both runs filled; undefined with fewer
 * than 3 such slices (then the overall figures are compared).
 */
export function pairedRatios(
  mine: readonly (readonly number[])[],
  theirs: readonly (readonly number[])[],
): { p50: number; p95: number; p99: number; slices: number } | undefined {
  const ratios = { p50: [] as number[], p95: [] as number[], p99: [] as number[] };
  for (let i = 0; i < Math.min(mine.length, theirs.length); i++) {
    const a = [...(mine[i] ?? [])].sort((x, y) => x - y);
    const b = [...(theirs[i] ?? [])].sort((x, y) => x - y);
    if (a.length < MIN_SLICE_SAMPLES || b.length < MIN_SLICE_SAMPLES) continue;
    for (const [key, p] of [
      ['p50', 50],
      ['p95', 95],
      ['p99', 99],
    ] as const) {
      const base = percentile(b, p);
      if (base > 0) ratios[key].push(percentile(a, p) / base);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  };
  if (ratios.p95.length < 3) return undefined;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    p50: round(median(ratios.p50)),
    p95: round(median(ratios.p95)),
    p99: round(median(ratios.p99)),
    slices: ratios.p95.length,
  };
}
