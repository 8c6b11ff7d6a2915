/**
 * DORA's read (`Store.listDeploymentFacts`). A 90-day window of a busy environment is thousands of
 * rows; handing each to the driver as a row object cost more than the rest of the report
 * (bench/dora.ts). The database builds one JSON array of compact tuples instead, which `JSON.parse`
 * (PostgreSQL's driver, or here for SQLite's text) turns into values far faster, and the releases
 * come once each, not once per deployment.
 */
import { type Kysely, sql } from 'kysely';
import type { DeploymentFactSet, DeploymentFacts } from '../contract.ts';
import type { Dialect } from './migrations.ts';
import type { Tables } from './tables.ts';

/** One deployment as the database writes it: the columns in this order. */
type Tuple = [string, string, string, string | null, string, string | null, string | null];

export async function readDeploymentFacts(
  db: Kysely<Tables>,
  dialect: Dialect,
  app: string,
  env: string,
  since: string,
): Promise<DeploymentFactSet> {
  // Every deployment column read is in the index deployments_dora (migration 12): the period comes
  // from the index alone, never from the rows and their states.
  const period = sql`select id, status, created_at, finished_at, release_id, from_release_id, rollback_kind
    from deployments where app = ${app} and env = ${env} and created_at >= ${since}`;
  const query =
    dialect === 'postgres'
      ? sql<{ deployments: unknown; releases: unknown }>`with d as (${period})
        select (select json_agg(json_build_array(id, status, created_at, finished_at, release_id,
                  from_release_id, rollback_kind)) from d) as deployments,
               (select json_object_agg(r.id, r.created_at) from releases r
                  where r.id in (select release_id from d)) as releases`
      : sql<{ deployments: unknown; releases: unknown }>`with d as (${period})
        select (select json_group_array(json_array(id, status, created_at, finished_at, release_id,
                  from_release_id, rollback_kind)) from d) as deployments,
               (select json_group_object(r.id, r.created_at) from releases r
                  where r.id in (select release_id from d)) as releases`;
  const row = (await query.execute(db)).rows[0];
  // PostgreSQL's driver parses json itself (and gives null for no rows); SQLite gives text.
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const tuples = (parse(row?.deployments) ?? []) as Tuple[];
  const releases = (parse(row?.releases) ?? {}) as Record<string, string>;
  const deployments: DeploymentFacts[] = tuples.map(
    ([id, status, createdAt, finishedAt, releaseId, fromReleaseId, rollbackKind]) => ({
      id,
      env,
      releaseId,
      fromReleaseId,
      status,
      createdAt,
      finishedAt,
      rollbackKind,
    }),
  );
  return { deployments, releaseCreatedAt: new Map(Object.entries(releases)) };
}
