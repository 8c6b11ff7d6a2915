/**
 * A release that carries migrations, deployed through the CLI with a real agent and a real
 * PostgreSQL: the migrate step runs (backup, expand migration) before any instance starts; a
 * migration that fails leaves the deployment failed with the statement and the error, and the
 * previous release serving; the fixed release then goes through.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, pgAvailable, query } from '../src/migrations/testing.ts';
import { repoRoot, serviceSkip, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const skip = serviceSkip(
  'PostgreSQL',
  await pgAvailable(),
  'start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres)',
);

describe('deploying releases with migrations', { skip }, () => {
  const dir = tempDir('slipway-mig-deploy-');
  let agent: ChildProcess | undefined;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const build = async (version: string, migrations: Record<string, string>) => {
    const folder = join(dir.path, 'b', version);
    cpSync(join(repoRoot, 'examples/shop/app'), folder, { recursive: true });
    writeFileSync(join(folder, 'VERSION'), version);
    // Only this test's files: not the example app's own migrations.
    rmSync(join(folder, 'migrations'), { recursive: true, force: true });
    mkdirSync(join(folder, 'migrations'), { recursive: true });
    for (const [n, s] of Object.entries(migrations)) writeFileSync(join(folder, 'migrations', n), s);
    const r = await cli(
      dir.path,
      'release',
      'create',
      '--version',
      version,
      '--ci',
      'passed',
      join('b', version),
    );
    assert.equal(r.code, 0, r.stderr);
  };
  const live = async () => {
    const status = JSON.parse((await cli(dir.path, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    return status.environments.find((e) => e.env === 'staging')?.release;
  };

  before(async () => {
    db = await freshDatabase();
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
migrations: { dir: migrations, database: DATABASE_URL }
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    config: { values: { DATABASE_URL: "${db.url}" } }
`,
    );
    agent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
      {
        cwd: dir.path,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve) =>
      agent?.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
  });
  after(async () => {
    const { connectLocalAgent } = await import('../src/agent/client.ts');
    await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
      .deleteEnv('staging')
      .catch(() => {});
    agent?.kill('SIGTERM');
    if (agent) await new Promise((r) => agent?.once('exit', r));
    dir.cleanup();
    await db?.drop();
  });

  const INIT =
    'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n';

  test('the migrate step runs before traffic moves; a failed migration keeps the previous release serving', async () => {
    await build('1.0.0', { '0001_init.sql': INIT });
    const first = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(await live(), '1.0.0');
    const id = JSON.parse((await cli(dir.path, '--json', 'history')).stdout)[0].id as string;
    const detail = JSON.parse((await cli(dir.path, '--json', 'history', '--id', id)).stdout);
    const kinds = (detail.steps as { kind: string }[]).map((s) => s.kind);
    assert.ok(
      kinds.indexOf('migrate') >= 0 && kinds.indexOf('migrate') < kinds.indexOf('start'),
      kinds.join(','),
    );
    assert.deepEqual((await query(db.url, 'SELECT name FROM slipway_migrations')).rows, [
      { name: '0001_init.sql' },
    ]);

    await build('2.0.0', {
      '0001_init.sql': INIT,
      '0002_status.sql':
        "ALTER TABLE orders ADD COLUMN status text;\nINSERT INTO orders (total) VALUES ('lots');\n",
    });
    const failed = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
    assert.notEqual(failed.code, 0);
    const text = failed.stdout + failed.stderr;
    assert.match(text, /0002_status\.sql:2:1: invalid input syntax for type numeric: "lots"/);
    assert.match(text, /statement: INSERT INTO orders \(total\) VALUES \('lots'\)/);
    assert.equal(await live(), '1.0.0', 'the previous release still serves');
    const cols = await query(
      db.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY 1",
    );
    assert.deepEqual(
      cols.rows.map((r) => r.column_name),
      ['id', 'total'],
    );

    await build('2.0.1', {
      '0001_init.sql': INIT,
      '0002_status.sql': 'ALTER TABLE orders ADD COLUMN status text;\n',
    });
    const fixed = await cli(dir.path, 'deploy', '2.0.1', '--env', 'staging');
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.equal(await live(), '2.0.1');
    assert.match(
      fixed.stdout,
      /✓ migrate \(staging: applied 0002_status\.sql \(expand, \d+ ms\) after backup \S+ .*expand only: a rollback is a plain traffic switch, no database restore needed\)/,
    );
    // And the rollback says so itself.
    const back = await cli(dir.path, 'rollback', 'staging');
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, /rolled back staging to 1\.0\.0 in [\d.]+ ms \(traffic switch/);
    assert.match(
      back.stdout,
      /the database keeps 0002_status\.sql \(expand migrations of 2\.0\.1\): 1\.0\.0 runs on the expanded schema, so no database restore is needed/,
    );
  });
});
