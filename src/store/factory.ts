import { resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { Store } from './contract.ts';
import { openPostgresStore } from './postgres/store.ts';
import type { SqlStoreOptions } from './sql/sql-store.ts';
import { openSqliteStore } from './sqlite/store.ts';

export const DEFAULT_STORE = '.slipway/slipway.db';

/**
 * Open the store named by `url`: `postgres://…` / `postgresql://…`, `sqlite:PATH`, or a plain path
 * to a SQLite file. The default is `.slipway/slipway.db` in the project folder.
 */
export async function openStore(
  url: string | undefined,
  baseDir: string,
  options: SqlStoreOptions = {},
): Promise<Store> {
  const target = url ?? DEFAULT_STORE;
  if (/^postgres(ql)?:\/\//.test(target)) return openPostgresStore(target, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new AppError(
      'USAGE',
      `unknown store "${target.split(':')[0]}"; use postgres://… or a SQLite file path (default ${DEFAULT_STORE})`,
    );
  }
  const file = target.replace(/^sqlite:/, '');
  return openSqliteStore(file === ':memory:' ? file : resolve(baseDir, file), options);
}
