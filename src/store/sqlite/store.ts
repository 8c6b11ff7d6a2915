import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { AppError, isAppError } from '../../domain/errors.ts';
import type { StoreGuard } from '../guard.ts';
import { SqlStore, type SqlStoreOptions } from '../sql/sql-store.ts';
import type { Tables } from '../sql/tables.ts';
import { backupSqlite, checkOpen } from './backup.ts';
import { corruptError, NodeSqliteDialect, openNodeSqlite, sqliteError } from './node-sqlite.ts';

/** The open connection of each SQLite store, for online backups of the store as it is in use. */
const handles = new WeakMap<SqlStore, DatabaseSync>();

/** The connection under a SQLite store opened by `openSqliteStore` (undefined for other stores). */
export const sqliteHandle = (store: object): DatabaseSync | undefined => handles.get(store as SqlStore);

/**
 * The embedded store: one SQLite file (created with its folder when missing). With a guard, a file
 * the project used that is gone, empty, replaced or corrupt is refused before anything is written.
 */
export async function openSqliteStore(
  file: string,
  options: SqlStoreOptions & { guard?: StoreGuard } = {},
): Promise<SqlStore> {
  const { guard, ...rest } = options;
  const changed = guard && file !== ':memory:' ? guard.checkFile(file).changed : false;
  let opened: ReturnType<typeof openNodeSqlite>;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    opened = openNodeSqlite(file);
  } catch (caught) {
    const error = sqliteError(caught, file);
    if (isAppError(error)) throw error;
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot open the SQLite store ${file}: ${(error as Error).message}; check the path and its permissions`,
      { cause: error },
    );
  }
  const { database, raw } = opened;
  const db = new Kysely<Tables>({ dialect: new NodeSqliteDialect(database) });
  try {
    if (changed) {
      // Changed since slipway last closed it (or never seen): a quick check before trusting a page.
      const problem = guarded(() => checkOpen(raw, 'quick_check'), file);
      if (problem) throw corruptError(file, `quick_check: ${problem}`);
    }
    const store = await SqlStore.open(db, 'sqlite', {
      ...rest,
      ...(guard && {
        preflight: (identity) => guard.preflight(identity, (dest) => backupSqlite(raw, dest)),
        onAudit: (entry) => guard.audited(entry),
        onClose: () => guard.closed(file),
      }),
    });
    guard?.opened(store.id);
    handles.set(store, raw);
    return store;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

function guarded<T>(fn: () => T, file: string): T {
  try {
    return fn();
  } catch (error) {
    throw sqliteError(error, file);
  }
}
