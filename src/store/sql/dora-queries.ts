/**
 * DORA's read (`Store.listDeploymentFacts`). A 90-day window of a busy environment is thousands of
 * rows. On SQLite, handing each to the driver as a row object cost more than the rest of the report
 * (bench/dora.ts): SQLite builds one JSON array of compact tuples instead, which `JSON.parse` turns
 * into values far faster, and the releases come once each, not once per deployment. On PostgreSQL
 * the same JSON cost the server more than the rows cost the driver: plain rows there.
 */
import { type Kysely, sql } from 'kysely';
import type { DeploymentFactSet, DeploymentFacts } from '../contract.ts';
import type { Dialect } from './migrations.ts';
import type { Tables } from './tables.ts';

/** One deployment as the database writes it: the columns in this order. */
type Tuple = [string, string, string, string | null, string, string | null, string | null];

async function readDeploymentFacts(
  db: Kysely<Tables>,
  dialect: Dialect,
  app: string,
  env: string,
  since: string,
): Promise<DeploymentFactSet> {
  // Every deployment column read is in the index deployments_dora (migration 12): the period comes
  // from the index alone, never from the rows and their states.
  if (dialect === 'postgres') return await readPostgres(db, app, env, since);
  const period = sql`select id, status, created_at, finished_at, release_id, from_release_id, rollback_kind
    from deployments where app = ${app} and env = ${env} and created_at >= ${since}`;
  const query = sql<{ deployments: string | null; releases: string | null }>`with d as (${period})
    select (select json_group_array(json_array(id, status, created_at, finished_at, release_id,
              from_release_id, rollback_kind)) from d) as deployments,
           (select json_group_object(r.id, r.created_at) from releases r
              where r.id in (select release_id from d)) as releases`;
  const row = (await query.execute(db)).rows[0];
  const tuples = JSON.parse(row?.deployments ?? '[]') as Tuple[];
  const releases = JSON.parse(row?.releases ?? '{}') as Record<string, string>;
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

/**
 * PostgreSQL: plain rows, each with its release's registration joined in. Building the period as
 * one `json_agg` array took the server 20–40 ms of a 90-day request (bench/README.md, "DORA"); the
 * same rows as rows take it 5–10 ms, and the driver reads them in about the same CPU.
 */
async function readPostgres(
  db: Kysely<Tables>,
  app: string,
  env: string,
  since: string,
): Promise<DeploymentFactSet> {
  const { rows } = await sql<DeploymentFacts & { registered: string | null }>`
    select d.id, ${env}::text as env, d.status, d.created_at as "createdAt", d.finished_at as "finishedAt",
      d.release_id as "releaseId", d.from_release_id as "fromReleaseId", d.rollback_kind as "rollbackKind",
      r.created_at as registered
    from deployments d left join releases r on r.id = d.release_id
    where d.app = ${app} and d.env = ${env} and d.created_at >= ${since}`.execute(db);
  const releaseCreatedAt = new Map<string, string>();
  for (const row of rows) if (row.registered !== null) releaseCreatedAt.set(row.releaseId, row.registered);
  // The rows as they came, `registered` left on them: copying 6,000 rows without it cost more
  // than the read itself (an object rest per row).
  return { deployments: rows, releaseCreatedAt };
}

/** Text exactly as `toISOString` writes it: for these, text order is time order, in JS and in SQL. */
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** (app, environment) periods kept: each is a few MB at most (6,164 deployments in bench/dora.ts). */
const KEPT = 8;

/**
 * The last period read per app and environment, reused while the store's DORA stamp (migration 13:
 * renewed by triggers on every write DORA could see, from any process) is the one read before it.
 * A later `since` is served from an earlier period by dropping the older rows, exactly as the
 * query would: only when every time involved is canonical text, where text order is time order.
 */
export class DeploymentFactsCache {
  readonly #kept = new Map<string, { stamp: string; since: string; facts: DeploymentFactSet }>();

  async read(
    db: Kysely<Tables>,
    dialect: Dialect,
    app: string,
    env: string,
    since: string,
  ): Promise<DeploymentFactSet> {
    // The stamp first: rows read after it are at least as new, so a later write always renews it.
    const stamp = (await db.selectFrom('dora_stamp').select('stamp').where('id', '=', 1).executeTakeFirst())
      ?.stamp;
    const key = JSON.stringify([app, env]);
    const kept = this.#kept.get(key);
    const usable = stamp !== undefined && CANONICAL.test(since);
    if (usable && kept?.stamp === stamp && kept.since <= since) {
      const deployments = kept.facts.deployments.filter((d) => d.createdAt >= since);
      if (deployments.length === kept.facts.deployments.length) return kept.facts;
      // Only the releases of the rows kept, as the query would give them.
      const releaseCreatedAt = new Map<string, string>();
      for (const d of deployments) {
        const at = kept.facts.releaseCreatedAt.get(d.releaseId);
        if (at !== undefined) releaseCreatedAt.set(d.releaseId, at);
      }
      return { deployments, releaseCreatedAt };
    }
    const facts = await readDeploymentFacts(db, dialect, app, env, since);
    if (usable && facts.deployments.every((d) => CANONICAL.test(d.createdAt))) {
      this.#kept.delete(key);
      this.#kept.set(key, { stamp, since, facts });
      for (const old of this.#kept.keys()) if (this.#kept.size > KEPT) this.#kept.delete(old);
    }
    return facts;
  }
}
