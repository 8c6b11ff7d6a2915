/**
 * Backups and restores of a real PostgreSQL database through the CLI: checksummed dumps, keep
 * the last N, restore into a new database then swap with every table verified, a tampered dump
 * refused with the live database untouched, and a rehearsal that ticks "migrations tested".
 */
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../../test/cli-helpers.ts';
import { openStore } from '../store/factory.ts';
import { hasBinary, serviceSkip } from '../testing.ts';
import { rehearsalTarget } from './audit.ts';
import { freshDatabase, migrationsProject, pgAvailable, query } from './testing.ts';

const skip = serviceSkip(
  'PostgreSQL with pg_dump',
  (await pgAvailable()) && hasBinary('pg_dump') && hasBinary('pg_restore'),
  'start PostgreSQL on 127.0.0.1:5432 and install postgresql-client',
);
const INIT =
  'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL, note text);\n' +
  "INSERT INTO orders (total, note) SELECT g, 'n' || g FROM generate_series(1, 2000) g;\n" +
  "CREATE TABLE shops (id int PRIMARY KEY, name text);\nINSERT INTO shops VALUES (1, 'o''brien'), (2, NULL);\n";

test('backup, damage, restore: every row comes back, verified per table, the replaced database kept', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  assert.equal((await cli(p.path, 'release', 'create', '--version', '1.0.0', '.')).code, 0);
  assert.equal((await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0')).code, 0);
  const b = await cli(p.path, '--json', 'db', 'backup', 'staging');
  assert.equal(b.code, 0, b.stderr);
  const backup = JSON.parse(b.stdout);
  assert.match(backup.sha256, /^[0-9a-f]{64}$/);
  assert.equal(backup.tables['public.orders'].rows, 2000);
  assert.equal(backup.tables['public.shops'].rows, 2);
  // The damage a bad migration or a mistake does.
  await query(db.url, 'DELETE FROM orders WHERE id > 1500; UPDATE shops SET name = NULL');
  const r = await cli(p.path, 'db', 'restore', 'staging', '--to', backup.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /restored \S+ into slipway_mig_\w+: 3 tables, 2003 rows, every table's count and checksum verified/,
  );
  const kept = /kept as (\S+)/.exec(r.stdout)?.[1] as string;
  assert.equal((await query(db.url, 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 2000);
  assert.equal((await query(db.url, 'SELECT name FROM shops WHERE id = 1')).rows[0].name, "o'brien");
  const old = db.url.replace(/\/[^/]+$/, `/${kept}`);
  assert.equal(
    (await query(old, 'SELECT count(*)::int AS n FROM orders')).rows[0].n,
    1500,
    'the replaced one is kept as it was',
  );
  const store = await openStore(undefined, p.path);
  try {
    const audit = await store.latestAudit({ actions: ['db.restore'], target: 'shop/staging' });
    assert.equal(((audit?.data ?? {}) as { backup?: string }).backup, backup.id);
    assert.ok((((audit?.data ?? {}) as { totalMs?: number }).totalMs ?? 0) > 0, 'timed');
  } finally {
    await store.close();
  }
});

test('a backup whose file does not match its checksum is refused and the database is untouched', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  await query(db.url, INIT);
  const b = JSON.parse((await cli(p.path, '--json', 'db', 'backup', 'staging')).stdout);
  appendFileSync(join(p.path, '.slipway/db-backups/staging', b.file), 'tampered');
  await query(db.url, 'DELETE FROM orders WHERE id > 10');
  const r = await cli(p.path, 'db', 'restore', 'staging');
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /BACKUP_INVALID.*backup \S+ of staging is refused: its file has sha256 \w+…, recorded \w+…/,
  );
  assert.equal((await query(db.url, 'SELECT count(*)::int AS n FROM orders')).rows[0].n, 10);
  const all = await query(db.url, `SELECT datname FROM pg_database WHERE datname LIKE '${db.name}%'`);
  assert.deepEqual(
    all.rows.map((x) => x.datname),
    [db.name],
    'no half-made database left',
  );
  const missing = await cli(p.path, 'db', 'restore', 'staging', '--to', 'nope');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /staging has no backup nope; list them with `slipway db backups staging`/);
});

test('backups keep the last N per environment', { skip }, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, {}, '  backup: { keep: 2 }\n');
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++)
    ids.push(JSON.parse((await cli(p.path, '--json', 'db', 'backup', 'staging')).stdout).id);
  const files = readdirSync(join(p.path, '.slipway/db-backups/staging')).sort();
  assert.deepEqual(files, [`${ids[1]}.dump`, `${ids[1]}.json`, `${ids[2]}.dump`, `${ids[2]}.json`].sort());
});

test('rehearse runs pending migrations on a copy, reports locks and holds, and ticks "migrations tested"', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  assert.equal((await cli(p.path, 'release', 'create', '--version', '1.0.0', '.')).code, 0);
  assert.equal((await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '1.0.0')).code, 0);
  p.write(
    '0002_status.sql',
    "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';\nCREATE TABLE tags (id int);\n",
  );
  assert.equal((await cli(p.path, 'release', 'create', '--version', '1.1.0', '.')).code, 0);
  const r = await cli(p.path, '--json', 'migrations', 'rehearse', '--env', 'staging', '--release', '1.1.0');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.files, ['0002_status.sql']);
  assert.equal(out.copy, 'template');
  const alter = out.statements[0];
  assert.equal(alter.lock, 'ACCESS EXCLUSIVE');
  assert.equal(alter.on, 'orders');
  assert.ok(alter.heldMs >= 0 && alter.heldMs < out.budgetMs);
  assert.equal(alter.overBudget, false);
  // The environment's own database is untouched and the copy is gone.
  assert.equal((await query(db.url, 'SELECT count(*)::int AS n FROM slipway_migrations')).rows[0].n, 1);
  const copies = await query(
    db.url,
    `SELECT datname FROM pg_database WHERE datname LIKE '${db.name}_rehearse%'`,
  );
  assert.equal(copies.rowCount, 0);
  const store = await openStore(undefined, p.path);
  try {
    const release = await store.findRelease('shop', '1.1.0');
    const e = await store.latestAudit({
      actions: ['migrations.rehearsed'],
      target: rehearsalTarget('shop', release?.digest as string),
    });
    assert.equal(((e?.data ?? {}) as { ok?: boolean }).ok, true);
  } finally {
    await store.close();
  }
});

test('a rehearsal over the lock budget fails and says which statement', { skip }, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, { '0001_init.sql': INIT }, '  lockBudget: 50ms\n');
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  p.write(
    '0002_slow.sql',
    '-- slipway:allow add-column-rewrite because the rehearsal must catch it\nALTER TABLE orders ADD COLUMN u uuid DEFAULT gen_random_uuid();\nSELECT pg_sleep(0.3);\n',
  );
  const r = await cli(p.path, 'migrations', 'rehearse', '--env', 'staging');
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /0002_slow\.sql:2 .*ACCESS EXCLUSIVE on orders .* OVER BUDGET/);
  assert.match(r.stdout, /rehearsal failed/);
});
