/**
 * API latency with a big store: 1,000 apps × 3 environments and 100,000 deployments with an audit
 * log of ~200,000 entries (start and end of each deployment, a measured rollback switch every 50th),
 * seeded with bulk inserts, on SQLite and on PostgreSQL. Measures the environments overview,
 * deployment history, one deployment's audit entries and the last rollback switch through real
 * HTTP on 127.0.0.1 (auth included: every request carries a bearer token), sequentially, and
 * prints p50/p95/p99 per route. Goal: p99 ≤ 50 ms each.
 *
 * Run: node bench/api-overview.ts [backends=sqlite,postgres] [requests=300] [only routes containing]
 * PostgreSQL: SLIPWAY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); a
 * database of its own is created and dropped.
 */
import { randomBytes } from 'node:crypto';
import { issueToken } from '../src/server/auth/tokens.ts';
import { startServer } from '../src/server/main.ts';
import { storeOnlyApp } from '../src/server/testing.ts';
import { auditHash, GENESIS_HASH } from '../src/store/audit-hash.ts';
import type { Store } from '../src/store/contract.ts';
import { openStore } from '../src/store/factory.ts';
import type { SqlStore } from '../src/store/sql/sql-store.ts';
import { BACKENDS } from '../src/store/testing.ts';

const wanted = (process.argv[2] ?? 'sqlite,postgres').split(',');
const REQUESTS = Number(process.argv[3] ?? 300);
const ONLY = process.argv[4] ?? '';
const APPS = 1000;
const ENVS = ['dev', 'staging', 'production'] as const;
const DEPLOYMENTS = 100_000;
const RELEASES_PER_APP = 5;
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'rolled_back', 'failed', 'aborted'];
const USERS = 40;
/** Every this many deployments, one environment's rollback was a measured traffic switch. */
const ROLLBACK_EVERY = 50;

/** A stored state the size of a real one (plan, timeline, context): ~2 KB of JSON. */
const STATE = JSON.stringify({
  engine: {
    plan: [
      { kind: 'preflight' },
      { kind: 'start', count: 2 },
      { kind: 'shift', weight: 5 },
      { kind: 'analysis', durationMs: 60000 },
      { kind: 'shift', weight: 100 },
      { kind: 'finalize' },
    ],
    status: 'succeeded',
    step: 6,
    weight: 100,
    timeline: Array.from({ length: 12 }, (_, i) => ({
      at: 1_700_000_000_000 + i * 1000,
      what: `done: step ${i} of the plan`,
    })),
  },
  ctx: {
    app: 'x',
    env: 'y',
    vars: { LOG_LEVEL: 'info', GREETING: 'hello' },
    listen: { host: '127.0.0.1', port: 8080 },
  },
});

