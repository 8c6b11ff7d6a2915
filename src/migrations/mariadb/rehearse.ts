/**
 * Rehearsal on MariaDB/MySQL: mariadb-dump of the environment's database loaded into a scratch
 * database on the same server, then every pending statement run there one by one through the
 * MariaDB connector, timed, with its rows. A second connection samples the runner's processlist
 * row every few milliseconds: the time it spends in "Waiting for table metadata lock" is the
 * statement's metadata-lock wait. Which lock a statement holds is not visible without the
 * metadata_lock_info plugin, so the lock budget is not judged here (said in `unmeasured`).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mariadb';
import { AppError } from '../../domain/errors.ts';
import type { MigrationFile } from '../files.ts';
import type { DbTarget } from '../postgres/connect.ts';
import { safeUrl } from '../postgres/connect.ts';
import type { Rehearsal, RehearseOptions } from '../postgres/rehearse.ts';
import { pendingByName, runTimed } from '../rehearse-shared.ts';
import { loadInto } from './backup.ts';
import { ident, mariaDatabase, mariaQuery, requireMariaTool, runMaria } from './client.ts';

const SAMPLE_MS = 5;

export const MARIA_UNMEASURED =
  'MariaDB does not show which lock a statement holds without the metadata_lock_info plugin: the strongest lock, its hold and the lock budget are not judged; the metadata-lock wait is sampled from the processlist every 5 ms';

async function open(t: DbTarget, database: string): Promise<Connection> {
  const u = new URL(t.url);
  try {
    const { default: mariadb } = await import('mariadb');
    return await mariadb.createConnection({
      host: u.hostname || '127.0.0.1',
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username) || 'root',
      password: decodeURIComponent(u.password),
      database,
      connectTimeout: 5000,
    });
  } catch (error) {
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: the rehearsal cannot connect to ${safeUrl(t.url)} (${(error as { text?: string }).text ?? (error as Error).message}); check ${t.key} for ${t.env}`,
    );
  }
}

export async function rehearseMaria(
  t: DbTarget,
  files: readonly MigrationFile[],
  opts: RehearseOptions,
): Promise<Rehearsal> {
  requireMariaTool(t, 'mariadb-dump');
  requireMariaTool(t, 'mariadb');
  const db = mariaDatabase(t);
  await mariaQuery(t, 'SELECT 1', db); // one line for a bad URL before anything is created
  const scratch = `${db}_rh_${randomBytes(3).toString('hex')}`.slice(0, 64);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rehearse-'));
  const started = performance.now();
  let runner: Connection | undefined;
  let sampler: Connection | undefined;
  try {
    const file = join(dir, 'copy.sql');
    await runMaria(t, 'mariadb-dump', [
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--default-character-set=utf8mb4',
      `--result-file=${file}`,
      db,
    ]);
    await loadInto(t, scratch, file);
    const copyMs = Math.round(performance.now() - started);
    runner = await open(t, scratch);
    sampler = await open(t, scratch);
    const recorded = (await runner.query(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'slipway_migrations'",
    )) as { n: number | bigint }[];
    const applied = Number(recorded[0]?.n ?? 0)
      ? new Set(
          ((await runner.query('SELECT name FROM slipway_migrations')) as { name: string }[]).map(
            (r) => r.name,
          ),
        )
      : new Set<string>();
    const pending = pendingByName(files, applied);
    await runner.query(
      `SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(opts.lockTimeoutMs / 1000))}, max_statement_time = ${opts.statementTimeoutMs / 1000}`,
    );
    const id = Number(
      ((await runner.query('SELECT CONNECTION_ID() AS id')) as { id: number | bigint }[])[0]?.id,
    );
    // The sampler marks when the runner was first and last seen waiting for a metadata lock.
    let waiting: { first: number | null; last: number } = { first: null, last: 0 };
    let sampling = true;
    const s = sampler;
    const loop = (async () => {
      while (sampling) {
        const rows = (await s
          .query('SELECT STATE AS state FROM information_schema.PROCESSLIST WHERE ID = ?', [id])
          .catch(() => [])) as { state: string | null }[];
        if (/metadata lock/i.test(rows[0]?.state ?? '')) {
          const now = performance.now();
          waiting.first ??= now;
          waiting.last = now;
        }
        await new Promise((r) => setTimeout(r, SAMPLE_MS));
      }
    })();
    const r = await runTimed(pending, 'mariadb', async (sql) => {
      waiting = { first: null, last: 0 };
      const out = (await (runner as Connection).query(sql)) as unknown;
      const rows = Array.isArray(out)
        ? out.length
        : Number((out as { affectedRows?: number }).affectedRows ?? 0);
      const lockWaitMs = waiting.first === null ? 0 : Math.round(waiting.last - waiting.first + SAMPLE_MS);
      return { rows, lockWaitMs };
    });
    sampling = false;
    await loop;
    return {
      env: t.env,
      engine: 'mariadb',
      copy: 'mariadb-dump',
      copyMs,
      files: pending.map((f) => f.name),
      statements: r.statements,
      budgetMs: opts.budgetMs,
      unmeasured: MARIA_UNMEASURED,
      ok: !r.error,
      ...(r.error && { error: r.error }),
    };
  } finally {
    await runner?.end().catch(() => {});
    await sampler?.end().catch(() => {});
    await mariaQuery(t, `DROP DATABASE IF EXISTS ${ident(scratch)}`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
