/**
 * The audit of refused requests from strangers (no valid credential), bounded: per source and
 * minute the first refusal is written at once (`auth.denied`, with its path and reason) and the
 * rest are only counted, then written as one `auth.denied.summary` row (count, codes, a few
 * paths) when the minute is over or the server stops. At most `maxSources` sources get their own
 * rows per minute; the rest share the source "other". So an unauthenticated client cannot grow the
 * hash-chained audit log faster than a few rows a minute, however fast it sends.
 */
import type { Store } from '../../store/contract.ts';

export interface Denial {
  readonly source: string;
  readonly code: string;
  readonly target: string;
  readonly status: number;
  readonly reason: string;
}

interface Bucket {
  readonly minute: number;
  readonly source: string;
  count: number;
  readonly codes: Record<string, number>;
  readonly paths: Set<string>;
}

const PATHS_KEPT = 5;

export class DenialLog {
  readonly #store: Pick<Store, 'appendAudit'>;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #maxSources: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #timer: NodeJS.Timeout;
  #writing: Promise<unknown> = Promise.resolve();

  constructor(
    store: Pick<Store, 'appendAudit'>,
    options: { log?: (line: string) => void; now?: () => number; maxSources?: number } = {},
  ) {
    this.#store = store;
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#maxSources = options.maxSources ?? 100;
    this.#timer = setInterval(() => void this.flush(false), 10_000);
    this.#timer.unref();
  }

  /** Count a refusal; the first of its source this minute is written now. */
  record(denial: Denial): Promise<void> {
    const minute = Math.floor(this.#now() / 60_000);
    const sources = [...this.#buckets.values()].filter((b) => b.minute === minute).length;
    let source = denial.source;
    let bucket = this.#buckets.get(`${minute} ${source}`);
    if (!bucket && sources >= this.#maxSources) {
      source = 'other';
      bucket = this.#buckets.get(`${minute} ${source}`);
    }
    if (!bucket) {
      bucket = { minute, source, count: 0, codes: {}, paths: new Set() };
      this.#buckets.set(`${minute} ${source}`, bucket);
    }
    bucket.count++;
    bucket.codes[denial.code] = (bucket.codes[denial.code] ?? 0) + 1;
    if (bucket.paths.size < PATHS_KEPT) bucket.paths.add(denial.target);
    if (bucket.count > 1) return Promise.resolve();
    return this.#append({
      actor: 'anonymous',
      action: 'auth.denied',
      target: denial.target.slice(0, 300),
      data: {
        status: denial.status,
        code: denial.code,
        reason: denial.reason.slice(0, 300),
        source,
        // Further refusals of this source this minute are counted in one auth.denied.summary row.
        minute: new Date(minute * 60_000).toISOString(),
      },
    });
  }

  /** Write the summaries of finished minutes (all of them when `all`, as the server stops). */
  async flush(all = true): Promise<void> {
    const minute = Math.floor(this.#now() / 60_000);
    for (const [key, b] of this.#buckets) {
      if (!all && b.minute >= minute) continue;
      this.#buckets.delete(key);
      if (b.count < 2) continue;
      void this.#append({
        actor: 'anonymous',
        action: 'auth.denied.summary',
        target: b.source,
        data: {
          minute: new Date(b.minute * 60_000).toISOString(),
          count: b.count,
          codes: b.codes,
          paths: [...b.paths],
        },
      });
    }
    await this.#writing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush(true);
  }

  #append(entry: Parameters<Store['appendAudit']>[0]): Promise<void> {
    const run = this.#writing
      .then(() => this.#store.appendAudit(entry))
      .then(
        () => undefined,
        (e: unknown) => this.#log(`audit of a denial failed: ${(e as Error).message}`),
      );
    this.#writing = run;
    return run;
  }
}
