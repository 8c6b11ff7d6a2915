/**
 * Backup and restore of an environment's database, by the scheme of its URL: postgres:// and
 * postgresql:// (pg_dump -Fc / pg_restore), mysql:// and mariadb:// (mariadb-dump / mariadb),
 * sqlite: (SQLite's online backup API). Every engine writes the same manifest (sha256, size,
 * duration, per-table rows and checksums) and restores into a new database, verifies, then swaps.
 */
import { AppError } from '../domain/errors.ts';
import { takeMariaBackup } from './mariadb/backup.ts';
import { isMariaUrl } from './mariadb/client.ts';
import { restoreMariaBackup } from './mariadb/restore.ts';
import { type BackupManifest, takeBackup } from './postgres/backup.ts';
import { type DbTarget, safeUrl } from './postgres/connect.ts';
import { type RestoreResult, restoreBackup } from './postgres/restore.ts';
import { isSqliteUrl, restoreSqliteBackup, takeSqliteBackup } from './sqlite/backup.ts';

export type BackupEngine = BackupManifest['engine'];

export function engineOf(t: DbTarget): BackupEngine {
  if (/^postgres(ql)?:\/\//i.test(t.url)) return 'postgres';
  if (isMariaUrl(t.url)) return 'mariadb';
  if (isSqliteUrl(t.url)) return 'sqlite';
  throw new AppError(
    'DATABASE_UNAVAILABLE',
    `${t.env}: ${t.key} (${safeUrl(t.url)}) is not a database URL slipway can back up; use postgres://USER@HOST:5432/DB, mysql://USER@HOST:3306/DB (MariaDB/MySQL) or sqlite:///path/to/file.db, set with \`slipway config set ${t.env} ${t.key} …\``,
  );
}

export function backupDatabase(
  t: DbTarget,
  root: string,
  opts: { keep: number; release?: string; now?: () => Date },
): Promise<BackupManifest> {
  const engine = engineOf(t);
  return engine === 'postgres'
    ? takeBackup(t, root, opts)
    : engine === 'mariadb'
      ? takeMariaBackup(t, root, opts)
      : takeSqliteBackup(t, root, opts);
}

export function restoreDatabase(t: DbTarget, root: string, id?: string): Promise<RestoreResult> {
  const engine = engineOf(t);
  return engine === 'postgres'
    ? restoreBackup(t, root, id)
    : engine === 'mariadb'
      ? restoreMariaBackup(t, root, id)
      : restoreSqliteBackup(t, root, id);
}
