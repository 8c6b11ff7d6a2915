/**
 * SQLite backups with SQLite's online backup API (node:sqlite `backup()`): a consistent copy while
 * other processes keep using the store. A backup is written under a temp name, checked with
 * `PRAGMA integrity_check`, and only then given its name.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';
import { fsyncDir, removeQuietly } from '../../runtime/atomic-file.ts';
import { backupWriteError } from '../backup-files.ts';
import type { StoreIdentity } from '../sql/sql-store.ts';

export async function backupSqlite(source: DatabaseSync, dest: string): Promise<void> {
  const temp = `${dest}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(dest), { recursive: true });
    await backup(source, temp);
    const problem = integrity(temp, 'integrity_check');
    if (problem)
      throw new AppError(
        'STORE_CORRUPT',
        `the backup of the store fails its integrity check (${problem}); the store itself is damaged: run \`slipway doctor\``,
      );
    renameSync(temp, dest);
    fsyncDir(dirname(dest));
  } catch (error) {
    removeQuietly(temp);
    throw backupWriteError(error, dest);
  }
}

/** `PRAGMA quick_check` or `integrity_check` on a file: null when it is sound, else what is wrong. */
export function integrity(file: string, pragma: 'quick_check' | 'integrity_check'): string | null {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    return checkOpen(db, pragma);
  } catch (error) {
    return (error as Error).message;
  } finally {
    db?.close();
  }
}

/** The integrity pragma on an open database: null when sound. */
export function checkOpen(db: DatabaseSync, pragma: 'quick_check' | 'integrity_check'): string | null {
  const rows = db.prepare(`PRAGMA ${pragma}(20)`).all() as Record<string, string>[];
  const lines = rows.map((r) => String(Object.values(r)[0]));
  return lines.length === 1 && lines[0] === 'ok' ? null : lines.slice(0, 3).join('; ');
}

/** What a SQLite backup file holds; STORE_BACKUP_INVALID when it is not a sound slipway store. */
export function inspectSqliteBackup(file: string): StoreIdentity {
  const problem = integrity(file, 'integrity_check');
  if (problem) {
    throw new AppError(
      'STORE_BACKUP_INVALID',
      `the backup ${file} is not a sound SQLite database (${problem}); pick another backup`,
    );
  }
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const meta = db
      .prepare("select name from sqlite_master where type = 'table' and name = 'slipway_meta'")
      .get();
    const rows = meta
      ? (db.prepare('select key, value from slipway_meta').all() as { key: string; value: string }[])
      : [];
    const get = (key: string) => rows.find((r) => r.key === key)?.value;
    const version = get('schema_version');
    if (version === undefined) {
      throw new AppError(
        'STORE_BACKUP_INVALID',
        `the backup ${file} is a SQLite database but not a slipway store (no slipway_meta); pick another backup`,
      );
    }
    return { storeId: get('store_id'), schemaVersion: Number(version) };
  } finally {
    db.close();
  }
}
