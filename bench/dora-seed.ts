/**
 * The history bench/dora.ts measures: 100,000 deployments over a year in 4 environments, written
 * straight into a fresh store (SQLite file or PostgreSQL database) as a live store would hold them.
 */
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';

export const N = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;
const ENVS = ['production', 'staging', 'dev', 'qa'];
export const RELEASES = Math.ceil(N / 10);
export const now = Date.now();

/** Spread over a year, 4 environments, a release per 10 deployments; 1 in 10 rolled back by the engine,
 * 1 in 50 failed, 1 in 40 a `slipway rollback` (redeploy) away from the release before. */
function deploymentRow(i: number, states: { plain: string; rollback: string }): unknown[] {
  const at = new Date(now - Math.floor(((N - i) / N) * 365 * DAY)).toISOString();
  const end = new Date(Date.parse(at) + 600_000).toISOString();
  const rollback = i % 40 === 4;
  const status = rollback
    ? 'succeeded'
    : i % 50 === 0
      ? 'failed'
      : i % 10 === 0
        ? 'rolled_back'
        : 'succeeded';
  const rel = Math.floor(i / 10);
  return [
    `dep-${String(i).padStart(6, '0')}`,
    ENVS[i % 4],
    `rel-${rollback ? Math.max(0, rel - 1) : rel}`,
    rollback ? `rel-${rel}` : null,
    status,
    at,
    end,
    rollback ? states.rollback : states.plain,
    rollback ? 'redeploy' : null,
  ];
}

function releaseRow(k: number): unknown[] {
  const at = new Date(now - Math.floor(((N - k * 10) / N) * 365 * DAY) - 2 * 3_600_000).toISOString();
  return [`rel-${k}`, `1.0.${k}`, `sha256:${String(k).padStart(64, '0')}`, at];
}

const DEP_COLS = `id, app, env, release_id, from_release_id, strategy, status, reason, created_by, created_at,
  updated_at, finished_at, state, revision, rollback_kind`;

export async function seed(kind: string, storeUrl: string, states: { plain: string; rollback: string }) {
  if (kind === 'sqlite') {
    const db = new DatabaseSync(storeUrl);
    db.exec('begin');
    const rel = db.prepare(
      `insert into releases (id, app, version, digest, "commit", ci, created_at, created_by, files, bytes)
       values (?, 'shop', ?, ?, null, 'passed', ?, 'ci', 1, 1)`,
    );
    for (let k = 0; k < RELEASES; k++) rel.run(...(releaseRow(k) as string[]));
    const dep = db.prepare(
      `insert into deployments (${DEP_COLS}) values (?, 'shop', ?, ?, ?, 'canary', ?, null, 'alice', ?, ?, ?, ?, 1, ?)`,
    );
    for (let i = 0; i < N; i++) {
      const [id, env, release, from, status, at, end, state, kind] = deploymentRow(i, states) as (
        | string
        | null
      )[];
      dep.run(
        id ?? null,
        env ?? null,
        release ?? null,
        from ?? null,
        status ?? null,
        at ?? null,
        end ?? null,
        end ?? null,
        state ?? null,
        kind ?? null,
      );
    }
    db.exec('commit');
    // What a live store has done long since: statistics, and the write-ahead log folded in.
    db.exec('analyze');
    db.exec('pragma wal_checkpoint(truncate)');
    db.close();
    return;
  }
  const c = new pg.Client({ connectionString: storeUrl });
  await c.connect();
  const cols = (rows: unknown[][], n: number) => Array.from({ length: n }, (_, j) => rows.map((r) => r[j]));
  for (let k = 0; k < RELEASES; k += 5000) {
    const rows = Array.from({ length: Math.min(5000, RELEASES - k) }, (_, j) => releaseRow(k + j));
    await c.query(
      `insert into releases (id, app, version, digest, "commit", ci, created_at, created_by, files, bytes)
       select id, 'shop', v, d, null, 'passed', at, 'ci', 1, 1 from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t(id, v, d, at)`,
      cols(rows, 4),
    );
  }
  for (let i = 0; i < N; i += 5000) {
    const rows = Array.from({ length: Math.min(5000, N - i) }, (_, j) => deploymentRow(i + j, states));
    await c.query(
      `insert into deployments (${DEP_COLS})
       select id, 'shop', env, rel, frm, 'canary', st, null, 'alice', at, fin, fin, state, 1, rk
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         as t(id, env, rel, frm, st, at, fin, state, rk)`,
      cols(rows, 9),
    );
  }
  // What autovacuum does on a live store: statistics and the visibility map (index-only scans).
  await c.query('vacuum analyze deployments');
  await c.query('vacuum analyze releases');
  await c.end();
}
