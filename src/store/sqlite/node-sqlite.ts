/**
 * Kysely's SQLite dialect over Node's built-in `node:sqlite` (no native addon to build). Kysely
 * asks for "the subset of better-sqlite3 it needs"; this adapter provides exactly that subset.
 * Transactions start with BEGIN IMMEDIATE so that two processes sharing the file queue up on the
 * busy timeout instead of failing when both try to turn a read into a write.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely';
import { AppError } from '../../domain/errors.ts';

type Param = null | number | bigint | string | Uint8Array;

function toParams(parameters: ReadonlyArray<unknown>): Param[] {
  return parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : (p as Param)));
}

/**
 * Open the file for Kysely. WAL with synchronous=FULL: a commit is on disk when it returns, even
 * across a power cut (NORMAL could lose the last commits). SQLite's own corruption and full-disk
 * errors become STORE_CORRUPT / DISK_FULL naming the file, so no caller mistakes them for a bug.
 */
export function openNodeSqlite(
  file: string,
  busyTimeoutMs = 10_000,
): { database: SqliteDatabase; raw: DatabaseSync } {
  const db = new DatabaseSync(file, { timeout: busyTimeoutMs });
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw sqliteError(error, file);
    }
  };
  guard(() => db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;'));
  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sqlText: string): SqliteStatement {
      const statement = guard(() => db.prepare(sqlText));
      return {
        reader: statement.columns().length > 0,
        all: (parameters) => guard(() => statement.all(...toParams(parameters))),
        run: (parameters) =>
          guard(() => {
            const result = statement.run(...toParams(parameters));
            return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
          }),
        iterate: (parameters) =>
          guard(() => statement.iterate(...toParams(parameters)) as IterableIterator<unknown>),
      };
    },
  };
  return { database, raw: db };
}

/** SQLite result codes (the primary code is the low byte of an extended one). */
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

/** SQLite's corruption and full-disk errors as the user's errors; others unchanged. */
export function sqliteError(error: unknown, file: string): unknown {
  const code = ((error as { errcode?: number }).errcode ?? -1) & 0xff;
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB)
    return corruptError(file, (error as Error).message, error);
  // A full disk shows as SQLITE_FULL on a write, or as a disk I/O error when SQLite cannot grow
  // its WAL or shared-memory file; the filesystem's free space tells the two I/O errors apart.
  if (code === SQLITE_FULL || (code === SQLITE_IOERR && noSpaceLeft(file))) {
    return new AppError(
      'DISK_FULL',
      `disk full at ${file}: the store could not be written and nothing in it changed; free space on that filesystem and run the command again`,
      { cause: error },
    );
  }
  return error;
}

/** True when the filesystem holding `file` has (almost) no room left for an unprivileged write. */
function noSpaceLeft(file: string): boolean {
  try {
    const fs = statfsSync(dirname(file));
    return fs.bavail * fs.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

export function corruptError(file: string, detail: string, cause?: unknown): AppError {
  return new AppError(
    'STORE_CORRUPT',
    `the store ${file} is corrupt (${detail}); nothing was written to it. Restore the last good backup: \`slipway store restore .slipway/backups/<file>\` (list them with \`ls .slipway/backups\`), or run \`slipway doctor\` for details`,
    cause === undefined ? {} : { cause },
  );
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
}
