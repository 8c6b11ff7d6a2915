/**
 * Migrations against a real PostgreSQL through the CLI: apply with a backup first, idempotent
 * re-runs, a failing statement that leaves nothing behind, a killed migration, retries on lock
 * timeout, contract refusals, and the one-line errors for a bad database URL.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { cli } from '../../test/cli-helpers.ts';
import { openStore } from '../store/factory.ts';
import { repoRoot, serviceSkip } from '../testing.ts';
import { freshDatabase, migrationsProject, pgAvailable, query } from './testing.ts';

const skip = serviceSkip(
  'PostgreSQL',
  await pgAvailable(),
  'start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres)',
);
const INIT =
  'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\nINSERT INTO orders (total) SELECT g FROM generate_series(1, 500) g;\n';

async function release(dir: string, version: string) {
  const r = await cli(dir, 'release', 'create', '--version', version, '.');
  assert.equal(r.code, 0, r.stderr);
}

const columns = async (url: string) =>
  (
    await query(
      url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY 1",
    )
  ).rows.map((r) => r.column_name);

test('apply backs up first, applies in order, and a second run skips what is applied', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, {
    '0001_init.sql': INIT,
    '0002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
  });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  await release(p.path, '1.0.0');
  const first = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0');
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /applied 0001_init\.sql \(expand, \d+ ms\), 0002_note\.sql \(expand, \d+ ms\) after backup \S+/,
  );
  assert.match(first.stdout, /expand only: a rollback is a plain traffic switch, no database restore needed/);
  const again = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0');
  assert.equal(again.code, 0);
  assert.match(again.stdout, /no pending migrations \(2 applied\)/);
  const rows = (await query(db.url, 'SELECT name, release FROM slipway_migrations ORDER BY name')).rows;
  assert.deepEqual(rows, [
    { name: '0001_init.sql', release: '1.0.0' },
    { name: '0002_note.sql', release: '1.0.0' },
  ]);
  const backups = await cli(p.path, '--json', 'db', 'backups', 'staging');
  assert.equal(JSON.parse(backups.stdout).length, 1, 'one backup, taken before the first run only');
});

test('a failing statement names the file, line, statement and error; nothing of the file is kept; re-run after the fix', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  p.write(
    '0002_bad.sql',
    "ALTER TABLE orders ADD COLUMN status text;\nINSERT INTO orders (total) VALUES ('not a number');\n",
  );
  await release(p.path, '1.0.0');
  const r = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0');
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /MIGRATION_FAILED.*0002_bad\.sql:2:1: invalid input syntax for type numeric: "not a number" \(SQLSTATE 22P02\); nothing of 0002_bad\.sql was kept/,
  );
  assert.match(r.stderr, /statement: INSERT INTO orders \(total\) VALUES \('not a number'\)/);
  assert.deepEqual(await columns(db.url), ['id', 'total'], 'the ADD COLUMN was rolled back with the file');
  p.write('0002_bad.sql', 'ALTER TABLE orders ADD COLUMN status text;\n');
  await release(p.path, '1.0.1');
  const fixed = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.1');
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(await columns(db.url), ['id', 'status', 'total']);
});

test('a killed migration leaves nothing applied, and the next run applies it once', { skip }, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  p.write('0002_slow.sql', 'ALTER TABLE orders ADD COLUMN slow text;\nSELECT pg_sleep(2);\n');
  await release(p.path, '1.0.0');
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      join(repoRoot, 'bin/slipway.js'),
      'migrations',
      'apply',
      '--env',
      'staging',
      '--release',
      '1.0.0',
    ],
    { cwd: p.path, stdio: 'ignore' },
  );
  t.after(() => child.kill('SIGKILL'));
  // Kill it while its transaction sleeps, after the ADD COLUMN.
  for (let i = 0; i < 200; i++) {
    const busy = await query(
      db.url,
      "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'",
    );
    if (busy.rowCount) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  // The server ends the dead client's transaction (rolled back) once the sleep returns.
  for (let i = 0; i < 100; i++) {
    const left = await query(db.url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
    if (!left.rowCount) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const applied = (await query(db.url, 'SELECT name FROM slipway_migrations ORDER BY name')).rows.map(
    (r) => r.name,
  );
  assert.deepEqual(applied, ['0001_init.sql'], 'the killed file is not recorded');
  assert.deepEqual(await columns(db.url), ['id', 'total'], 'and none of its changes stayed');
  const rerun = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0');
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /applied 0002_slow\.sql/);
  assert.deepEqual(await columns(db.url), ['id', 'slow', 'total']);
});

test('a lock timeout is retried with backoff, then reported with the statement', { skip }, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  const holder = new pg.Client({ connectionString: db.url });
  t.after(async () => {
    await holder.end().catch(() => {});
    p.cleanup();
    await db.drop();
  });
  await release(p.path, '1.0.0');
  assert.equal((await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0')).code, 0);
  p.write('0002_col.sql', 'ALTER TABLE orders ADD COLUMN c text;\n');
  await release(p.path, '1.1.0');
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT * FROM orders LIMIT 1'); // ACCESS SHARE until the end of this transaction
  const r = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.1.0');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /0002_col\.sql: canceling statement due to lock timeout.*retry 1 of 2/);
  assert.match(
    r.stderr,
    /0002_col\.sql:1:1: canceling statement due to lock timeout \(SQLSTATE 55P03\) after 3 attempts/,
  );
  await holder.query('COMMIT');
  const ok = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.1.0');
  assert.equal(ok.code, 0, ok.stderr);
});

test('unsafe migrations are refused before anything runs; an inline allow with a reason lets them through', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, {
    '0001_init.sql': INIT,
    '0002_idx.sql': 'CREATE INDEX orders_total_idx ON orders (total);\n',
  });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  await release(p.path, '1.0.0');
  const r = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0');
  assert.equal(r.code, 3);
  assert.match(
    r.stderr,
    /MIGRATION_REFUSED.*staging: 1 unsafe finding\(s\) in the pending migrations; nothing ran/,
  );
  assert.match(r.stderr, /0002_idx\.sql:1:1 create-index/);
  const none = await query(db.url, "SELECT to_regclass('orders') AS t");
  assert.equal(none.rows[0].t, null, 'not even the safe first file ran');
  p.write(
    '0002_idx.sql',
    '-- slipway:allow create-index because orders holds 500 rows\nCREATE INDEX orders_total_idx ON orders (total);\n',
  );
  await release(p.path, '1.0.1');
  const ok = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.1');
  assert.equal(ok.code, 0, ok.stderr);
});

test('a contract migration is refused while the live or rollback-target release predates the one it names', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, {
    '0001_init.sql': INIT,
    '0002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
  });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  await release(p.path, '1.0.0');
  assert.equal((await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0')).code, 0);
  const store = await openStore(undefined, p.path);
  const setLive = async (v: string) => {
    const r = await store.findRelease('shop', v);
    await store.setEnvironmentRelease('shop', 'staging', r?.id ?? null, 'test');
  };
  try {
    await setLive('1.0.0');
    // 2.0.0 stops reading note; 3.0.0 drops it.
    p.write('0003_drop_note.sql', 'ALTER TABLE orders DROP COLUMN note;\n');
    await release(p.path, '3.0.0-unmarked');
    const unmarked = await cli(
      p.path,
      'migrations',
      'apply',
      '--env',
      'staging',
      '--release',
      '3.0.0-unmarked',
    );
    assert.equal(unmarked.code, 3);
    assert.match(
      unmarked.stderr,
      /0003_drop_note\.sql:1:1 drop-column: .*slipway:contract-after THAT_RELEASE/,
    );
    // Accepted inline but not marked: still refused, since nobody said which releases stopped using it.
    p.write(
      '0003_drop_note.sql',
      '-- slipway:allow drop-column because nobody reads it\nALTER TABLE orders DROP COLUMN note;\n',
    );
    await release(p.path, '3.0.0-allowed');
    const allowed = await cli(
      p.path,
      'migrations',
      'apply',
      '--env',
      'staging',
      '--release',
      '3.0.0-allowed',
    );
    assert.equal(allowed.code, 3);
    assert.match(
      allowed.stderr,
      /0003_drop_note\.sql is a contract migration .* add `-- slipway:contract-after VERSION`/,
    );
    p.remove('0003_drop_note.sql');
    await release(p.path, '2.0.0');
    p.write('0003_drop_note.sql', '-- slipway:contract-after 2.0.0\nALTER TABLE orders DROP COLUMN note;\n');
    await release(p.path, '3.0.0');
    // The deployment's expand phase holds the contract file back instead of running it.
    const held = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '3.0.0');
    assert.equal(held.code, 0, held.stderr);
    assert.match(
      held.stdout,
      /held for the contract phase: 0003_drop_note\.sql .*slipway migrations contract staging/,
    );
    // A release whose expand file sits behind that held contract would start without its schema.
    p.write('0004_add_code.sql', 'ALTER TABLE orders ADD COLUMN code int;\n');
    await release(p.path, '3.1.0');
    p.remove('0004_add_code.sql');
    const stuck = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '3.1.0');
    assert.equal(stuck.code, 3, stuck.stderr);
    assert.match(
      stuck.stderr,
      /0004_add_code\.sql \(expand\) comes after the contract migration 0003_drop_note\.sql, which waits for its own go/,
    );
    assert.ok(!(await columns(db.url)).includes('code'), 'nothing ran');
    const contract = (...extra: string[]) => cli(p.path, 'migrations', 'contract', 'staging', ...extra);
    const notLive = await contract('--approve');
    assert.equal(notLive.code, 3);
    assert.match(notLive.stderr, /live release 1\.0\.0 holds no pending contract migration/);
    await setLive('3.0.0'); // 1.0.0 is now the rollback target
    const early = await contract('--approve', '--reason', 'too soon');
    assert.equal(early.code, 3);
    assert.match(
      early.stderr,
      /staging's rollback-target release 1\.0\.0 predates 2\.0\.0: it still needs the old schema/,
    );
    const shown = await contract();
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /holds 0003_drop_note\.sql \(contract\); may not run yet: .*rollback-target release 1\.0\.0/,
    );
    await setLive('2.0.0');
    await setLive('3.0.0'); // 3.0.0 live, 2.0.0 the rollback target
    assert.match(
      (await contract()).stdout,
      /may run: approve with `slipway migrations contract staging --approve`/,
    );
    const ok = await contract('--approve', '--reason', '3.0.0 verified for a day');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /0003_drop_note\.sql \(contract.*a rollback needs `slipway db restore staging --to \S+`/,
    );
    const cols = await query(
      db.url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'",
    );
    assert.ok(!cols.rows.some((r) => r.column_name === 'note'), 'the contract migration ran');
    const audit = await store.listAudit();
    const approved = audit.find((a) => a.action === 'migrations.contract.approved');
    assert.equal((approved?.data as { reason?: string })?.reason, '3.0.0 verified for a day');
    assert.ok(
      (approved?.seq ?? 0) < (audit.findLast((a) => a.action === 'migrations.applied')?.seq ?? 0),
      'the go is recorded before the run',
    );
    assert.equal(
      audit.filter((a) => a.action === 'migrations.contract.approved').length,
      1,
      'refusals record no go',
    );
    assert.match((await contract()).stdout, /holds no pending contract migration/);
  } finally {
    await store.close();
  }
});

test('a bad database URL is one line naming the environment, the key and the fix', { skip }, async (t) => {
  const db = await freshDatabase();
  const cases: [string, RegExp][] = [
    [
      'postgres://postgres@127.0.0.1:1/x',
      /staging: the database in DATABASE_URL \(postgres:\/\/postgres@127\.0\.0\.1:1\/x\) cannot be reached \(ECONNREFUSED\); check the host and port in DATABASE_URL for staging/,
    ],
    [
      `${db.url}_missing`,
      /staging: the database in DATABASE_URL .* does not exist .*; create it, or fix the database name in DATABASE_URL for staging/,
    ],
    ['mysql://root@127.0.0.1/x', /staging: DATABASE_URL is not a PostgreSQL URL/],
  ];
  t.after(() => db.drop());
  for (const [url, message] of cases) {
    const p = migrationsProject(url, { '0001_init.sql': INIT });
    try {
      const r = await cli(p.path, 'migrations', 'status', 'staging');
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    } finally {
      p.cleanup();
    }
  }
});

test('an environment without a database URL is told which key to set and how', async (t) => {
  const p = migrationsProject('x', {});
  t.after(p.cleanup);
  writeFileSync(
    join(p.path, 'slipway.yaml'),
    'app: shop\nrun: { command: node server.js }\nmigrations: { dir: migrations }\nenvironments: { staging: {} }\n',
  );
  const r = await cli(p.path, 'migrations', 'status', 'staging');
  assert.equal(r.code, 4);
  assert.match(
    r.stderr,
    /staging: DATABASE_URL has no value, and migrations\.database names it as the database URL; set it with `slipway config set staging DATABASE_URL postgres:\/\/USER@HOST:5432\/DB`/,
  );
});

test('wrong credentials and a missing pg_dump are named with the fix', { skip }, async (t) => {
  const db = await freshDatabase();
  const role = `${db.name}_user`;
  await query(db.url, `CREATE ROLE ${role} LOGIN PASSWORD 'right'`);
  t.after(async () => {
    await db.drop();
    await query(db.url.replace(/\/[^/]*$/, '/postgres'), `DROP ROLE IF EXISTS ${role}`);
  });
  // Trust auth lets any password in here; a role that may not log in is refused the same way wrong credentials are.
  await query(db.url, `ALTER ROLE ${role} NOLOGIN`);
  const u = new URL(db.url);
  u.username = role;
  u.password = 'secret-pw';
  const p = migrationsProject(u.toString(), { '0001_init.sql': INIT });
  t.after(p.cleanup);
  const r = await cli(p.path, 'migrations', 'status', 'staging');
  assert.equal(r.code, 4);
  assert.match(
    r.stderr,
    /staging: the database in DATABASE_URL \(postgres:\/\/\S+:\*\*\*@.*\) refuses the credentials .*; fix the user or password in DATABASE_URL for staging/,
  );
  assert.doesNotMatch(r.stderr, /secret-pw/);
  const q = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(q.cleanup);
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    const r2 = await cli(q.path, 'db', 'backup', 'staging');
    assert.equal(r2.code, 4);
    assert.match(r2.stderr, /staging: pg_dump is not installed, .* install the postgresql-client package/);
  } finally {
    process.env.PATH = path;
  }
});
