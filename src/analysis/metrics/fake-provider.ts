/**
 * A metric provider fed by a table, for tests of the engine and of `analyze`: answers
 * `release/metric` from `values`, `nodata` for anything else, and records every query.
 */
import type { Measurement, MetricProvider, MetricQuery } from '../contract.ts';

export interface FakeProvider extends MetricProvider {
  readonly queries: MetricQuery[];
  /** Replace or add the answer for `release/metric`. */
  set(release: string, metric: string, m: Measurement): void;
}

export function createFakeProvider(
  values: Readonly<Record<string, Measurement>> = {},
  name = 'fake',
): FakeProvider {
  const table = new Map(Object.entries(values));
  const queries: MetricQuery[] = [];
  return {
    name,
    queries,
    set(release, metric, m) {
      table.set(`${release}/${metric}`, m);
    },
    async query(q) {
      queries.push(q);
      return (
        table.get(`${q.release}/${q.metric}`) ?? {
          phase: 'nodata',
          reason: `the fake provider has no ${q.metric} for ${q.release}`,
        }
      );
    },
  };
}
