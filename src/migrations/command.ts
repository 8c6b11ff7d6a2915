/**
 * A team's own migration tool (`migrations.command`: knex, prisma, node-pg-migrate, flyway…),
 * run in the release folder with the database URL in its environment. slipway still lints the SQL
 * in `migrations.dir`, backs up first, and records the files the run covered in its own table, so
 * the next release lints and counts only what is new.
 */
import { spawn } from 'node:child_process';
import type pg from 'pg';
import { AppError } from '../domain/errors.ts';
import type { MigrationFile } from './files.ts';
import { APPLIED_TABLE, ensureAppliedTable } from './postgres/apply.ts';
import type { DbTarget } from './postgres/connect.ts';

export async function runCommand(
  command: string,
  cwd: string,
  t: DbTarget,
  statementTimeoutMs: number,
): Promise<{ durationMs: number }> {
  const started = performance.now();
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, {
      cwd,
      shell: true,
      env: { ...process.env, [t.key]: t.url, DATABASE_URL: t.url },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: statementTimeoutMs,
    });
    const keep = (d: Buffer) => {
      tail.push(...d.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 10));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(signal ? -1 : c));
  });
  if (code !== 0)
    throw new AppError(
      'MIGRATION_FAILED',
      `${t.env}: migrations.command \`${command}\` ${code === -1 ? 'was killed' : `exited ${code}`}; its last lines are below`,
      { details: tail },
    );
  return { durationMs: Math.round(performance.now() - started) };
}

/** Record that the tool's run covered these files (their checksums guard later edits). */
export async function recordCovered(
  client: pg.Client,
  files: readonly MigrationFile[],
  release: string,
  ms: number,
) {
  await ensureAppliedTable(client);
  for (const f of files)
    await client.query(
      `INSERT INTO ${APPLIED_TABLE} (name, checksum, release, duration_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
      [f.name, f.checksum, release, ms],
    );
}
