/**
 * Rehearsal: the pending migrations run, exactly as the runner runs them, against a scratch copy
 * of the environment's database (CREATE DATABASE … TEMPLATE when nobody is connected to it, else
 * pg_dump | pg_restore). A second connection samples pg_locks for the runner's backend every few
 * milliseconds, so each statement reports its duration, rows, the strongest lock it took and how
 * long that lock was held (until its transaction ended). The copy is dropped afterwards.
 * When production data may not be copied, the scratch database gets the schema only and N
 * generated rows per table instead (generate.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { AppError } from '../../domain/errors.ts';
import type { MigrationFile } from '../files.ts';
import type { LockMode } from '../lint/rules.ts';
import type { ParsedStatement } from '../parse.ts';
import { APPLIED_TABLE, appliedRows, applyMigrations, pendingOf } from './apply.ts';
import { runTool } from './backup.ts';
import { connect, type DbTarget, databaseName, requireTool, withDatabase } from './connect.ts';
import { type GeneratedData, generateData } from './generate.ts';
import { attribute, heldLocks, type Taken } from './rehearse-sample.ts';

export interface StatementReport {
  readonly file: string;
  readonly line: number;
  readonly statement: string;
  readonly durationMs: number;
  readonly rows: number | null;
  readonly lock: LockMode;
  /** The relation the strongest lock was on. */
  readonly on?: string;
  /** From the first sample that saw the lock to the end of the transaction holding it. */
  readonly heldMs: number;
  readonly overBudget: boolean;
  /** MariaDB: how long the statement waited for a metadata lock (sampled from the processlist). */
  readonly lockWaitMs?: number;
}

