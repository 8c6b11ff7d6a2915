/** The performance step's figures over SQL (PerformanceRecords of src/domain/performance.ts). */
import type { Kysely, Selectable } from 'kysely';
import type { PerformanceRecords, PerfRecord } from '../../domain/performance.ts';
import type { Tables } from './tables.ts';

type Row = Selectable<Tables['perf_results']>;

const toRecord = (r: Row): PerfRecord => ({
  deploymentId: r.deployment_id,
  app: r.app,
  env: r.env,
  releaseId: r.release_id,
  version: r.version,
  measuredAt: r.measured_at,
  figures: JSON.parse(r.figures),
  baseline: r.baseline === null ? null : JSON.parse(r.baseline),
  verdict: r.verdict as PerfRecord['verdict'],
  summary: r.summary,
});

export class SqlPerformanceRecords implements PerformanceRecords {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async record(r: PerfRecord): Promise<void> {
    const row = {
      deployment_id: r.deploymentId,
      app: r.app,
      env: r.env,
      release_id: r.releaseId,
      version: r.version,
      measured_at: r.measuredAt,
      figures: JSON.stringify(r.figures),
      baseline: r.baseline === null ? null : JSON.stringify(r.baseline),
      verdict: r.verdict,
      summary: r.summary,
    };
    const { deployment_id: _, ...rest } = row;
    await this.#db
      .insertInto('perf_results')
      .values(row)
      .onConflict((oc) => oc.column('deployment_id').doUpdateSet(rest))
      .execute();
  }

  async latest(app: string, env: string, releaseId: string): Promise<PerfRecord | undefined> {
    const row = await this.#db
      .selectFrom('perf_results')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .where('release_id', '=', releaseId)
      .orderBy('measured_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(app: string, env: string, limit = 20): Promise<PerfRecord[]> {
    const rows = await this.#db
      .selectFrom('perf_results')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .orderBy('measured_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }
}
