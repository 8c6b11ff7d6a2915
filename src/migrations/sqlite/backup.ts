/**
 * SQLite backups with SQLite's online backup API (node:sqlite `backup()`): a consistent copy of a
 * database the app keeps writing, page by page, without stopping it. The per-table sums are read
 * from the copy, so they describe exactly what was saved. A restore checks the file's sha256, makes
 * a fresh copy and checks its sums, keeps the live database beside it, and only then copies the
 * backup *into* the live file with the same API, so open connections see the restored data (a
 * file rename would leave them on the old inode).
 *
 * URLs: `sqlite:///absolute/path.db` or `sqlite:relative/path.db` (relative to where slipway runs).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';
import { type BackupManifest, type BackupOptions, newBackupFile, recordBackup } from '../postgres/backup.ts';
import type { DbTarget } from '../postgres/connect.ts';
import { type RestoreResult, verifiedBackup } from '../postgres/restore.ts';
import { compareSums, type TableSums } from '../postgres/tables.ts';

export const isSqliteUrl = (url: string) => /^sqlite:/i.test(url);

export function sqlitePath(t: DbTarget): string {
  const rest = t.url.replace(/^sqlite:/i, '');
  const path = rest.startsWith('//') ? decodeURIComponent(rest.slice(2)) : decodeURIComponent(rest);
  if (!path || !existsSync(path))
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: the SQLite database in ${t.key} (${t.url}) does not exist; fix the path in ${t.key} for ${t.env} (sqlite:///absolute/path.db, or sqlite:relative/path.db from where slipway runs)`,
    );
  return resolve(path);
}

function open(t: DbTarget, path: string, readOnly = false): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly });
    db.prepare('SELECT count(*) FROM sqlite_schema').get(); // not a database: fails here
    return db;
  } catch (error) {
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: ${path} in ${t.key} cannot be opened as SQLite (${(error as Error).message}); fix the path in ${t.key} for ${t.env}`,
    );
  }
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;
const MOD = 1n << 64n;

/** Per table: rows, and the sum (mod 2^64) of a 64-bit hash of each row: order does not matter. */
export function sqliteSums(db: DatabaseSync): TableSums {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  const out: Record<string, { rows: number; checksum: string }> = {};
  for (const { name } of tables) {
    let rows = 0;
    let sum = 0n;
    for (const row of db.prepare(`SELECT * FROM ${quote(name)}`).iterate()) {
      const text = JSON.stringify(Object.values(row as object), (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? String(v) : v,
      );
      sum = (sum + createHash('sha256').update(text).digest().readBigUInt64BE(0)) % MOD;
      rows++;
    }
    out[name] = { rows, checksum: sum.toString() };
  }
  return out;
}

function withDb<T>(t: DbTarget, path: string, fn: (db: DatabaseSync) => T, readOnly = false): T {
  const db = open(t, path, readOnly);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export async function takeSqliteBackup(
  t: DbTarget,
  root: string,
  opts: BackupOptions,
): Promise<BackupManifest> {
  const path = sqlitePath(t);
  const { id, createdAt, file } = newBackupFile(t, root, opts, 'sqlite');
  const started = performance.now();
  try {
    const live = open(t, path);
    try {
      await backup(live, file);
    } finally {
      live.close();
    }
    const durationMs = Math.round(performance.now() - started);
    const tables = withDb(t, file, sqliteSums, true);
    return await recordBackup(t, root, opts, file, {
      id,
      createdAt,
      engine: 'sqlite',
      database: path,
      durationMs,
      tables,
    });
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
}

export async function restoreSqliteBackup(t: DbTarget, root: string, id?: string): Promise<RestoreResult> {
  const started = performance.now();
  const path = sqlitePath(t);
  const { backup: b, file } = await verifiedBackup(root, t.env, id);
  const stamp = Date.now().toString(36);
  const fresh = `${path}.restore-${stamp}`;
  const keptAs = `${path}.before-${stamp}`;
  try {
    const t0 = performance.now();
    copyFileSync(file, fresh);
    const restoreMs = performance.now() - t0;
    const t1 = performance.now();
    const sums = withDb(t, fresh, sqliteSums, true);
    const diff = compareSums(b.tables, sums);
    if (diff.length > 0)
      throw new AppError(
        'BACKUP_INVALID',
        `the restored copy of ${b.id} differs from the backup, ${path} is untouched: ${diff.join('; ')}`,
      );
    const verifyMs = performance.now() - t1;
    const t2 = performance.now();
    const live = open(t, path);
    try {
      await backup(live, keptAs);
    } finally {
      live.close();
    }
    // The backup API writes the whole copy into the live file in one step that readers see whole.
    const source = open(t, fresh, true);
    try {
      await backup(source, path);
    } finally {
      source.close();
    }
    const swapMs = performance.now() - t2;
    return {
      backup: b,
      database: path,
      keptAs,
      tables: Object.keys(sums).length,
      rows: Object.values(sums).reduce((n, x) => n + x.rows, 0),
      restoreMs: Math.round(restoreMs),
      verifyMs: Math.round(verifyMs),
      swapMs: Math.round(swapMs),
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    rmSync(fresh, { force: true });
  }
}
