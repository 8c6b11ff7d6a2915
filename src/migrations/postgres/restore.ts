/**
 * Restore as a rollback: the backup goes into a new database first, is checked table by table
 * against the sums taken with the dump, and only then swapped in by two renames. A dump whose
 * checksum does not match, a failed pg_restore or a difference in any table leaves the current
 * database untouched (the new one is dropped). The replaced database is kept, renamed, for the
 * user to drop once satisfied.
 */
import { join } from 'node:path';
import type pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import { type BackupManifest, backupsDir, listBackups, runTool, sha256File } from './backup.ts';
import { connect, type DbTarget, databaseName, requireTool, withDatabase } from './connect.ts';
import { compareSums, tableSums } from './tables.ts';

export interface RestoreResult {
  readonly backup: BackupManifest;
  readonly database: string;
  /** The database that was live before, kept under this name. */
  readonly keptAs: string;
  readonly tables: number;
  readonly rows: number;
  readonly restoreMs: number;
  readonly verifyMs: number;
  readonly swapMs: number;
  readonly totalMs: number;
}

const ident = (id: string) => `"${id.replaceAll('"', '""')}"`;

export function findBackup(root: string, env: string, id?: string): BackupManifest {
  const all = listBackups(root, env);
  const b = id ? all.find((x) => x.id === id) : all.at(-1);
  if (!b)
    throw new AppError(
      'BACKUP_NOT_FOUND',
      id
        ? `${env} has no backup ${id}; list them with \`slipway db backups ${env}\``
        : `${env} has no backup yet; take one with \`slipway db backup ${env}\` (slipway also takes one before each migration)`,
    );
  return b;
}

/** The backup `id` (default: the newest) and its file, refused if the file is missing or altered. */
export async function verifiedBackup(
  root: string,
  env: string,
  id?: string,
): Promise<{ backup: BackupManifest; file: string }> {
  const backup = findBackup(root, env, id);
  const file = join(backupsDir(root, env), backup.file);
  const sum = await sha256File(file).catch(() => 'missing');
  if (sum !== backup.sha256)
    throw new AppError(
      'BACKUP_INVALID',
      `backup ${backup.id} of ${env} is refused: its file ${sum === 'missing' ? 'is missing' : `has sha256 ${sum.slice(0, 12)}…, recorded ${backup.sha256.slice(0, 12)}…`}; restore another one (\`slipway db backups ${env}\`)`,
    );
  return { backup, file };
}

export async function restoreBackup(t: DbTarget, root: string, id?: string): Promise<RestoreResult> {
  const started = performance.now();
  const { backup, file } = await verifiedBackup(root, t.env, id);
  requireTool(t, 'pg_restore');
  const db = databaseName(t);
  const stamp = Date.now().toString(36);
  const fresh = `${db}_restore_${stamp}`.slice(0, 63);
  const keptAs = `${db}_before_${stamp}`.slice(0, 63);
  const admin = await connect(t, withDatabase(t.url, 'postgres'));
  let swapped = false;
  try {
    await admin.query(`CREATE DATABASE ${ident(fresh)}`);
    const t0 = performance.now();
    await runTool('pg_restore', ['--no-owner', '--exit-on-error', '-d', fresh, file], t.url).catch(
      (e: Error) => {
        throw new AppError(
          'BACKUP_INVALID',
          `restoring ${backup.id} into a new database failed, ${db} is untouched: ${e.message}`,
        );
      },
    );
    const restoreMs = performance.now() - t0;
    const t1 = performance.now();
    const check = await connect(t, withDatabase(t.url, fresh));
    const sums = await tableSums(check).finally(() => check.end().catch(() => {}));
    const diff = compareSums(backup.tables, sums);
    if (diff.length > 0)
      throw new AppError(
        'BACKUP_INVALID',
        `the restored copy of ${backup.id} differs from the backup, ${db} is untouched: ${diff.join('; ')}`,
      );
    const verifyMs = performance.now() - t1;
    const t2 = performance.now();
    await swap(admin, db, fresh, keptAs);
    swapped = true;
    const swapMs = performance.now() - t2;
    const rows = Object.values(sums).reduce((n, x) => n + x.rows, 0);
    return {
      backup,
      database: db,
      keptAs,
      tables: Object.keys(sums).length,
      rows,
      restoreMs: Math.round(restoreMs),
      verifyMs: Math.round(verifyMs),
      swapMs: Math.round(swapMs),
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    if (!swapped) await admin.query(`DROP DATABASE IF EXISTS ${ident(fresh)} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
  }
}

/** Two renames, with the live database's sessions ended first (a rename needs it unused). */
async function swap(admin: pg.Client, db: string, fresh: string, keptAs: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${ident(db)} WITH ALLOW_CONNECTIONS false`);
  try {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [db],
    );
    await admin.query(`ALTER DATABASE ${ident(db)} RENAME TO ${ident(keptAs)}`);
  } catch (error) {
    await admin.query(`ALTER DATABASE ${ident(db)} WITH ALLOW_CONNECTIONS true`).catch(() => {});
    throw error;
  }
  await admin.query(`ALTER DATABASE ${ident(fresh)} RENAME TO ${ident(db)}`);
  await admin.query(`ALTER DATABASE ${ident(keptAs)} WITH ALLOW_CONNECTIONS true`);
}
