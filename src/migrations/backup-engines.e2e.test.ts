/**
 * Backup and restore of MariaDB (real server on 127.0.0.1:3306, mariadb-dump / mariadb) and SQLite
 * (SQLite's online backup API) databases through the CLI, chosen by the URL's scheme: checksummed
 * files, damage undone with every table verified, the replaced data kept, a tampered file refused
 * with the live database untouched, and one-line errors for a bad URL.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { cli } from '../../test/cli-helpers.ts';
import { openStore } from '../store/factory.ts';
import { canConnect, hasBinary, serviceSkip } from '../testing.ts';
import { migrationsProject } from './testing.ts';

const MARIA = process.env.SLIPWAY_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/';
const mariaSkip = serviceSkip(
  'MariaDB with mariadb-dump',
  (await canConnect(Number(new URL(MARIA).port || 3306))) &&
    hasBinary('mariadb-dump') &&
    hasBinary('mariadb'),
  'start MariaDB on 127.0.0.1:3306 and install mariadb-client',
);

/** SQL through the mariadb client, as the test's own admin connection. */
function maria(sql: string, db?: string): string {
  const u = new URL(MARIA);
  const r = spawnSync(
    'mariadb',
    [
      '-h',
      u.hostname,
      '-P',
      u.port || '3306',
      '--protocol=TCP',
      '-u',
      decodeURIComponent(u.username),
      '-N',
      '-B',
      ...(db ? [db] : []),
      '-e',
      sql,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, ...(u.password && { MYSQL_PWD: decodeURIComponent(u.password) }) },
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

const MARIA_INIT = `CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, total decimal(10,2) NOT NULL, note text, photo blob);
INSERT INTO orders (total, note, photo) SELECT seq, CONCAT('n', seq), UNHEX('00FF10') FROM seq_1_to_3000;
CREATE TABLE shops (id int PRIMARY KEY, name varchar(50));
INSERT INTO shops VALUES (1, 'o''brien ⚓'), (2, NULL);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 2500;`;

test('MariaDB: backup, damage, restore: every row back, verified per table, the replaced tables kept', {
  skip: mariaSkip,
}, async (t) => {
  const db = `slipway_maria_${randomBytes(4).toString('hex')}`;
  maria(`CREATE DATABASE ${db}`);
  maria(MARIA_INIT, db);
  const url = new URL(MARIA);
  url.pathname = `/${db}`;
  const p = migrationsProject(url.toString(), {});
  t.after(() => {
    p.cleanup();
    for (const name of maria(`SHOW DATABASES LIKE '${db}%'`).split('\n').filter(Boolean))
      maria(`DROP DATABASE \`${name}\``);
  });
  const b = await cli(p.path, '--json', 'db', 'backup', 'staging');
  assert.equal(b.code, 0, b.stderr);
  const backup = JSON.parse(b.stdout);
  assert.equal(backup.engine, 'mariadb');
  assert.match(backup.sha256, /^[0-9a-f]{64}$/);
  assert.equal(backup.tables.orders.rows, 3000);
  assert.equal(backup.tables.shops.rows, 2);
  assert.equal(maria(`SHOW DATABASES LIKE '${db}\\_bk%'`), '', 'the scratch copy the sums came from is gone');

  maria("DELETE FROM orders WHERE id > 2000; UPDATE shops SET name = 'x'; CREATE TABLE stray (id int)", db);
  const r = await cli(p.path, 'db', 'restore', 'staging', '--to', backup.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`restored \\S+ into ${db}: 2 tables, 3002 rows, every table's count and checksum verified`),
  );
  const kept = /kept as (\S+)/.exec(r.stdout)?.[1] as string;
  assert.equal(maria('SELECT COUNT(*) FROM orders', db), '3000');
  assert.equal(maria('SELECT name FROM shops WHERE id = 1', db), "o'brien ⚓");
  assert.equal(maria('SELECT HEX(photo) FROM orders WHERE id = 7', db), '00FF10');
  assert.equal(maria('SELECT COUNT(*) FROM big_orders', db), '500', 'the view reads the restored table');
  assert.equal(maria(`SHOW TABLES LIKE 'stray'`, db), '', 'the table made after the backup is moved out');
  assert.equal(
    maria('SELECT COUNT(*) FROM orders', kept),
    '2000',
    'the replaced tables are kept as they were',
  );

  // A tampered dump: refused, the live database untouched.
  maria('DELETE FROM orders WHERE id > 2990', db);
  appendFileSync(join(p.path, '.slipway/db-backups/staging', backup.file), 'DROP TABLE orders;\n');
  const bad = await cli(p.path, 'db', 'restore', 'staging', '--to', backup.id);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(
    bad.stderr,
    new RegExp(`backup ${backup.id} of staging is refused: its file has sha256 \\w+…, recorded \\w+…`),
  );
  assert.equal(maria('SELECT COUNT(*) FROM orders', db), '2990');

  const store = await openStore(undefined, p.path);
  try {
    const audit = await store.listAuditByTarget('shop/staging');
    assert.deepEqual(
      audit.map((a) => a.action),
      ['db.backup', 'db.restore', 'db.restore.failed'],
    );
  } finally {
    await store.close();
  }
});

test('MariaDB: wrong credentials and an unknown database are one line naming the environment and key', {
  skip: mariaSkip,
}, async (t) => {
  const url = new URL(MARIA);
  url.username = 'nobody_here';
  url.password = 'hunter2-secret';
  url.pathname = '/mysql';
  const p = migrationsProject(url.toString(), {});
  t.after(() => p.cleanup());
  const r = await cli(p.path, 'db', 'backup', 'staging');
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    /staging: the database in DATABASE_URL \(mysql:\/\/nobody_here:\*\*\*@127\.0\.0\.1:3306\/mysql\) refuses the credentials .*; fix the user or password in DATABASE_URL for staging/,
  );
  assert.doesNotMatch(r.stderr + r.stdout, /hunter2/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  const missing = new URL(MARIA);
  missing.pathname = '/slipway_no_such_db';
  const q = migrationsProject(missing.toString(), {});
  t.after(() => q.cleanup());
  const m = await cli(q.path, 'db', 'backup', 'staging');
  assert.equal(m.code, 4, m.stderr);
  assert.match(
    m.stderr,
    /staging: the database in DATABASE_URL \(\S+\) does not exist .*create it, or fix the database name/,
  );
  assert.ok(!existsSync(join(q.path, '.slipway/db-backups/staging')) || !m.stdout, 'nothing half-written');
});

test('SQLite: an online backup while a connection writes; restore seen by a connection left open', async (t) => {
  const p0 = migrationsProject('sqlite:placeholder', {});
  t.after(() => p0.cleanup());
  const file = join(p0.path, 'shop.db');
  const p = migrationsProject(`sqlite://${file}`, {});
  t.after(() => p.cleanup());
  const app = new DatabaseSync(file);
  t.after(() => app.close());
  app.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL, note TEXT, photo BLOB);
    CREATE TABLE shops (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO shops VALUES (1, 'o''brien ⚓'), (2, NULL);`);
  const insert = app.prepare('INSERT INTO orders (total, note, photo) VALUES (?, ?, ?)');
  app.exec('BEGIN');
  for (let i = 1; i <= 5000; i++) insert.run(i / 2, `n${i}`, Buffer.from([0, 255, i % 256]));
  app.exec('COMMIT');
  const b = await cli(p.path, '--json', 'db', 'backup', 'staging');
  assert.equal(b.code, 0, b.stderr);
  const backup = JSON.parse(b.stdout);
  assert.equal(backup.engine, 'sqlite');
  assert.equal(backup.tables.orders.rows, 5000);
  assert.equal(backup.tables.shops.rows, 2);

  app.exec("DELETE FROM orders WHERE id > 100; UPDATE shops SET name = 'x'");
  const r = await cli(p.path, 'db', 'restore', 'staging', '--to', backup.id);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 tables, 5002 rows, every table's count and checksum verified/);
  // The app's connection, open all along, reads the restored rows.
  assert.equal((app.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n, 5000);
  assert.equal(
    (app.prepare('SELECT name FROM shops WHERE id = 1').get() as { name: string }).name,
    "o'brien ⚓",
  );
  const kept = /kept as (\S+)/.exec(r.stdout)?.[1] as string;
  const old = new DatabaseSync(kept, { readOnly: true });
  assert.equal((old.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n, 100);
  old.close();

  app.exec('DELETE FROM orders WHERE id > 4000');
  appendFileSync(join(p.path, '.slipway/db-backups/staging', backup.file), 'x');
  const bad = await cli(p.path, 'db', 'restore', 'staging', '--to', backup.id);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /is refused: its file has sha256/);
  assert.equal((app.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n, 4000);

  const wrong = migrationsProject(`sqlite://${join(p.path, 'nope.db')}`, {});
  t.after(() => wrong.cleanup());
  const w = await cli(wrong.path, 'db', 'backup', 'staging');
  assert.equal(w.code, 4, w.stderr);
  assert.match(
    w.stderr,
    /staging: the SQLite database in DATABASE_URL \(sqlite:\/\/\S+nope\.db\) does not exist; fix the path in DATABASE_URL for staging/,
  );
});
