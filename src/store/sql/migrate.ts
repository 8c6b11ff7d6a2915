import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { AppError } from '../../domain/errors.ts';
import { type Dialect, LATEST_VERSION, MIGRATIONS } from './migrations.ts';
import type { StoreIdentity } from './sql-store.ts';
import type { Tables } from './tables.ts';

/** An arbitrary constant: the advisory lock that serializes slipway's schema migrations on PostgreSQL. */
const MIGRATION_LOCK = 74_201_117;

/**
 * Bring the schema to the latest version. Several processes may start at once: PostgreSQL
 * serializes them with an advisory lock, SQLite with BEGIN IMMEDIATE. A schema newer than this
 * code knows is refused rather than guessed at.
 */
export async function migrate(
  db: Kysely<Tables>,
  dialect: Dialect,
): Promise<{ version: number; storeId: string }> {
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
    // The store's identity, made once: a copy kept outside (the project marker) tells this store
    // from an empty or a different one put in its place.
    await trx
      .insertInto('slipway_meta')
      .values({ key: 'store_id', value: `store-${randomBytes(12).toString('hex')}` })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const id = await trx
      .selectFrom('slipway_meta')
      .select('value')
      .where('key', '=', 'store_id')
      .executeTakeFirstOrThrow();
    return { version: LATEST_VERSION, storeId: id.value };
  });
}

/** What the store says it is, read before anything is written; undefined when it has no slipway tables. */
export async function readIdentity(db: Kysely<Tables>): Promise<StoreIdentity | undefined> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === 'slipway_meta')) return undefined;
  const rows = await db
    .selectFrom('slipway_meta')
    .select(['key', 'value'])
    .where('key', 'in', ['schema_version', 'store_id'])
    .execute();
  const get = (key: string) => rows.find((r) => r.key === key)?.value;
  return { storeId: get('store_id'), schemaVersion: Number(get('schema_version') ?? 0) };
}