async function seed(store: Store): Promise<void> {
  const db = (store as SqlStore).db;
  const t0 = performance.now();
  const app = (i: number) => `app-${String(i).padStart(4, '0')}`;
  const releaseId = (a: number, r: number) => `rel-${a}-${r}`;
  const releases = [];
  for (let a = 0; a < APPS; a++)
    for (let r = 0; r < RELEASES_PER_APP; r++)
      releases.push({
        id: releaseId(a, r),
        app: app(a),
        version: `1.${r}.0`,
        digest: `sha256:${randomBytes(32).toString('hex')}`,
        commit: null,
        ci: 'passed',
        created_at: new Date(Date.UTC(2026, 0, 1) + r * 86_400_000).toISOString(),
        created_by: 'ci',
        files: 10,
        bytes: 1000,
        notes: null,
      });
  for (let i = 0; i < releases.length; i += 500)
    await db
      .insertInto('releases')
      .values(releases.slice(i, i + 500))
      .execute();
  const envRows = [];
  for (let a = 0; a < APPS; a++)
    for (const [e, env] of ENVS.entries())
      envRows.push({
        app: app(a),
        name: env,
        release_id: releaseId(a, RELEASES_PER_APP - 1 - e),
        previous_release_id: releaseId(a, Math.max(0, RELEASES_PER_APP - 2 - e)),
        updated_at: new Date(Date.UTC(2026, 5, 1) + a * 60_000).toISOString(),
        updated_by: `user${a % USERS}`,
      });
  for (let i = 0; i < envRows.length; i += 500)
    await db
      .insertInto('environments')
      .values(envRows.slice(i, i + 500))
      .execute();
  const start = Date.UTC(2025, 0, 1);
  const batch = 1000;
  // A valid hash chain, so the seeded log is one `slipway audit verify` accepts.
  const chain = { seq: 0, hash: GENESIS_HASH };
  const entry = (at: string, actor: string, action: string, target: string, data: unknown) => {
    const base = { seq: chain.seq + 1, at, actor, action, target, data, prevHash: chain.hash };
    const hash = auditHash(base);
    Object.assign(chain, { seq: base.seq, hash });
    const { prevHash, ...row } = base;
    return { ...row, data: JSON.stringify(data), prev_hash: prevHash, hash };
  };
  let audited = 0;
  for (let i = 0; i < DEPLOYMENTS; i += batch) {
    const rows = [];
    const audit = [];
    for (let j = i; j < Math.min(DEPLOYMENTS, i + batch); j++) {
      const a = j % APPS;
      const at = new Date(start + j * 300_000).toISOString();
      const status = j >= DEPLOYMENTS - 5 ? 'running' : (STATUSES[j % STATUSES.length] as string);
      const d = {
        id: `dep-${String(j).padStart(7, '0')}`,
        app: app(a),
        env: ENVS[(j >> 3) % 3] as string,
        release_id: releaseId(a, j % RELEASES_PER_APP),
        from_release_id: releaseId(a, (j + 1) % RELEASES_PER_APP),
        strategy: 'canary',
        status,
        reason: status === 'rolled_back' ? 'error rate 7.1% above 5% for 2m' : null,
        created_by: `user${j % USERS}`,
        created_at: at,
        updated_at: at,
        finished_at: status === 'running' ? null : at,
        state: STATE,
        revision: 5,
      };
      rows.push(d);
      const data = { env: d.env, release: d.release_id };
      audit.push(entry(at, d.created_by, 'deployment.start', d.id, data));
      if (status !== 'running') audit.push(entry(at, d.created_by, `deployment.${status}`, d.id, data));
      if (j % ROLLBACK_EVERY === ROLLBACK_EVERY - 1)
        audit.push(
          entry(at, d.created_by, 'environment.rollback', `${d.app}/${ENVS[j % 3]}`, {
            to: '1.0.0',
            from: d.from_release_id,
            switchMs: 1 + (j % 17) / 10,
            reason: 'bench',
          }),
        );
    }
    await db.insertInto('deployments').values(rows).execute();
    for (let k = 0; k < audit.length; k += 500)
      await db
        .insertInto('audit')
        .values(audit.slice(k, k + 500))
        .execute();
    audited += audit.length;
  }
  console.log(
    `  seeded ${APPS} apps × ${ENVS.length} envs, ${releases.length} releases, ${DEPLOYMENTS} deployments, ${audited} audit entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function measure(url: string, token: string, path: string): Promise<string> {
  const get = async () => {
    const t0 = performance.now();
    const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${body.slice(0, 200)}`);
    return { ms: performance.now() - t0, bytes: body.length };
  };
  for (let i = 0; i < Math.min(20, REQUESTS); i++) await get();
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const r = await get();
    times.push(r.ms);
    bytes = r.bytes;
  }
  times.sort((a, b) => a - b);
  const p99 = pct(times, 99);
  return `  ${path.padEnd(52)} p50 ${pct(times, 50).toFixed(1).padStart(6)}  p95 ${pct(times, 95).toFixed(1).padStart(6)}  p99 ${p99.toFixed(1).padStart(6)} ms  ${(bytes / 1024).toFixed(0).padStart(4)} KiB  ${p99 <= 50 ? 'ok' : 'OVER 50 ms'}`;
}

const ROUTES = [
  '/api/environments',
  '/api/environments?limit=1000',
  '/api/environments?app=app-0420',
  '/api/deployments',
  '/api/deployments?env=production',
  '/api/deployments?status=rolled_back',
  '/api/deployments?by=user7',
  '/api/deployments?app=app-0042&env=staging',
  `/api/deployments?before=${encodeURIComponent('2025-06-01T00:00:00.000Z')}`,
  '/api/deployments/dep-0050000/audit',
  '/api/rollback-speed',
  '/api/rollback-speed?env=staging',
  // No rollback there: every switch of the other environments is looked at.
  '/api/rollback-speed?env=qa',
];

for (const backend of BACKENDS.filter((b) => wanted.includes(b.name))) {
  const skip = await backend.skip().catch((e: Error) => e.message);
  if (skip) {
    console.log(`${backend.name}: skipped (${skip})`);
    continue;
  }
  console.log(`${backend.name}:`);
  const { url: storeUrl, cleanup } = await backend.fresh();
  const store = await openStore(storeUrl, process.cwd());
  try {
    await seed(store);
    await store.putUser('bench', 'bench');
    await store.setGrant({ user: 'bench', env: '*', role: 'viewer' }, true);
    const { secret } = await issueToken(store, {
      user: 'bench',
      name: 'bench',
      expiresInDays: 1,
      by: 'bench',
    });
    const server = await startServer({
      store,
      config: null,
      app: storeOnlyApp(store),
      port: 0,
      resume: false,
    });
    try {
      for (const path of ROUTES.filter((r) => r.includes(ONLY)))
        console.log(await measure(server.url, secret, path));
    } finally {
      await server.close();
    }
  } finally {
    await store.close();
    await cleanup();
  }
}
