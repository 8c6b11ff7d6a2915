/**
 * Rehearsal on SQLite: SQLite's online backup API copies the live file to a temporary one (the
 * app may keep writing), and every pending statement runs there one by one, timed, with the rows
 * it changed. SQLite has no per-table locks to sample: a write statement holds the one database
 * write lock for as long as it runs, so its duration is how long other writers would wait.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { AppError } from '../../domain/errors.ts';
import type { MigrationFile } from '../files.ts';
import type { DbTarget } from '../postgres/connect.ts';
import type { Rehearsal, RehearseOptions } from '../postgres/rehearse.ts';
import { pendingByName, runTimed } from '../rehearse-shared.ts';
import { sqlitePath } from './backup.ts';

export const SQLITE_UNMEASURED =
  'SQLite locks the whole database for each write: a write statement blocks other writers for its whole duration; there are no per-table locks to report and the lock budget is not judged';

export async function rehearseSqlite(
  t: DbTarget,
  files: readonly MigrationFile[],
  opts: RehearseOptions,
): Promise<Rehearsal> {
  const path = sqlitePath(t);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rehearse-'));
  try {
    const copy = join(dir, 'copy.db');
    const started = performance.now();
    let live: DatabaseSync;
    try {
      live = new DatabaseSync(path, { readOnly: true });
    } catch (error) {
      throw new AppError(
        'DATABASE_UNAVAILABLE',
        `${t.env}: ${path} in ${t.key} cannot be opened as SQLite (${(error as Error).message}); fix the path in ${t.key} for ${t.env}`,
      );
    }
    try {
      await backup(live, copy);
    } finally {
      live.close();
    }
    const copyMs = Math.round(performance.now() - started);
    const db = new DatabaseSync(copy);
    try {
      db.exec(`PRAGMA busy_timeout = ${opts.lockTimeoutMs}`);
      const recorded = db
        .prepare(
          "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'slipway_migrations'",
        )
        .get() as { n: number };
      const applied = recorded.n
        ? new Set(
            (db.prepare('SELECT name FROM slipway_migrations').all() as { name: string }[]).map(
              (r) => r.name,
            ),
          )
        : new Set<string>();
      const pending = pendingByName(files, applied);
      const r = await runTimed(pending, 'sqlite', async (sql) => {
        const st = db.prepare(sql);
        if (st.columns().length > 0) return { rows: st.all().length };
        // changes() keeps the last DML's count across DDL; total_changes() moves only with this statement.
        const total = () => Number((db.prepare('SELECT total_changes() AS n').get() as { n: number }).n);
        const before = total();
        st.run();
        return { rows: total() - before };
      });
      return {
        env: t.env,
        engine: 'sqlite',
        copy: 'sqlite-backup',
        copyMs,
        files: pending.map((f) => f.name),
        statements: r.statements,
        budgetMs: opts.budgetMs,
        unmeasured: SQLITE_UNMEASURED,
        ok: !r.error,
        ...(r.error && { error: r.error }),
      };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
