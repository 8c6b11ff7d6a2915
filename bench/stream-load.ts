/**
 * A continuous closed-loop load for the fault and cutover benchmarks: `concurrency` workers send
 * GET requests back to back over kept-alive connections (fetch/undici) until stopped or until
 * `maxRequests`, and keep one record per request (when it ended, which side answered, status or
 * error). No request is retried: a connection closed under a request is a failure, as a user
 * would see it. Bounded: every request has its own timeout and the run has a request cap.
 */

export interface Sample {
  /** performance.now() when the request was sent and when its answer (or error) arrived. */
  readonly start: number;
  readonly end: number;
  /** Value of the `header` option (x-backend / x-shop-version) or '' when there was no answer. */
  readonly side: string;
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  readonly error?: string;
}

export interface StreamLoad {
  readonly samples: Sample[];
  /** Stop sending; resolves when every in-flight request has ended. */
  stop(): Promise<Sample[]>;
}

export function streamLoad(
  url: string,
  options: {
    concurrency?: number;
    maxRequests?: number;
    timeoutMs?: number;
    header?: string;
    headersFor?: (i: number) => Record<string, string>;
    /** Pause between a worker's requests (ms); 0 = back to back. */
    gapMs?: number;
  } = {},
): StreamLoad {
  const samples: Sample[] = [];
  const header = options.header ?? 'x-backend';
  const max = options.maxRequests ?? 200_000;
  let stopped = false;
  let sent = 0;
  const worker = async () => {
    while (!stopped && sent < max) {
      const i = sent++;
      const start = performance.now();
      try {
        const res = await fetch(url, {
          headers: options.headersFor?.(i) ?? {},
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer();
        samples.push({
          start,
          end: performance.now(),
          side: res.headers.get(header) ?? '',
          status: res.status,
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        const error = cause?.code ?? (err as Error).name ?? 'error';
        samples.push({ start, end: performance.now(), side: '', status: 0, error });
      }
      if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    }
  };
  const running = Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return {
    samples,
    async stop() {
      stopped = true;
      await running;
      return samples;
    },
  };
}

export const isFailure = (s: Sample): boolean => s.status === 0 || s.status >= 500;

/** Failed samples that ended in [from, to). */
export function failuresBetween(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((s) => s.end >= from && s.end < to && isFailure(s));
}

/** Milliseconds from `at` to the first answer from `side` that ended after `at`. */
export function firstServedBy(samples: readonly Sample[], side: (s: string) => boolean, at: number): number {
  let first = Number.POSITIVE_INFINITY;
  for (const s of samples) if (s.end >= at && s.status > 0 && side(s.side) && s.end < first) first = s.end;
  return first - at;
}

/** The longest time with no answered request between `from` and `to` (a stall). */
export function longestGap(samples: readonly Sample[], from: number, to: number): number {
  const ends = samples
    .filter((s) => s.status > 0 && s.end >= from && s.end <= to)
    .map((s) => s.end)
    .sort((a, b) => a - b);
  let gap = 0;
  let prev = from;
  for (const e of [...ends, to]) {
    gap = Math.max(gap, e - prev);
    prev = e;
  }
  return gap;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "3 × ECONNRESET, 1 × 502" */
export function describeFailures(failed: readonly Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of failed) {
    const k = s.error ?? String(s.status);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} × ${k}`).join(', ') || '-';
}
