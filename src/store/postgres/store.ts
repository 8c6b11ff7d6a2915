import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AppError, isAppError } from '../../domain/errors.ts';
import type { StoreGuard } from '../guard.ts';
import { SqlStore, type SqlStoreOptions } from '../sql/sql-store.ts';
import type { Tables } from '../sql/tables.ts';
import { backupPostgres } from './backup.ts';

/** The PostgreSQL store, for several control-plane replicas or an existing database. */
export async function openPostgresStore(
  url: string,
  options: SqlStoreOptions & { poolSize?: number; guard?: StoreGuard } = {},
): Promise<SqlStore> {
  const { guard, ...rest } = options;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
  });
  // An idle connection the server drops (a restart, a failover) must not crash slipway: the pool
  // replaces it on the next query.
  pool.on('error', () => {});
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    const store = await SqlStore.open(db, 'postgres', {
      ...rest,
      ...(guard && {
        preflight: (identity) => guard.preflight(identity, (dest) => backupPostgres(url, dest)),
        onAudit: (entry) => guard.audited(entry),
      }),
    });
    guard?.opened(store.id);
    return store;
  } catch (error) {
    await db.destroy();
    if (isAppError(error)) throw error;
    // 3D000: the database does not exist. For a database this project used, that is a lost store.
    const dropped = (error as { code?: string }).code === '3D000' ? guard?.missingIfMarked() : undefined;
    if (dropped) throw dropped;
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot use the PostgreSQL store at ${redactUrl(url)}: ${(error as Error).message}; check that the server runs and the URL is right`,
      { cause: error },
    );
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
