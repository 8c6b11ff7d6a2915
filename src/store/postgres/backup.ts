/**
 * PostgreSQL backups with the server's own tools: `pg_dump --format=custom` to a file, checked
 * with `pg_restore --list`, and `pg_restore` into an emptied schema. The password travels in
 * PGPASSWORD, never on a command line another user could read.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import { fsyncDir, removeQuietly } from '../../runtime/atomic-file.ts';
import { backupWriteError } from '../backup-files.ts';
import { redactUrl } from './store.ts';

const run = promisify(execFile);

/** The URL without its password, and the environment that carries it. */
function connection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { dbname: parsed.toString(), env: { ...process.env, ...(password && { PGPASSWORD: password }) } };
}

async function tool(binary: string, args: string[], url: string): Promise<string> {
  const { dbname, env } = connection(url);
  try {
    const { stdout } = await run(
      binary,
      args.map((a) => (a === '$DB' ? dbname : a)),
      {
        env,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new AppError(
        'STORE_UNAVAILABLE',
        `${binary} is not installed; install the PostgreSQL client tools (apt-get install postgresql-client) to back up or restore ${redactUrl(url)}`,
      );
    }
    const detail = (e.stderr ?? e.message).trim().split('\n').slice(0, 3).join(' ');
    throw new AppError(
      'STORE_UNAVAILABLE',
      `${binary} failed on ${redactUrl(url)}: ${detail.replaceAll(url, redactUrl(url))}`,
    );
  }
}

export async function backupPostgres(url: string, dest: string): Promise<void> {
  const temp = `${dest}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(dest), { recursive: true });
    await tool('pg_dump', ['--format=custom', '--no-owner', '--file', temp, '--dbname', '$DB'], url);
    await inspectPostgresBackup(temp);
    renameSync(temp, dest);
    fsyncDir(dirname(dest));
  } catch (error) {
    removeQuietly(temp);
    throw backupWriteError(error, dest);
  }
}

/** Check that a file is a pg_dump archive of a slipway store; STORE_BACKUP_INVALID when not. */
export async function inspectPostgresBackup(file: string): Promise<void> {
  let listing: string;
  try {
    ({ stdout: listing } = await run('pg_restore', ['--list', file], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new AppError('STORE_UNAVAILABLE', 'pg_restore is not installed; install postgresql-client');
    throw new AppError(
      'STORE_BACKUP_INVALID',
      `the backup ${file} is not a readable pg_dump archive (${(e.stderr ?? e.message).trim().split('\n')[0]}); pick another backup`,
    );
  }
  if (!/TABLE DATA \S+ slipway_meta /.test(listing)) {
    throw new AppError(
      'STORE_BACKUP_INVALID',
      `the backup ${file} is a pg_dump archive but not of a slipway store (no slipway_meta table); pick another backup`,
    );
  }
}

/**
 * Replace the database's public schema with the backup's. slipway owns its database: the schema
 * is emptied first so tables a newer schema added do not linger beside the restored ones.
 */
export async function restorePostgres(url: string, file: string): Promise<void> {
  await inspectPostgresBackup(file);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('drop schema if exists public cascade');
    await client.query('create schema public');
  } finally {
    await client.end();
  }
  await tool(
    'pg_restore',
    ['--no-owner', '--exit-on-error', '--single-transaction', '--dbname', '$DB', file],
    url,
  );
}
