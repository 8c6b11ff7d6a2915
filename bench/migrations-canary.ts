/**
 * Issue 16 · d: under continuous HTTP load on the example shop (reading its products from
 * PostgreSQL), a canary deployment whose release brings an expand migration — goal: 0 failed
 * requests. Peer in the same run: the same canary without a migration (the release after it), so
 * what the migration step adds shows beside what a canary costs anyway. Everything is real: the
 * agent and its builtin router as processes, `slipway deploy` from the CLI, the shop's instances,
 * PostgreSQL with BENCH_ROWS products (the expand migration is the shop's 0002: ADD COLUMN with a
 * constant default, preceded by slipway's backup of the database).
 *
 *   node_modules/.bin/node bench/migrations-canary.ts              # 1,000,000 rows, ~2 min
 *   BENCH_ROWS=100000 BENCH_CLIENTS=16 node_modules/.bin/node bench/migrations-canary.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { vendor } from '../scripts/vendor.ts';
import { createAgentClient } from '../src/agent/client.ts';
import { isFailure, streamLoad } from './stream-load.ts';

const root = join(import.meta.dirname, '..');
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const db = `bench_mig_canary_${process.pid}`;
const project = mkdtempSync(join(tmpdir(), 'slipway-bench-mig-'));
const children = new Set<ChildProcess>();

async function admin(sql: string, url = PG_URL): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
const dbUrl = (() => {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
})();

const CONFIG = `app: shop
migrations: { dir: migrations, database: DATABASE_URL }
run:
  command: node server.js
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 20s }
  instances: 2
  stopTimeout: 3s
environments:
  production:
    config: { values: { DATABASE_URL: "${dbUrl}" } }
    profile: fast
    strategy:
      canary:
        stickiness: header:x-user-id
        steps: [{ weight: 10, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 4s } }, { weight: 100 }]
    watch: 3s
`;

function slipway(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), ...args],
      { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIPWAY_USER: '' } },
    );
    children.add(child);
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.stderr?.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      resolve({ code: code ?? 1, out });
    });
  });
}
async function must(args: string[]): Promise<string> {
  const r = await slipway(args);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

function build(version: string, migrations: readonly string[]): string {
  const dir = join(project, 'builds', version);
  cpSync(join(root, 'examples/shop/app'), dir, { recursive: true });
  writeFileSync(join(dir, 'VERSION'), `${version}\n`);
  for (const f of readdirSync(join(dir, 'migrations')))
    if (!migrations.includes(f)) rmSync(join(dir, 'migrations', f));
  vendor(dir, 'pg');
  return dir;
}

async function startAgent(): Promise<void> {
  const agent = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(root, 'bin/slipway.js'), 'agent'],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(agent);
  await new Promise<void>((resolve, reject) => {
    agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve());
    agent.on('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
  });
}

/** The agent's admin API (as the demo reads it): the environment's port, and removing it at the end. */
function agentClient() {
  const stateDir = join(project, '.slipway', 'agent');
  const info = JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8'));
  return createAgentClient({
    url: info.url,
    token: readFileSync(join(stateDir, 'agent.token'), 'utf8').trim(),
  });
}
async function port(): Promise<number> {
  return (await agentClient().status('production')).listen.port;
}

async function canaryUnderLoad(version: string, url: string) {
  const load = streamLoad(url, {
    concurrency: CLIENTS,
    header: 'x-shop-version',
    headersFor: (i) => ({ 'x-user-id': `u${i % 100}` }),
  });
  await new Promise((r) => setTimeout(r, 1000));
  const started = performance.now();
  const out = await must(['deploy', version, '--env', 'production']);
  const deployMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1000));
  const samples = await load.stop();
  const failed = samples.filter(isFailure);
  const migrate = /✓ migrate \((.*)\)$/m.exec(out)?.[1] ?? 'none';
  return {
    version,
    requests: samples.length,
    failed: failed.length,
    byNew: samples.filter((s) => s.side === version).length,
    deployS: (deployMs / 1000).toFixed(1),
    migrate,
    errors: [...new Set(failed.map((s) => s.error ?? String(s.status)))].join(', ') || '-',
  };
}

async function cleanup(): Promise<void> {
  await Promise.resolve()
    .then(() => agentClient().deleteEnv('production'))
    .catch(() => {});
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(project, { recursive: true, force: true });
  await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
}

try {
  await admin(`CREATE DATABASE ${db}`);
  writeFileSync(join(project, 'slipway.yaml'), CONFIG);
  await startAgent();
  await must([
    'release',
    'create',
    '--version',
    '1.0.0',
    '--ci',
    'passed',
    build('1.0.0', ['0001_products.sql']),
  ]);
  const expand = ['0001_products.sql', '0002_products_stock.sql'];
  await must(['release', 'create', '--version', '2.0.0', '--ci', 'passed', build('2.0.0', expand)]);
  await must(['release', 'create', '--version', '2.0.1', '--ci', 'passed', build('2.0.1', expand)]);
  await must(['deploy', '1.0.0', '--env', 'production']);
  const seedStart = performance.now();
  await admin(
    `INSERT INTO products (id, name, price, note) SELECT g, 'item ' || g, g % 100, NULL FROM generate_series(3, ${ROWS + 2}) g; ANALYZE products`,
    dbUrl,
  );
  process.stdout.write(
    `seeded ${ROWS.toLocaleString('en')} products in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`,
  );
  const url = `http://127.0.0.1:${await port()}/api/products`;
  const withMigration = await canaryUnderLoad('2.0.0', url);
  const peer = await canaryUnderLoad('2.0.1', url);
  const rows = [withMigration, peer].map(
    (r, i) =>
      `| ${r.version} ${i === 0 ? '(expand migration + canary)' : '(canary only, peer)'} | ${r.requests.toLocaleString('en')} | ${r.byNew.toLocaleString('en')} | **${r.failed}** | ${r.deployS} s | ${r.errors} |`,
  );
  process.stdout.write(
    [
      '',
      `${CLIENTS} clients, closed loop, no retries; ${ROWS.toLocaleString('en')} products; canary 10% → 50% → 100% (fast profile)`,
      '',
      '| deployment | requests | answered by the new release | failed | deploy took | failures |',
      '|---|---:|---:|---:|---:|---|',
      ...rows,
      '',
      `migrate step: ${withMigration.migrate}`,
      '',
    ].join('\n'),
  );
  if (withMigration.failed > 0) process.exitCode = 1;
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
