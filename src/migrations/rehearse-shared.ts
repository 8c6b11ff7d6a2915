/**
 * What the MariaDB and SQLite rehearsals share: which files are pending (a `slipway_migrations`
 * table of names in the copy, when a tool or a person keeps one; else every file) and the loop
 * that runs each statement and times it.
 */
import type { MigrationFile } from './files.ts';
import type { StatementReport } from './postgres/rehearse.ts';
import { splitStatements } from './split.ts';

export interface StatementRun {
  readonly rows: number | null;
  readonly lockWaitMs?: number;
}

export function pendingByName(
  files: readonly MigrationFile[],
  applied: ReadonlySet<string>,
): MigrationFile[] {
  return files.filter((f) => !applied.has(f.name));
}

/** Run every statement of `files` in order with `run`; stops at the first error. */
export async function runTimed(
  files: readonly MigrationFile[],
  dialect: 'mariadb' | 'sqlite',
  run: (sql: string) => Promise<StatementRun>,
): Promise<{ statements: StatementReport[]; error?: string }> {
  const statements: StatementReport[] = [];
  for (const f of files)
    for (const s of splitStatements(f.sql, dialect)) {
      const started = performance.now();
      try {
        const r = await run(s.text);
        statements.push({
          file: f.name,
          line: s.line,
          statement: s.text,
          durationMs: Math.round(performance.now() - started),
          rows: r.rows,
          lock: 'none',
          heldMs: 0,
          overBudget: false,
          ...(r.lockWaitMs !== undefined && { lockWaitMs: r.lockWaitMs }),
        });
      } catch (error) {
        return { statements, error: `${f.name}:${s.line}: ${(error as Error).message}` };
      }
    }
  return { statements };
}
