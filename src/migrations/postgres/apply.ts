/**
 * slipway's own migration runner for PostgreSQL. Each file runs in one transaction with
 * lock_timeout and statement_timeout set, and its row in `slipway_migrations` is written in that
 * same transaction: a file that fails (or whose process is killed) leaves nothing behind, and a
 * re-run skips exactly what committed. A file holding statements that cannot run in a transaction
 * (CREATE INDEX CONCURRENTLY…) runs statement by statement. A lock timeout is retried with backoff.
 */
import type pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import type { MigrationFile } from '../files.ts';
import { isNonTransactional, isTxControl } from '../lint/check.ts';
import { type ParsedStatement, parseSql, SqlParseError } from '../parse.ts';

export const APPLIED_TABLE = 'slipway_migrations';
/** One advisory lock key for every slipway runner on a database (two deploys never interleave). */
const ADVISORY_KEY = 7_310_117_905;

export interface ApplyOptions {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly retries: number;
  /** The release that brings the files (recorded per row). */
  readonly release: string;
  /** Wait before retry n (1-based); default 500 ms × 2^(n-1). */
  readonly backoffMs?: (attempt: number) => number;
  /** Told before each statement (rehearsal samples locks; the CLI prints progress). */
  readonly onStatement?: (file: string, s: ParsedStatement) => void;
  /** Told after each statement with the rows it touched (null when PostgreSQL reports none). */
  readonly onResult?: (rows: number | null) => void | Promise<void>;
  /** Told when the locks taken so far are released (COMMIT, ROLLBACK, or a statement outside a transaction). */
  readonly onLocksReleased?: () => void;
  readonly onRetry?: (file: string, attempt: number, error: string) => void;
}

export interface AppliedRow {
  readonly name: string;
  readonly checksum: string;
  readonly release: string;
  readonly appliedAt: string;
  readonly durationMs: number;
}

export interface ApplyResult {
  readonly applied: readonly {
    readonly name: string;
    readonly durationMs: number;
    readonly attempts: number;
  }[];
  readonly skipped: readonly string[];
}

