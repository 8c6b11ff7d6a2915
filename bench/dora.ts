/**
 * Issue 20 · c: DORA over 100,000 deployments, through the real API (`GET /api/metrics/dora`, what
 * `slipway metrics dora` asks a server) on SQLite and on PostgreSQL: p50/p99 over a 90-day and a
 * 14-day window, beside a peer measured in the same run on the same server: one page of history
 * (`GET /api/deployments`, 50 rows). Goal: p99 ≤ 50 ms.
 * Run: node_modules/.bin/node bench/dora.ts [count]   (BENCH_BACKENDS=sqlite or postgres to narrow)
 */

import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { seedState, startTestServer } from '../src/server/testing.ts';
import { BACKENDS } from '../src/store/testing.ts';

const N = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;
const ENVS = ['production', 'staging', 'dev', 'qa'];
const RELEASES = Math.ceil(N / 10);
const now = Date.now();

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

async function seed(kind: string, storeUrl: string, states: { plain: string; rollback: string }) {
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

async function measure(
  runs: number,
  work: () => Promise<unknown>,
): Promise<{ p50: number; p99: number; cpu: number }> {
  const times: number[] = [];
  // This process's CPU (client and server both run here; PostgreSQL's own is not in it).
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await work();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) =>
    times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] as number;
  const cpu = process.cpuUsage(cpu0);
  return { p50: at(50), p99: at(99), cpu: (cpu.user + cpu.system) / 1000 / runs };
}

const fmt = (x: number) => x.toFixed(1);
const only = process.env.BENCH_BACKENDS?.split(',');
console.log(
  `${N} deployments (production in 90 days ≈ ${Math.round((N / 4) * (90 / 365))}), ${RELEASES} releases`,
);
console.log('| store | measure | p50 ms | p99 ms | CPU ms / request | × peer p99 | goal p99 ≤ 50 ms |');
console.log('|---|---|---|---|---|---|---|');
for (const backend of BACKENDS) {
  if (only && !only.includes(backend.name)) continue;
  const skip = await backend.skip();
  if (skip) {
    console.log(`| ${backend.name} | skipped: ${skip} | | | | | |`);
    continue;
  }
  const server = await startTestServer(backend);
  try {
    const release = { id: 'rel-0', version: '1.0.0', digest: `sha256:${'0'.repeat(64)}` };
    const plain = seedState('shop', 'production', release);
    const states = {
      plain: JSON.stringify(plain),
      rollback: JSON.stringify({ ...plain, rollback: { reason: 'bench', by: 'alice', kind: 'redeploy' } }),
    };
    const t0 = performance.now();
    await seed(backend.name, server.storeUrl, states);
    const seedMs = performance.now() - t0;
    const get = async (path: string) => {
      const res = await server.request(path, { token: server.admin });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const q = (since: string) => `/api/metrics/dora?app=shop&env=production&since=${since}`;
    const check = (await get(q('90d'))) as { changeFailure: { changes: number } };
    // Warm both paths once, then alternate so load on the machine falls on both alike.
    await get('/api/deployments?app=shop&env=production&limit=50');
    const peer = await measure(100, () => get('/api/deployments?app=shop&env=production&limit=50'));
    const d90 = await measure(100, () => get(q('90d')));
    const d14 = await measure(100, () => get(q('14d')));
    console.error(
      `${backend.name}: seeded in ${fmt(seedMs)} ms; 90 days: ${check.changeFailure.changes} changes`,
    );
    console.log(
      `| ${backend.name} | history page (peer) | ${fmt(peer.p50)} | ${fmt(peer.p99)} | ${fmt(peer.cpu)} | 1 | |`,
    );
    for (const [name, m] of [
      ['DORA, 90 days', d90],
      ['DORA, 14 days', d14],
    ] as const)
      console.log(
        `| ${backend.name} | ${name} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.cpu)} | ${fmt(m.p99 / peer.p99)} | ${m.p99 <= 50 ? 'met' : 'NOT met'} |`,
      );
  } finally {
    await server.close();
  }
}
