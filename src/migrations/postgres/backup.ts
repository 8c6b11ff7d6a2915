/**
 * Backups before a migration: `pg_dump -Fc` of the environment's database into the project's
 * artifact store, with sha256, size, duration and the per-table sums of the very snapshot dumped
 * (pg_dump --snapshot shares one exported snapshot with the sums' transaction). The last N are
 * kept per environment; a manifest beside each dump says what it holds.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';
import { connect, type DbTarget, databaseName, requireTool, safeUrl } from './connect.ts';
import { type TableSums, tableSums } from './tables.ts';

export interface BackupManifest {
  readonly id: string;
  readonly env: string;
  readonly engine: 'postgres' | 'mariadb' | 'sqlite';
  readonly database: string;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly durationMs: number;
  readonly createdAt: string;
  /** The release about to migrate when it was taken, if any. */
  readonly release?: string;
  readonly tables: TableSums;
}

export const backupsDir = (root: string, env: string) => join(root, env);

export function listBackups(root: string, env: string): BackupManifest[] {
  const dir = backupsDir(root, env);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as BackupManifest)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Run a dump tool; the URL goes in the environment (PG* variables), never on the command line. */
export function runTool(tool: string, args: readonly string[], url: string): Promise<void> {
  const u = new URL(url);
  const env = {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username) || process.env.PGUSER || 'postgres',
    ...(u.password && { PGPASSWORD: decodeURIComponent(u.password) }),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${tool} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`)),
    );
  });
}

export type BackupOptions = { keep: number; release?: string; now?: () => Date };

/** A new backup's id, time and file (`ext`) in the environment's backup folder, created if missing. */
export function newBackupFile(
  t: DbTarget,
  root: string,
  opts: BackupOptions,
  ext: string,
): { id: string; createdAt: string; file: string } {
  const createdAt = (opts.now?.() ?? new Date()).toISOString();
  const id = `${createdAt.replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  const dir = backupsDir(root, t.env);
  mkdirSync(dir, { recursive: true });
  return { id, createdAt, file: join(dir, `${id}.${ext}`) };
}

/** Writes a finished backup's manifest beside its file, then prunes the environment's older backups. */
export async function recordBackup(
  t: DbTarget,
  root: string,
  opts: BackupOptions,
  file: string,
  taken: Pick<BackupManifest, 'id' | 'createdAt' | 'engine' | 'database' | 'durationMs' | 'tables'>,
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    id: taken.id,
    env: t.env,
    engine: taken.engine,
    database: taken.database,
    file: basename(file),
    sha256: await sha256File(file),
    bytes: statSync(file).size,
    durationMs: taken.durationMs,
    createdAt: taken.createdAt,
    ...(opts.release && { release: opts.release }),
    tables: taken.tables,
  };
  writeFileAtomic(
    join(backupsDir(root, t.env), `${taken.id}.json`),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  prune(root, t.env, opts.keep);
  return manifest;
}

export async function takeBackup(t: DbTarget, root: string, opts: BackupOptions): Promise<BackupManifest> {
  requireTool(t, 'pg_dump');
  const client = await connect(t);
  const { id, createdAt, file } = newBackupFile(t, root, opts, 'dump');
  const started = performance.now();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query('SELECT pg_export_snapshot() AS s')).rows[0].s as string;
    const db = databaseName(t);
    const dump = runTool('pg_dump', ['-Fc', '--snapshot', snapshot, '-f', file, '-d', db], t.url);
    const tables = await tableSums(client);
    await dump.catch((e: Error) => {
      throw new AppError(
        'DATABASE_UNAVAILABLE',
        `${t.env}: pg_dump of ${safeUrl(t.url)} failed: ${e.message}`,
      );
    });
    await client.query('COMMIT');
    const durationMs = Math.round(performance.now() - started);
    return await recordBackup(t, root, opts, file, {
      id,
      createdAt,
      engine: 'postgres',
      database: db,
      durationMs,
      tables,
    });
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Keep the newest `keep` backups of an environment; older dumps and manifests are deleted. */
export function prune(root: string, env: string, keep: number): string[] {
  const all = listBackups(root, env);
  const gone = all.slice(0, Math.max(0, all.length - keep));
  for (const b of gone) {
    rmSync(join(backupsDir(root, env), b.file), { force: true });
    rmSync(join(backupsDir(root, env), `${b.id}.json`), { force: true });
  }
  return gone.map((b) => b.id);
}
