/**
 * Where backups go and what they are called: `.slipway/backups/`, one file each, named so that
 * names sort by time. `pre-migration-*` are made by slipway before a schema migration (the last
 * few kept), `backup-*` by `slipway store backup`, `replaced-*` by a restore (the store it replaced).
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError, isAppError } from '../domain/errors.ts';
import { diskError } from '../runtime/atomic-file.ts';

export const backupDir = (dataDir: string): string => join(dataDir, 'backups');

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');
const extension = (dialect: 'sqlite' | 'postgres'): string => (dialect === 'sqlite' ? 'db' : 'pgdump');

export const preMigrationBackupName = (dialect: 'sqlite' | 'postgres', fromVersion: number): string =>
  `pre-migration-${stamp()}-schema${fromVersion}.${extension(dialect)}`;
export const manualBackupName = (dialect: 'sqlite' | 'postgres'): string =>
  `backup-${stamp()}.${extension(dialect)}`;
export const replacedBackupName = (dialect: 'sqlite' | 'postgres'): string =>
  `replaced-${stamp()}.${extension(dialect)}`;

function listBackups(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => /\.(db|pgdump)$/.test(n))
      .sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs);
  } catch {
    return [];
  }
}

/** The most recent backup file in `dir` of a store of this kind (its path), or undefined. */
export function newestBackup(dir: string, dialect: 'sqlite' | 'postgres'): string | undefined {
  const name = listBackups(dir)
    .filter((n) => n.endsWith(`.${extension(dialect)}`))
    .at(-1);
  return name === undefined ? undefined : join(dir, name);
}

/** Keep the newest `keep` backups whose name starts with `prefix`; delete the older ones. */
export function pruneBackups(dir: string, prefix: string, keep: number): void {
  const ours = listBackups(dir).filter((n) => n.startsWith(prefix));
  for (const name of ours.slice(0, Math.max(0, ours.length - keep))) rmSync(join(dir, name), { force: true });
}

/** A failed backup write as the user's error: DISK_FULL, or STORE_UNAVAILABLE naming the file. */
export function backupWriteError(error: unknown, dest: string): unknown {
  const mapped = diskError(error, dest);
  if (isAppError(mapped)) return mapped;
  return new AppError(
    'STORE_UNAVAILABLE',
    `cannot write the backup ${dest}: ${(error as Error).message}; pick a writable place for it`,
    { cause: error },
  );
}
