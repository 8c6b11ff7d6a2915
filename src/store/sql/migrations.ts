/**
 * Versioned migrations of slipway's own tables, written once with Kysely's schema builder for both
 * backends. Append new versions; never edit a released one.
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Tables } from './tables.ts';

export type Dialect = 'sqlite' | 'postgres';

interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<Tables>, dialect: Dialect): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial tables',
    async up(db, dialect) {
      const s = db.schema;
      await s
        .createTable('releases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('commit', 'text')
        .addColumn('ci', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('notes', 'text')
        .addUniqueConstraint('releases_app_version', ['app', 'version'])
        .execute();
      await s.createIndex('releases_app_digest').on('releases').columns(['app', 'digest']).execute();
      await s
        .createTable('environments')
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text')
        .addColumn('previous_release_id', 'text')
        .addColumn('updated_at', 'text')
        .addColumn('updated_by', 'text')
        .addPrimaryKeyConstraint('environments_pk', ['app', 'name'])
        .execute();
      await s
        .createTable('deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('from_release_id', 'text')
        .addColumn('strategy', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .execute();
      await s
        .createIndex('deployments_app_env_created')
        .on('deployments')
        .columns(['app', 'env', 'created_at'])
        .execute();
      await s.createIndex('deployments_created').on('deployments').column('created_at').execute();
      await s.createIndex('deployments_status').on('deployments').column('status').execute();
      await s
        .createTable('deployment_steps')
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('deployment_steps_pk', ['deployment_id', 'idx'])
        .execute();
      await s
        .createTable('events')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('deployment_id', 'text')
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('events_deployment').on('events').columns(['deployment_id', 'id']).execute();
      await s
        .createTable('approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await s.createIndex('approvals_deployment').on('approvals').column('deployment_id').execute();
      await s
        .createTable('audit')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await s
        .createTable('locks')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'manual checklist ticks',
    async up(db) {
      await db.schema
        .createTable('checklist_items')
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('item', 'text', (c) => c.notNull())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('checklist_items_pk', ['deployment_id', 'item'])
        .execute();
    },
  },
  {
    version: 3,
    name: 'users, grants, API tokens, sessions; history indexes',
    async up(db) {
      const s = db.schema;
      await s
        .createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await s
        .createTable('grants')
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('grants_pk', ['user_name', 'env', 'role'])
        .execute();
      await s
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await s
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      // History filters without an app (the dashboard's "all of production", "everything by alice").
      await s
        .createIndex('deployments_app_created')
        .on('deployments')
        .columns(['app', 'created_at'])
        .execute();
      await s
        .createIndex('deployments_env_created')
        .on('deployments')
        .columns(['env', 'created_at'])
        .execute();
      await s
        .createIndex('deployments_status_created')
        .on('deployments')
        .columns(['status', 'created_at'])
        .execute();
      await s
        .createIndex('deployments_by_created')
        .on('deployments')
        .columns(['created_by', 'created_at'])
        .execute();
    },
  },
  {
    version: 4,
    name: 'audit indexes by target and by action',
    async up(db) {
      // One deployment's entries, and the newest entry of an action (the last measured rollback
      // switch), without reading the whole log. Indexes only: the rows and their hashes stay as they are.
      await db.schema.createIndex('audit_target_seq').on('audit').columns(['target', 'seq']).execute();
      await db.schema.createIndex('audit_action_seq').on('audit').columns(['action', 'seq']).execute();
    },
  },
  {
    version: 5,
    name: 'audit index by action and target',
    async up(db) {
      // The newest entry of an action about one environment (its last rollback switch) in one seek,
      // however many switches other environments have made.
      await db.schema
        .createIndex('audit_action_target_seq')
        .ifNotExists()
        .on('audit')
        .columns(['action', 'target', 'seq'])
        .execute();
    },
  },
  {
    version: 6,
    name: 'audit head in every deployment; the unused steps table dropped',
    async up(db) {
      // Steps live in the deployment's state; this table was never written.
      await db.schema.dropTable('deployment_steps').ifExists().execute();
      // The audit chain's head when a deployment was created: a copy outside the audit table that
      // a truncated or replaced log no longer matches.
      await db.schema.alterTable('deployments').addColumn('audit_seq', 'integer').execute();
      await db.schema.alterTable('deployments').addColumn('audit_hash', 'text').execute();
    },
  },
  {
    version: 7,
    name: 'feature flags, every version kept',
    async up(db, dialect) {
      // One row per version of a flag in an environment; the newest is the flag. `seq` orders all
      // changes, so an environment's highest seq is its flags' revision (ETag, change stream).
      // If-not-exists: a store rewound to an older schema version by hand keeps its flags.
      await db.schema
        .createTable('flag_versions')
        .ifNotExists()
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addUniqueConstraint('flag_versions_key_version', ['app', 'env', 'key', 'version'])
        .execute();
      await db.schema
        .createIndex('flag_versions_env_seq')
        .ifNotExists()
        .on('flag_versions')
        .columns(['app', 'env', 'seq'])
        .execute();
    },
  },
  {
    version: 8,
    name: 'notification deliveries queue',
    async up(db) {
      // The outbox of notifications: one row per event and subscription, leased while it is being
      // sent, kept after delivery (and on the dead-letter list after its last try).
      await db.schema
        .createTable('notification_deliveries')
        .ifNotExists()
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('subscription', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('deployment_id', 'text')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema
        .createIndex('notification_deliveries_due')
        .ifNotExists()
        .on('notification_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('notification_deliveries_created')
        .ifNotExists()
        .on('notification_deliveries')
        .columns(['created_at'])
        .execute();
    },
  },
  {
    version: 9,
    name: "a release's CI test report",
    async up(db) {
      // JSON (TestReport): counts and failing test names from `release create --ci-report`.
      await db.schema.alterTable('releases').addColumn('ci_report', 'text').execute();
    },
  },
  {
    version: 10,
    name: 'approve links: the signing key and each link used once',
    async up(db) {
      // One row per link a "waiting for approval" notification carried; used_at set once (single use).
      await db.schema
        .createTable('approve_links')
        .ifNotExists()
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('deployment_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .addColumn('used_by', 'text')
        .execute();
      // The key links are signed with lives with the store, so every server and CLI of a project
      // signs and checks alike (a forger would need the store, which decides everything anyway).
      // Kept when a store rewound to an older schema by hand migrates again.
      const had = await db
        .selectFrom('slipway_meta')
        .select('key')
        .where('key', '=', 'approve_link_key')
        .executeTakeFirst();
      if (!had)
        await db
          .insertInto('slipway_meta')
          .values({ key: 'approve_link_key', value: randomBytes(32).toString('base64') })
          .execute();
    },
  },
  {
    version: 11,
    name: "the performance step's figures per release and environment",
    async up(db) {
      // One row per deployment whose performance step ran; JSON figures (PerfFigures) and baseline.
      await db.schema
        .createTable('perf_results')
        .ifNotExists()
        .addColumn('deployment_id', 'text', (c) => c.primaryKey())
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('measured_at', 'text', (c) => c.notNull())
        .addColumn('figures', 'text', (c) => c.notNull())
        .addColumn('baseline', 'text')
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('perf_results_release')
        .ifNotExists()
        .on('perf_results')
        .columns(['app', 'env', 'release_id', 'measured_at'])
        .execute();
    },
  },
  {
    version: 12,
    name: "a rollback's kind as a column; DORA's covering index",
    async up(db, dialect) {
      // DORA reads months of deployments: the rollback mark copied out of the state JSON and an index
      // holding every column it reads, so the period is read from the index alone (bench/dora.ts).
      // A store rewound to an older version by hand keeps the column: add it only where missing.
      const deployments = (await db.introspection.getTables()).find((t) => t.name === 'deployments');
      if (!deployments?.columns.some((c) => c.name === 'rollback_kind'))
        await db.schema.alterTable('deployments').addColumn('rollback_kind', 'text').execute();
      const kind =
        dialect === 'postgres'
          ? sql`(state::jsonb -> 'rollback' ->> 'kind')`
          : sql`json_extract(state, '$.rollback.kind')`;
      await sql`update deployments set rollback_kind = ${kind} where state like '%"rollback"%'`.execute(db);
      await db.schema
        .createIndex('deployments_dora')
        .ifNotExists()
        .on('deployments')
        .columns([
          'app',
          'env',
          'created_at',
          'id',
          'status',
          'finished_at',
          'release_id',
          'from_release_id',
          'rollback_kind',
        ])
        .execute();
    },
  },
  {
    version: 13,
    name: "DORA's change stamp: a value the database renews whenever what DORA reads changes",
    async up(db, dialect) {
      // A server keeps the last period it read for DORA and reuses it while this stamp is unchanged
      // (bench/dora.ts). The stamp is renewed by triggers, so writes from any process count (the CLI
      // writes the same store); a random value, not a counter, so a restored store cannot repeat one.
      await db.schema
        .createTable('dora_stamp')
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('stamp', 'text', (c) => c.notNull())
        .execute();
      const fresh =
        dialect === 'postgres'
          ? sql`md5(random()::text || clock_timestamp()::text)`
          : sql`hex(randomblob(16))`;
      await sql`insert into dora_stamp (id, stamp) values (1, ${fresh}) on conflict (id) do nothing`.execute(
        db,
      );
      // Only columns DORA reads: a deployment's state is rewritten at every step, which changes nothing here.
      const cols = [
        'id',
        'app',
        'env',
        'created_at',
        'status',
        'finished_at',
        'release_id',
        'from_release_id',
        'rollback_kind',
      ];
      if (dialect === 'postgres') {
        await sql`create or replace function slipway_dora_stamp() returns trigger language plpgsql as $$
          begin update dora_stamp set stamp = md5(random()::text || clock_timestamp()::text) where id = 1; return null; end $$`.execute(
          db,
        );
        const changed = sql.raw(cols.map((c) => `old.${c} is distinct from new.${c}`).join(' or '));
        // Statement triggers for inserts and deletes: a bulk insert renews the stamp once, not per row.
        const triggers = {
          dora_stamp_deployments_write: sql`after insert or delete or truncate on deployments for each statement`,
          dora_stamp_deployments_update: sql`after update on deployments for each row when (${changed})`,
          dora_stamp_releases: sql`after insert or update or delete or truncate on releases for each statement`,
        };
        for (const [name, when] of Object.entries(triggers)) {
          const table = name.includes('releases') ? 'releases' : 'deployments';
          await sql`drop trigger if exists ${sql.ref(name)} on ${sql.table(table)}`.execute(db);
          await sql`create trigger ${sql.ref(name)} ${when} execute procedure slipway_dora_stamp()`.execute(
            db,
          );
        }
        return;
      }
      const renew = sql`update dora_stamp set stamp = hex(randomblob(16)) where id = 1`;
      const changed = sql.raw(cols.map((c) => `old.${c} is not new.${c}`).join(' or '));
      await sql`create trigger if not exists dora_stamp_deployments_insert after insert on deployments
        begin ${renew}; end`.execute(db);
      await sql`create trigger if not exists dora_stamp_deployments_delete after delete on deployments
        begin ${renew}; end`.execute(db);
      await sql`create trigger if not exists dora_stamp_deployments_update after update on deployments
        when ${changed} begin ${renew}; end`.execute(db);
      for (const op of ['insert', 'update', 'delete'])
        await sql`${sql.raw(`create trigger if not exists dora_stamp_releases_${op} after ${op} on releases`)}
          begin ${renew}; end`.execute(db);
    },
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
