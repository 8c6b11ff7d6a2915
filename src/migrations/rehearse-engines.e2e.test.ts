/**
 * Rehearsal on MariaDB (real server on 127.0.0.1:3306) and SQLite: a scratch copy (mariadb-dump
 * into a scratch database; SQLite's online backup to a temporary file), every pending statement
 * run and timed with its rows, files recorded in slipway_migrations skipped, and for MariaDB the
 * metadata-lock wait of a statement blocked by another session's open transaction.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cli } from '../../test/cli-helpers.ts';
import { canConnect, hasBinary, serviceSkip, tempDir } from '../testing.ts';

const run = promisify(execFile);
const MARIA = process.env.SLIPWAY_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/';
const mariaSkip = serviceSkip(
  'MariaDB with mariadb-dump',
  (await canConnect(Number(new URL(MARIA).port || 3306))) &&
    hasBinary('mariadb-dump') &&
    hasBinary('mariadb'),
  'start MariaDB on 127.0.0.1:3306 and install mariadb-client',
);

function mariaArgs(sql: string, db?: string): [string[], NodeJS.ProcessEnv] {
  const u = new URL(MARIA);
  return [
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
    ]
      .concat(db ? [db] : [])
      .concat(['-e', sql]),
    { ...process.env, ...(u.password && { MYSQL_PWD: decodeURIComponent(u.password) }) },
  ];
}

function maria(sql: string, db?: string): string {
  const [args, env] = mariaArgs(sql, db);
  const r = spawnSync('mariadb', args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** Async, so the in-process CLI keeps running while the test holds a lock. */
async function mariaAsync(sql: string): Promise<string> {
  const [args, env] = mariaArgs(sql);
  return (await run('mariadb', args, { env })).stdout.trim();
}

function project(url: string, files: Record<string, string>) {
  const dir = tempDir('slipway-rh-');
  writeFileSync(
    join(dir.path, 'slipway.yaml'),
    `app: shop\nrun: { command: node server.js }\nmigrations:\n  dir: migrations\n  lockTimeout: 5s\nenvironments:\n  staging:\n    config: { values: { DATABASE_URL: "${url}" } }\n`,
  );
  mkdirSync(join(dir.path, 'migrations'));
  for (const [n, s] of Object.entries(files)) writeFileSync(join(dir.path, 'migrations', n), s);
  return dir;
}

