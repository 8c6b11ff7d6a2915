/**
 * `slipway store restore`: put a verified backup in the store's place, the replaced store kept
 * aside. Refused while a deployment is in flight (its agent drives traffic the restored store
 * would not know about) unless forced.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { AppError } from '../domain/errors.ts';
import { DEPLOYMENT_STATUSES, isTerminal } from '../domain/types.ts';
import { diskError, fsyncDir, removeQuietly } from '../runtime/atomic-file.ts';
import { backupDir, replacedBackupName } from './backup-files.ts';
import type { StoreTarget } from './factory.ts';
import { backupPostgres, inspectPostgresBackup, restorePostgres } from './postgres/backup.ts';
import { inspectSqliteBackup } from './sqlite/backup.ts';

const IN_FLIGHT = DEPLOYMENT_STATUSES.filter((s) => !isTerminal(s));

export interface InFlight {
  readonly id: string;
  readonly env: string;
  readonly status: string;
}

/**
 * The deployments the current store has in flight, read without opening it as a Store (it may be
 * missing or damaged, which is why one restores): an unreadable store has none we can know of.
 */
export async function inFlightDeployments(target: StoreTarget): Promise<readonly InFlight[]> {
  const query = `select id, env, status from deployments where status in (${IN_FLIGHT.map((s) => `'${s}'`).join(', ')}) order by created_at`;
  try {
    if (target.kind === 'sqlite') {
      if (!existsSync(target.file) || statSync(target.file).size === 0) return [];
      const db = new DatabaseSync(target.file, { readOnly: true });
      try {
        return db.prepare(query).all() as unknown as InFlight[];
      } finally {
        db.close();
      }
    }
    const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<InFlight>(query)).rows;
    } finally {
      await client.end();
    }
  } catch {
    return [];
  }
}

/** Which kind of backup a file is, by its first bytes; STORE_BACKUP_INVALID for anything else. */
export function backupKind(file: string): 'sqlite' | 'postgres' {
  let head = Buffer.alloc(0);
  try {
    const fd = openSync(file, 'r');
    try {
      head = Buffer.alloc(16);
      head = head.subarray(0, readSync(fd, head, 0, 16, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new AppError('FILE_NOT_FOUND', `cannot read the backup ${file}: ${(error as Error).message}`);
  }
  if (head.toString('latin1').startsWith('SQLite format 3')) return 'sqlite';
  if (head.toString('latin1').startsWith('PGDMP')) return 'postgres';
  throw new AppError(
    'STORE_BACKUP_INVALID',
    `${file} is neither a SQLite store nor a pg_dump archive; give a file made by \`slipway store backup\` (they are in .slipway/backups/)`,
  );
}

/** Check that `file` is a sound backup for `target`'s kind of store. */
export async function verifyBackup(file: string, target: StoreTarget): Promise<void> {
  const kind = backupKind(file);
  if (kind !== target.kind) {
    throw new AppError(
      'STORE_BACKUP_INVALID',
      `${file} is a ${kind} backup, but the store is ${target.kind}; restore it into a ${kind} store (--store)`,
    );
  }
  if (kind === 'sqlite') inspectSqliteBackup(file);
  else await inspectPostgresBackup(file);
}

/**
 * Replace the store with the backup; returns where the replaced store was kept (undefined when
 * there was none to keep). The caller opens the store afterwards, which records it in the marker.
 */
export async function restoreStore(
  file: string,
  target: StoreTarget,
  dataDir: string,
): Promise<string | undefined> {
  await verifyBackup(file, target);
  if (target.kind === 'postgres') {
    const aside = `${backupDir(dataDir)}/${replacedBackupName('postgres')}`;
    const kept = await backupPostgres(target.url, aside).then(
      () => aside,
      () => undefined, // An empty or broken database has nothing worth keeping.
    );
    await restorePostgres(target.url, file);
    return kept;
  }
  const live = target.file;
  const temp = `${live}.restore-${process.pid}.tmp`;
  let aside: string | undefined;
  try {
    copyFileSync(file, temp);
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(live)) {
      aside = `${live}.${replacedBackupName('sqlite').replace(/\.db$/, '')}`;
      // The WAL and shared-memory files belong to the replaced store: they move with it.
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(live + suffix)) renameSync(live + suffix, aside + suffix);
      }
    }
    renameSync(temp, live);
    fsyncDir(dirname(live));
  } catch (error) {
    removeQuietly(temp);
    // Never leave the project without a store: the replaced one goes back where it was.
    if (aside && !existsSync(live)) {
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(aside + suffix)) renameSync(aside + suffix, live + suffix);
      }
      aside = undefined;
    }
    throw diskError(error, live);
  }
  return aside;
}