export async function ensureAppliedTable(client: pg.Client): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${APPLIED_TABLE} (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    release text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
  )`);
}

export async function appliedRows(client: pg.Client): Promise<AppliedRow[]> {
  const exists = await client.query(`SELECT to_regclass($1) AS t`, [APPLIED_TABLE]);
  if (!exists.rows[0]?.t) return [];
  const r = await client.query(
    `SELECT name, checksum, release, applied_at, duration_ms FROM ${APPLIED_TABLE} ORDER BY applied_at, name`,
  );
  return r.rows.map((x) => ({
    name: x.name,
    checksum: x.checksum,
    release: x.release,
    appliedAt: new Date(x.applied_at).toISOString(),
    durationMs: x.duration_ms,
  }));
}

/** The files not applied yet; refuses an applied file whose contents changed since. */
export function pendingOf(files: readonly MigrationFile[], applied: readonly AppliedRow[]): MigrationFile[] {
  const done = new Map(applied.map((a) => [a.name, a]));
  for (const f of files) {
    const a = done.get(f.name);
    if (a && a.checksum !== f.checksum)
      throw new AppError(
        'MIGRATION_REFUSED',
        `${f.name} was applied (by release ${a.release}, ${a.appliedAt}) with other contents; a migration never changes once applied: restore the file and put the change in a new migration`,
      );
  }
  return files.filter((f) => !done.has(f.name));
}

export function statementsOf(f: MigrationFile): ParsedStatement[] {
  try {
    return [...parseSql(f.sql).statements];
  } catch (error) {
    if (error instanceof SqlParseError)
      throw new AppError('MIGRATION_FAILED', `${f.name}:${error.line}:${error.column}: ${error.message}`);
    throw error;
  }
}

const LOCK_NOT_AVAILABLE = '55P03';

/** Apply every pending file in order; throws MIGRATION_FAILED naming the statement and the error. */
export async function applyMigrations(
  client: pg.Client,
  files: readonly MigrationFile[],
  opts: ApplyOptions,
): Promise<ApplyResult> {
  await ensureAppliedTable(client);
  await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_KEY]);
  try {
    const pending = pendingOf(files, await appliedRows(client));
    const skipped = files.filter((f) => !pending.includes(f)).map((f) => f.name);
    const applied: { name: string; durationMs: number; attempts: number }[] = [];
    for (const f of pending) {
      const statements = statementsOf(f);
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        try {
          await applyFile(client, f, statements, opts);
          applied.push({
            name: f.name,
            durationMs: Math.round(performance.now() - started),
            attempts: attempt,
          });
          break;
        } catch (error) {
          const e = error as StatementError;
          if (e.pgCode === LOCK_NOT_AVAILABLE && attempt <= opts.retries) {
            opts.onRetry?.(f.name, attempt, e.message);
            await new Promise((r) => setTimeout(r, (opts.backoffMs ?? ((n) => 500 * 2 ** (n - 1)))(attempt)));
            continue;
          }
          throw failure(f, e, attempt);
        }
      }
    }
    return { applied, skipped };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_KEY]).catch(() => {});
  }
}

interface StatementError extends Error {
  pgCode?: string;
  statement?: ParsedStatement;
}

function failure(f: MigrationFile, e: StatementError, attempts: number): AppError {
  if (e instanceof AppError) return e;
  const s = e.statement;
  const where = s ? `${f.name}:${s.line}:${s.column}` : f.name;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new AppError(
    'MIGRATION_FAILED',
    `${where}: ${e.message}${e.pgCode ? ` (SQLSTATE ${e.pgCode})` : ''}${tries}; nothing of ${f.name} was kept${e.pgCode === LOCK_NOT_AVAILABLE ? ': another session held the lock longer than lock_timeout; retry when it is quieter' : ''}`,
    { details: s ? [`statement: ${s.text.trim()}`] : [] },
  );
}

async function run(client: pg.Client, s: ParsedStatement, f: MigrationFile, opts: ApplyOptions) {
  opts.onStatement?.(f.name, s);
  try {
    const r = await client.query(s.text);
    await opts.onResult?.(typeof r.rowCount === 'number' ? r.rowCount : null);
    return r;
  } catch (error) {
    const e = error as StatementError & { code?: string };
    e.pgCode = e.code;
    e.statement = s;
    throw e;
  }
}

async function applyFile(
  client: pg.Client,
  f: MigrationFile,
  statements: readonly ParsedStatement[],
  opts: ApplyOptions,
): Promise<void> {
  const started = performance.now();
  const record = () =>
    client.query(
      `INSERT INTO ${APPLIED_TABLE} (name, checksum, release, duration_ms) VALUES ($1, $2, $3, $4)`,
      [f.name, f.checksum, opts.release, Math.round(performance.now() - started)],
    );
  const timeouts = (local: boolean) =>
    client.query(
      `SELECT set_config('lock_timeout', $1, ${local}), set_config('statement_timeout', $2, ${local})`,
      [`${opts.lockTimeoutMs}ms`, `${opts.statementTimeoutMs}ms`],
    );
  if (statements.some(isNonTransactional) || statements.some(isTxControl)) {
    // Statement by statement: what committed stays; the file is recorded once all succeeded.
    await timeouts(false);
    try {
      for (const s of statements) {
        await run(client, s, f, opts);
        opts.onLocksReleased?.();
      }
      await record();
    } finally {
      await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => {});
    }
    return;
  }
  await client.query('BEGIN');
  try {
    await timeouts(true);
    for (const s of statements) await run(client, s, f, opts);
    await record();
    await client.query('COMMIT');
    opts.onLocksReleased?.();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    opts.onLocksReleased?.();
    throw error;
  }
}
