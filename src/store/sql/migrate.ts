import { type Kysely, sql } from 'kysely';
import { AppError } from '../../domain/errors.ts';
import { type Dialect, LATEST_VERSION, MIGRATIONS } from './migrations.ts';
import type { Tables } from './tables.ts';

/** An arbitrary constant: the advisory lock that serializes slipway's schema migrations on PostgreSQL. */
const MIGRATION_LOCK = 74_201_117;

/**
 * Bring the schema to the latest version. Several processes may start at once: PostgreSQL
 * serializes them with an advisory lock, SQLite with BEGIN IMMEDIATE. A schema newer than this
 * code knows is refused rather than guessed at.
 */
export async function migrate(db: Kysely<Tables>, dialect: Dialect): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await trx.schema
      .createTable('slipway_meta')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    const row = await trx
      .selectFrom('slipway_meta')
      .select('value')
      .where('key', '=', 'schema_version')
      .executeTakeFirst();
    const current = row ? Number(row.value) : 0;
    if (current > LATEST_VERSION) {
      throw new AppError(
        'STORE_SCHEMA_TOO_NEW',
        `the store is at schema version ${current}, but this slipway knows versions up to ${LATEST_VERSION}; upgrade slipway (a newer one wrote this store) or point it at another store`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await migration.up(trx, dialect);
    }
    if (current < LATEST_VERSION) {
      await trx
        .insertInto('slipway_meta')
        .values({ key: 'schema_version', value: String(LATEST_VERSION) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(LATEST_VERSION) }))
        .execute();
    }
    return LATEST_VERSION;
  });
}