export interface Rehearsal {
  readonly env: string;
  /** Absent for PostgreSQL (the first engine); mariadb and sqlite say so. */
  readonly engine?: 'mariadb' | 'sqlite';
  readonly copy: 'template' | 'dump' | 'generated' | 'mariadb-dump' | 'sqlite-backup';
  /** What this engine's rehearsal cannot measure, said once. */
  readonly unmeasured?: string;
  readonly copyMs: number;
  /** With `copy: generated`: the rows made per table (no row of the environment was read). */
  readonly generated?: GeneratedData;
  readonly files: readonly string[];
  readonly statements: readonly StatementReport[];
  readonly budgetMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface RehearseOptions {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly budgetMs: number;
  readonly release: string;
  readonly sampleMs?: number;
  /** Rows per table to generate on the environment's schema instead of copying its data. */
  readonly generate?: number;
}

const ident = (id: string) => `"${id.replaceAll('"', '""')}"`;

export async function rehearse(
  t: DbTarget,
  files: readonly MigrationFile[],
  opts: RehearseOptions,
): Promise<Rehearsal> {
  const db = databaseName(t);
  const scratch = `${db}_rehearse_${Date.now().toString(36)}`.slice(0, 63);
  const admin = await connect(t, withDatabase(t.url, 'postgres'));
  try {
    const t0 = performance.now();
    let generated: GeneratedData | undefined;
    const copy = opts.generate === undefined ? await copyDatabase(t, admin, db, scratch) : 'generated';
    if (opts.generate !== undefined) await copySchema(t, admin, db, scratch);
    const runner = await connect(t, withDatabase(t.url, scratch));
    if (opts.generate !== undefined) generated = await generateData(runner, opts.generate);
    const copyMs = Math.round(performance.now() - t0);
    const sampler = await connect(t, withDatabase(t.url, scratch));
    try {
      const pending = pendingOf(files, await appliedRows(runner));
      const result = await measured(runner, sampler, pending, opts);
      return {
        env: t.env,
        copy,
        copyMs,
        ...(generated && { generated }),
        files: pending.map((f) => f.name),
        budgetMs: opts.budgetMs,
        ...result,
      };
    } finally {
      await runner.end().catch(() => {});
      await sampler.end().catch(() => {});
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${ident(scratch)} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
  }
}

async function copyDatabase(
  t: DbTarget,
  admin: pg.Client,
  db: string,
  scratch: string,
): Promise<'template' | 'dump'> {
  try {
    await admin.query(`CREATE DATABASE ${ident(scratch)} TEMPLATE ${ident(db)}`);
    return 'template';
  } catch (error) {
    // 55006: the source is in use (a running app holds connections): copy through a dump instead.
    if ((error as { code?: string }).code !== '55006') throw error;
  }
  requireTool(t, 'pg_dump');
  requireTool(t, 'pg_restore');
  await admin.query(`CREATE DATABASE ${ident(scratch)}`);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rehearse-'));
  try {
    const file = join(dir, 'copy.dump');
    await runTool('pg_dump', ['-Fc', '-f', file, '-d', db], t.url);
    await runTool('pg_restore', ['--no-owner', '--exit-on-error', '-d', scratch, file], t.url);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 'dump';
}

/**
 * The schema alone, and slipway's record of applied migrations (so only the pending files run):
 * nothing else of the environment's data leaves its database.
 */
async function copySchema(t: DbTarget, admin: pg.Client, db: string, scratch: string): Promise<void> {
  requireTool(t, 'pg_dump');
  requireTool(t, 'pg_restore');
  await admin.query(`CREATE DATABASE ${ident(scratch)}`);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rehearse-'));
  try {
    const schema = join(dir, 'schema.dump');
    const applied = join(dir, 'applied.dump');
    // An environment that never ran slipway's runner has no record: every file is pending.
    const source = await connect(t);
    const recorded = await source
      .query('SELECT to_regclass($1) IS NOT NULL AS yes', [APPLIED_TABLE])
      .finally(() => source.end().catch(() => {}));
    try {
      await runTool('pg_dump', ['-Fc', '--schema-only', '-f', schema, '-d', db], t.url);
      await runTool('pg_restore', ['--no-owner', '--exit-on-error', '-d', scratch, schema], t.url);
      if (recorded.rows[0]?.yes) {
        await runTool('pg_dump', ['-Fc', '--data-only', '-t', APPLIED_TABLE, '-f', applied, '-d', db], t.url);
        await runTool('pg_restore', ['--no-owner', '--exit-on-error', '-d', scratch, applied], t.url);
      }
    } catch (error) {
      throw new AppError(
        'DATABASE_UNAVAILABLE',
        `${t.env}: copying the schema of ${t.key} for a rehearsal failed: ${(error as Error).message}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Open {
  readonly report: Omit<StatementReport, 'heldMs' | 'overBudget'>;
  readonly seenAt: number | null;
  endedAt: number;
}

interface Current extends Taken {
  readonly s: ParsedStatement;
  readonly file: string;
  readonly started: number;
  readonly before: ReadonlySet<string>;
  rows: number | null;
}

async function measured(
  runner: pg.Client,
  sampler: pg.Client,
  files: readonly MigrationFile[],
  opts: RehearseOptions,
): Promise<{ statements: StatementReport[]; ok: boolean; error?: string }> {
  const pid = (await runner.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const done: Open[] = [];
  let current: Current | null = null;
  // Locks held by the open transaction (taken by earlier statements): not the next statement's.
  let txHeld = new Set<string>();
  let inTx: Open[] = [];
  let sampling = true;
  let error: string | undefined;
  const look = async () => {
    const held = await heldLocks(sampler, pid);
    const now = performance.now();
    if (current) attribute(current, held, current.before, now);
    return held;
  };
  const loop = async () => {
    while (sampling) {
      await look();
      await new Promise((res) => setTimeout(res, opts.sampleMs ?? 2));
    }
  };
  const sampling$ = loop();
  const finish = () => {
    const c = current;
    if (!c) return;
    const o: Open = {
      report: {
        file: c.file,
        line: c.s.line,
        statement: c.s.text.trim(),
        durationMs: Math.round(performance.now() - c.started),
        rows: c.rows,
        lock: c.lock,
        ...(c.on && { on: c.on }),
      },
      // A lock first seen after the statement ended was taken during it: count from its start.
      seenAt: c.seenAt === null ? null : Math.min(c.seenAt, performance.now()),
      endedAt: performance.now(),
    };
    done.push(o);
    inTx.push(o);
    current = null;
  };
  try {
    await applyMigrations(runner, files, {
      lockTimeoutMs: opts.lockTimeoutMs,
      statementTimeoutMs: opts.statementTimeoutMs,
      retries: 0,
      release: opts.release,
      onStatement: (file, s) => {
        finish();
        current = {
          s,
          file,
          started: performance.now(),
          lock: 'none',
          seenAt: null,
          rows: null,
          before: txHeld,
        };
      },
      onResult: async (rows) => {
        const c = current;
        if (!c) return;
        c.rows = rows;
        // Inside a transaction the statement's locks are still held: one sure look after it.
        const seenBefore = c.seenAt;
        const held = await look();
        if (seenBefore === null && c.seenAt !== null) c.seenAt = c.started;
        txHeld = new Set(held.map((h) => h.key));
      },
      onLocksReleased: () => {
        finish();
        const now = performance.now();
        for (const o of inTx) o.endedAt = now;
        inTx = [];
        txHeld = new Set();
      },
    });
  } catch (e) {
    error = (e as Error).message;
  }
  finish();
  sampling = false;
  await sampling$;
  const statements = done.map((o) => {
    const heldMs = o.seenAt === null ? 0 : Math.max(0, Math.round(o.endedAt - o.seenAt));
    return {
      ...o.report,
      heldMs,
      overBudget: o.report.lock === 'ACCESS EXCLUSIVE' && heldMs > opts.budgetMs,
    };
  });
  return { statements, ok: !error && !statements.some((s) => s.overBudget), ...(error && { error }) };
}
