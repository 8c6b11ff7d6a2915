/**
 * Backup and restore of a database of at least 1 GB (issue 16, benchmark c): `slipway db backup`'s
 * and `slipway db restore`'s code (pg_dump -Fc with per-table sums from the same snapshot; restore
 * into a new database, every table's count and checksum verified, then the swap). Rows lost are
 * counted by the checksums. The seeds put a database rollback at "30 min – hours". Heavy: run it
 * once, off the CI path. Needs PostgreSQL on 127.0.0.1:5432 and pg_dump/pg_restore. GB=1 by default.
 *
 * Run: node_modules/.bin/node bench/db-restore.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { takeBackup } from '../src/migrations/postgres/backup.ts';
import { restoreBackup } from '../src/migrations/postgres/restore.ts';

const GB = Number(process.env.GB ?? 1);
const admin = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `slipway_bench_restore_${process.pid}`;
const url = admin.replace(/\/[^/]*$/, `/${dbName}`);

async function run(target: string, sql: string) {
  const c = new pg.Client({ connectionString: target });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

await run(admin, `CREATE DATABASE ${dbName}`);
const root = mkdtempSync(join(tmpdir(), 'slipway-restore-bench-'));
try {
  const t0 = performance.now();
  await run(
    url,
    'CREATE TABLE shops (id int PRIMARY KEY, name text); INSERT INTO shops SELECT g, md5(g::text) FROM generate_series(1, 10000) g;',
  );
  await run(
    url,
    'CREATE TABLE orders (id bigint PRIMARY KEY, shop_id int NOT NULL, total numeric NOT NULL, ref text NOT NULL, note text, created_at timestamptz NOT NULL)',
  );
  // ~125 bytes per row with its index; batches keep each statement short.
  const rows = Math.ceil((GB * 1024 ** 3) / 125);
  for (let start = 1; start <= rows; start += 1_000_000) {
    const end = Math.min(rows, start + 999_999);
    await run(
      url,
      `INSERT INTO orders SELECT g, g % 10000, (g % 99991) / 100.0, md5(g::text), CASE WHEN g % 7 = 0 THEN NULL ELSE md5((g * 7)::text) END, now() - (g || ' seconds')::interval FROM generate_series(${start}, ${end}) g`,
    );
  }
  const size = Number((await run(url, 'SELECT pg_database_size(current_database()) AS b')).rows[0].b);
  console.log(
    `database: ${(size / 1024 ** 3).toFixed(2)} GB, ${rows.toLocaleString('en')} orders, built in ${s(performance.now() - t0)}\n`,
  );
  const target = { env: 'bench', key: 'DATABASE_URL', url };
  const b = await takeBackup(target, root, { keep: 2 });
  // Damage, as the bad migration a restore undoes.
  await run(url, 'DELETE FROM orders WHERE id % 10 = 0; UPDATE shops SET name = NULL');
  const r = await restoreBackup(target, root, b.id);
  const after = Number((await run(url, 'SELECT count(*) AS n FROM orders')).rows[0].n);
  const lost = rows - after;
  console.log('| step | time | what |\n|---|---:|---|');
  console.log(
    `| backup (pg_dump -Fc + per-table sums + sha256) | ${s(b.durationMs)} | ${(b.bytes / 1024 ** 2).toFixed(0)} MB dump |`,
  );
  console.log(`| restore into a new database (pg_restore) | ${s(r.restoreMs)} | |`);
  console.log(
    `| verify every table (count + checksum) | ${s(r.verifyMs)} | ${r.tables} tables, ${r.rows.toLocaleString('en')} rows |`,
  );
  console.log(`| swap (two renames) | ${s(r.swapMs)} | the live database is unavailable only here |`);
  console.log(`| **restore total** | **${s(r.totalMs)}** | seeds: "30 min – hours" |`);
  console.log(`\nrows lost: ${lost} (checksums of ${r.tables} tables equal the backup's)`);
  await run(admin, `DROP DATABASE IF EXISTS ${r.keptAs} WITH (FORCE)`);
} finally {
  await run(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  rmSync(root, { recursive: true, force: true });
}
