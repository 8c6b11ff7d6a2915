/**
 * Issue 20 · c: DORA over 100,000 deployments (SQLite): `doraFromStore` (what `GET /api/metrics/dora` and
 * `slipway metrics dora` run) p50/p99 over a 90-day and a 14-day window, beside a peer measured in the
 * same run: one page of history (`listDeployments`, 50 rows). Goal: p99 ≤ 50 ms.
 * Run: node_modules/.bin/node bench/dora.ts [count]
 */

import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { doraFromStore } from '../src/metrics/dora-read.ts';
import { seedState } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';

const N = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;
const dir = tempDir('slipway-bench-dora-');
const file = join(dir.path, 'slipway.db');
const store = await openStore(file, dir.path);
const { release } = await store.putRelease({
  app: 'shop',
  version: '1.0.0',
  digest: `sha256:${'a'.repeat(64)}`,
  commit: null,
  ci: 'passed',
  createdBy: 'ci',
  files: 1,
  bytes: 1,
  notes: null,
});
const state = JSON.stringify(seedState('shop', 'production', release));
const db = new DatabaseSync(file);
const now = Date.now();
const insert = db.prepare(
  `insert into deployments (id, app, env, release_id, from_release_id, strategy, status, reason, created_by,
   created_at, updated_at, finished_at, state, revision) values (?, 'shop', ?, ?, null, 'canary', ?, null, 'alice', ?, ?, ?, ?, 1)`,
);
const t0 = performance.now();
db.exec('begin');
for (let i = 0; i < N; i++) {
  // Spread over a year, 4 environments; 1 in 10 rolled back, 1 in 50 failed.
  const at = new Date(now - Math.floor((i / N) * 365 * DAY)).toISOString();
  const end = new Date(Date.parse(at) + 600_000).toISOString();
  const status = i % 50 === 0 ? 'failed' : i % 10 === 0 ? 'rolled_back' : 'succeeded';
  insert.run(
    `dep-${i}`,
    ['production', 'staging', 'dev', 'qa'][i % 4] as string,
    release.id,
    status,
    at,
    end,
    end,
    state,
  );
}
db.exec('commit');
db.close();
const seedMs = performance.now() - t0;

async function measure(runs: number, work: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await work();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) =>
    times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] as number;
  return { p50: at(50), p99: at(99) };
}

const peer = await measure(50, () => store.listDeployments({ app: 'shop', env: 'production', limit: 50 }));
const d90 = await measure(20, () =>
  doraFromStore(store, { app: 'shop', env: 'production', sinceMs: 90 * DAY }),
);
const d14 = await measure(20, () =>
  doraFromStore(store, { app: 'shop', env: 'production', sinceMs: 14 * DAY }),
);
const inWindow = Math.round((N / 4) * (90 / 365));
const fmt = (x: number) => x.toFixed(1);
console.log(`seeded ${N} deployments in ${fmt(seedMs)} ms (production in 90 days ≈ ${inWindow})`);
console.log('| measure | p50 ms | p99 ms | × peer p99 | goal p99 ≤ 50 ms |');
console.log('|---|---|---|---|---|');
console.log(`| history page (peer) | ${fmt(peer.p50)} | ${fmt(peer.p99)} | 1 | |`);
for (const [name, m] of [
  ['DORA, 90 days', d90],
  ['DORA, 14 days', d14],
] as const)
  console.log(
    `| ${name} | ${fmt(m.p50)} | ${fmt(m.p99)} | ${fmt(m.p99 / peer.p99)} | ${m.p99 <= 50 ? 'met' : 'NOT met'} |`,
  );
await store.close();
dir.cleanup();
