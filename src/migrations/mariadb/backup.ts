/**
 * MariaDB/MySQL backups: `mariadb-dump --single-transaction` (a consistent InnoDB snapshot without
 * locking writers) into the artifact store, with sha256, size and duration. The per-table sums a
 * restore is checked against are taken from the dump itself: it is loaded into a scratch database
 * right away (which also proves it restores), because sums read from the live database beside the
 * dump would come from another moment whenever the app writes. The scratch database is dropped.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type BackupManifest, type BackupOptions, newBackupFile, recordBackup } from '../postgres/backup.ts';
import type { DbTarget } from '../postgres/connect.ts';
import type { TableSums } from '../postgres/tables.ts';
import { ident, mariaDatabase, mariaQuery, requireMariaTool, runMaria } from './client.ts';

/** Base tables of `db` (views and routines come back with the dump but are not summed). */
export async function mariaTables(t: DbTarget, db: string): Promise<string[]> {
  const rows = await mariaQuery(
    t,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = '${db.replaceAll("'", "''")}' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => r[0] as string);
}

/** Row count and CHECKSUM TABLE … EXTENDED (a hash of every row's contents) of each table. */
export async function mariaSums(t: DbTarget, db: string): Promise<TableSums> {
  const tables = await mariaTables(t, db);
  if (tables.length === 0) return {};
  const q = (name: string) => `${ident(db)}.${ident(name)}`;
  const counts = await mariaQuery(t, tables.map((name) => `SELECT COUNT(*) FROM ${q(name)};`).join(' '));
  const sums = await mariaQuery(t, `CHECKSUM TABLE ${tables.map(q).join(', ')} EXTENDED`);
  const out: Record<string, { rows: number; checksum: string }> = {};
  tables.forEach((name, i) => {
    // One line per statement, in the order asked.
    out[name] = { rows: Number(counts[i]?.[0] ?? -1), checksum: sums[i]?.[1] ?? 'NULL' };
  });
  return out;
}

/** Load a dump into a new database `name` (created here); the caller drops it. */
export async function loadInto(t: DbTarget, name: string, file: string): Promise<void> {
  await mariaQuery(t, `CREATE DATABASE ${ident(name)}`);
  await runMaria(t, 'mariadb', [name], file);
}

export async function takeMariaBackup(
  t: DbTarget,
  root: string,
  opts: BackupOptions,
): Promise<BackupManifest> {
  requireMariaTool(t, 'mariadb-dump');
  requireMariaTool(t, 'mariadb');
  const db = mariaDatabase(t);
  await mariaQuery(t, 'SELECT 1', db); // one line for a bad URL before anything is written
  const { id, createdAt, file } = newBackupFile(t, root, opts, 'sql');
  const scratch = `${db}_bk_${randomBytes(3).toString('hex')}`.slice(0, 64);
  const started = performance.now();
  try {
    await runMaria(t, 'mariadb-dump', [
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--default-character-set=utf8mb4',
      `--result-file=${file}`,
      db,
    ]);
    const durationMs = Math.round(performance.now() - started);
    await loadInto(t, scratch, file);
    const tables = await mariaSums(t, scratch);
    return await recordBackup(t, root, opts, file, {
      id,
      createdAt,
      engine: 'mariadb',
      database: db,
      durationMs,
      tables,
    });
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  } finally {
    await mariaQuery(t, `DROP DATABASE IF EXISTS ${ident(scratch)}`).catch(() => {});
  }
}