test('MariaDB: rehearsed on a mariadb-dump copy, per statement time, rows and metadata-lock wait', {
  skip: mariaSkip,
}, async (t) => {
  const db = `slipway_rh_${randomBytes(4).toString('hex')}`;
  maria(`CREATE DATABASE ${db}`);
  maria(
    `CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, total decimal(10,2) NOT NULL, note text);
     INSERT INTO orders (total, note) SELECT seq, CONCAT('n', seq) FROM seq_1_to_3000;
     CREATE TABLE slipway_migrations (name varchar(200) PRIMARY KEY);
     INSERT INTO slipway_migrations VALUES ('0001_init.sql');`,
    db,
  );
  const url = new URL(MARIA);
  url.pathname = `/${db}`;
  const p = project(url.toString(), {
    // Recorded as applied: running it again would fail (the table exists).
    '0001_init.sql': 'CREATE TABLE orders (id int);\n',
    '0002_note.sql': `-- the held transaction below makes the ALTER wait
SELECT SLEEP(1.5);
UPDATE orders SET note = 'a;b' WHERE id <= 120;
ALTER TABLE orders ADD COLUMN note2 varchar(10);
DELIMITER //
CREATE TRIGGER orders_note BEFORE INSERT ON orders FOR EACH ROW BEGIN SET NEW.note2 = 'x'; SET NEW.note = 'y'; END//
DELIMITER ;
`,
  });
  t.after(() => {
    p.cleanup();
    for (const name of maria(`SHOW DATABASES LIKE '${db}%'`).split('\n').filter(Boolean))
      maria(`DROP DATABASE \`${name}\``);
  });
  // When the rehearsal's runner sleeps in the scratch copy, another session opens a transaction on
  // orders and keeps it 2.5 s: the ALTER that follows the sleep must wait for its metadata lock.
  let held = false;
  const holder = (async () => {
    for (let i = 0; i < 400 && !held; i++) {
      const scratch = await mariaAsync(
        `SELECT DB FROM information_schema.PROCESSLIST WHERE DB LIKE '${db}\\_rh\\_%' AND INFO LIKE 'SELECT SLEEP(1.5)%' AND ID <> CONNECTION_ID()`,
      );
      if (scratch) {
        held = true;
        await mariaAsync(
          `START TRANSACTION; SELECT COUNT(*) FROM \`${scratch}\`.orders; SELECT SLEEP(2.5); COMMIT;`,
        );
      } else await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const r = await cli(p.path, '--json', 'migrations', 'rehearse', '--env', 'staging');
  await holder;
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(held, 'the test saw the rehearsal sleeping in its scratch database');
  const out = JSON.parse(r.stdout);
  assert.equal(out.engine, 'mariadb');
  assert.equal(out.copy, 'mariadb-dump');
  assert.deepEqual(out.files, ['0002_note.sql']);
  assert.match(out.unmeasured, /metadata_lock_info/);
  const [sleep, update, alter, trigger] = out.statements;
  assert.equal(out.statements.length, 4);
  assert.equal(sleep.line, 2);
  assert.ok(sleep.durationMs >= 1400, `sleep took ${sleep.durationMs} ms`);
  assert.equal(update.rows, 120);
  assert.equal(update.lockWaitMs, 0);
  assert.equal(alter.line, 4);
  assert.ok(alter.lockWaitMs >= 300, `the ALTER waited ${alter.lockWaitMs} ms`);
  assert.ok(alter.durationMs >= alter.lockWaitMs - 10, JSON.stringify(alter));
  assert.match(trigger.statement, /^CREATE TRIGGER orders_note .* END$/s);
  // The environment's database is untouched and the scratch copy is gone.
  assert.equal(maria("SELECT COUNT(*) FROM orders WHERE note = 'a;b'", db), '0');
  assert.equal(maria(`SHOW DATABASES LIKE '${db}\\_rh\\_%'`), '');

  const text = await cli(p.path, 'migrations', 'rehearse', '--env', 'staging');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /copied staging's MariaDB database by mariadb-dump into a scratch database/);
  assert.match(text.stdout, /0002_note\.sql:3 +\d+ +0 +120 +UPDATE orders/);
  assert.match(text.stdout, /not measured: MariaDB does not show which lock/);
});

test('SQLite: rehearsed on an online-backup copy, per statement time and rows; --generate refused', async (t) => {
  const dir = tempDir('slipway-rh-sqlite-');
  t.after(() => dir.cleanup());
  const file = join(dir.path, 'shop.db');
  const live = new DatabaseSync(file);
  live.exec(`CREATE TABLE orders (id integer PRIMARY KEY, total real NOT NULL, note text);
    WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000)
    INSERT INTO orders SELECT n, n, 'n' || n FROM s;`);
  const p = project(`sqlite://${file}`, {
    '0001_index.sql': `UPDATE orders SET note = 'x;y' WHERE id % 2 = 0;
CREATE INDEX orders_total ON orders (total);
CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN
  UPDATE orders SET note = 'touched' WHERE id = NEW.id;
END;
SELECT id FROM orders WHERE total > 4990;
`,
  });
  t.after(() => {
    live.close();
    p.cleanup();
  });
  const r = await cli(p.path, '--json', 'migrations', 'rehearse', '--env', 'staging');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.engine, 'sqlite');
  assert.equal(out.copy, 'sqlite-backup');
  assert.deepEqual(
    out.statements.map((s: { line: number; rows: number }) => [s.line, s.rows]),
    [
      [1, 2500],
      [2, 0],
      [3, 0],
      [6, 10],
    ],
  );
  assert.ok(out.statements.every((s: { durationMs: number }) => s.durationMs >= 0));
  assert.match(out.unmeasured, /locks the whole database/);
  // The live file has neither the update nor the index.
  assert.equal(
    (live.prepare("SELECT count(*) AS n FROM orders WHERE note = 'x;y'").get() as { n: number }).n,
    0,
  );
  assert.equal(
    (
      live.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'orders_total'").get() as {
        n: number;
      }
    ).n,
    0,
  );

  const gen = await cli(p.path, 'migrations', 'rehearse', '--env', 'staging', '--generate', '100');
  assert.equal(gen.code, 2, gen.stderr);
  assert.match(gen.stderr, /generated data .* is for PostgreSQL only; DATABASE_URL is a sqlite database/);
});
