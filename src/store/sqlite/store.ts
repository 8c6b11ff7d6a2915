import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely } from 'kysely';
import { AppError } from '../../domain/errors.ts';
import { SqlStore, type SqlStoreOptions } from '../sql/sql-store.ts';
import type { Tables } from '../sql/tables.ts';
import { NodeSqliteDialect, openNodeSqlite } from './node-sqlite.ts';

/** The embedded store: one SQLite file (created with its folder when missing). */
export async function openSqliteStore(file: string, options: SqlStoreOptions = {}): Promise<SqlStore> {
  let database: ReturnType<typeof openNodeSqlite>;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    database = openNodeSqlite(file);
  } catch (error) {
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot open the SQLite store ${file}: ${(error as Error).message}; check the path and its permissions`,
      { cause: error },
    );
  }
  const db = new Kysely<Tables>({ dialect: new NodeSqliteDialect(database) });
  try {
    return await SqlStore.open(db, 'sqlite', options);
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
