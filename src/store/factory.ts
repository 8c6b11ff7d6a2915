import { resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import type { Store } from './contract.ts';
import { StoreGuard } from './guard.ts';
import { storeKey } from './marker.ts';
import { openPostgresStore, redactUrl } from './postgres/store.ts';
import { LATEST_VERSION } from './sql/migrations.ts';
import type { SqlStoreOptions } from './sql/sql-store.ts';
import { openSqliteStore } from './sqlite/store.ts';

export const DEFAULT_STORE = '.slipway/slipway.db';

export type StoreTarget =
  | { readonly kind: 'sqlite'; readonly file: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface OpenStoreOptions extends SqlStoreOptions {
  /**
   * The project's state folder (`.slipway/`): its marker guards the store (missing, emptied,
   * replaced, changed outside slipway) and its audit anchor follows the audit log.
   */
  readonly dataDir?: string;
}

/** Which store `url` names: `postgres://…` / `postgresql://…`, `sqlite:PATH`, or a plain SQLite path. */
export function storeTarget(url: string | undefined, baseDir: string): StoreTarget {
  const target = url ?? DEFAULT_STORE;
  if (/^postgres(ql)?:\/\//.test(target)) return { kind: 'postgres', url: target };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new AppError(
      'USAGE',
      `unknown store "${target.split(':')[0]}"; use postgres://… or a SQLite file path (default ${DEFAULT_STORE})`,
    );
  }
  const file = target.replace(/^sqlite:/, '');
  return { kind: 'sqlite', file: file === ':memory:' ? file : resolve(baseDir, file) };
}

/** The marker's key for a target, and how messages name it. */
export function describeTarget(target: StoreTarget, baseDir: string): { key: string; shown: string } {
  return target.kind === 'sqlite'
    ? { key: storeKey({ sqlite: target.file }, baseDir), shown: target.file }
    : { key: storeKey({ postgres: target.url }, baseDir), shown: redactUrl(target.url) };
}

/**
 * Open the store named by `url` (see `storeTarget`). The default is `.slipway/slipway.db` in the
 * project folder. With `dataDir`, the store is guarded by the project marker (see guard.ts).
 */
export async function openStore(
  url: string | undefined,
  baseDir: string,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const { dataDir, ...rest } = options;
  const target = storeTarget(url, baseDir);
  const guard =
    dataDir === undefined || (target.kind === 'sqlite' && target.file === ':memory:')
      ? undefined
      : new StoreGuard({
          dataDir,
          ...describeTarget(target, baseDir),
          dialect: target.kind,
          latest: LATEST_VERSION,
        });
  const withGuard = guard ? { ...rest, guard } : rest;
  return target.kind === 'postgres'
    ? openPostgresStore(target.url, withGuard)
    : openSqliteStore(target.file, withGuard);
}
