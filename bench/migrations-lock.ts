/**
 * Unsafe vs safe rewrite of the same change on a table of 5 million rows (issue 16, benchmark b),
 * each run by `rehearse` on its own copy of the database, with pg_locks sampled every 2 ms: how
 * long each holds ACCESS EXCLUSIVE (which blocks every read and write of the table). Goal: the
 * safe rewrite holds it ≤ 100 ms per statement.
 *   1. NOT NULL: SET NOT NULL (full scan under ACCESS EXCLUSIVE) vs CHECK … NOT VALID, VALIDATE
 *      (SHARE UPDATE EXCLUSIVE), then SET NOT NULL proven from the check (PostgreSQL 12+).
 *   2. A CHECK constraint: validated at once vs NOT VALID + VALIDATE in its own migration.
 *   3. A foreign key: validated at once vs NOT VALID + VALIDATE.
 * Needs PostgreSQL on 127.0.0.1:5432 (user postgres). ROWS=5000000 by default.
 *
 * Run: node_modules/.bin/node bench/migrations-lock.ts
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { MigrationFile } from '../src/migrations/files.ts';
import { loadParser } from '../src/migrations/parse.ts';
import { rehearse } from '../src/migrations/postgres/rehearse.ts';

const ROWS = Number(process.env.ROWS ?? 5_000_000);
const admin = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `slipway_bench_lock_${process.pid}`;
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
const file = (name: string, sql: string): MigrationFile => ({
  name,
  path: name,
  sql,
  checksum: createHash('sha256').update(sql).digest('hex'),
});

const SCENARIOS: { change: string; unsafe: MigrationFile[]; safe: MigrationFile[] }[] = [
  {
    change: 'make orders.shop_id NOT NULL',
    unsafe: [file('1_unsafe.sql', 'ALTER TABLE orders ALTER COLUMN shop_id SET NOT NULL;')],
    safe: [
      file(
        '1_check.sql',
        'ALTER TABLE orders ADD CONSTRAINT shop_id_nn CHECK (shop_id IS NOT NULL) NOT VALID;',
      ),
      file('2_validate.sql', 'ALTER TABLE orders VALIDATE CONSTRAINT shop_id_nn;'),
      file(
        '3_set.sql',
        'ALTER TABLE orders ALTER COLUMN shop_id SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT shop_id_nn;',
      ),
    ],
  },
  {
    change: 'add CHECK (total >= 0)',
    unsafe: [file('1_unsafe.sql', 'ALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total >= 0);')],
    safe: [
      file('1_check.sql', 'ALTER TABLE orders ADD CONSTRAINT total_pos CHECK (total >= 0) NOT VALID;'),
      file('2_validate.sql', 'ALTER TABLE orders VALIDATE CONSTRAINT total_pos;'),
    ],
  },
  {
    change: 'add FOREIGN KEY shop_id → shops',
    unsafe: [
      file(
        '1_unsafe.sql',
        'ALTER TABLE orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops (id);',
      ),
    ],
    safe: [
      file(
        '1_fk.sql',
        'ALTER TABLE orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops (id) NOT VALID;',
      ),
      file('2_validate.sql', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_shop_fk;'),
    ],
  },
];

await loadParser();
await run(admin, `CREATE DATABASE ${dbName}`);
try {
  const t0 = performance.now();
  await run(
    url,
    'CREATE TABLE shops (id int PRIMARY KEY); INSERT INTO shops SELECT generate_series(0, 999);',
  );
  await run(
    url,
    `CREATE TABLE orders AS SELECT g::bigint AS id, (g % 1000)::int AS shop_id, (g % 9973)::numeric AS total, md5(g::text) AS ref FROM generate_series(1, ${ROWS}) g;
     ALTER TABLE orders ADD PRIMARY KEY (id);`,
  );
  await run(url, 'VACUUM ANALYZE orders');
  const size = (await run(url, "SELECT pg_size_pretty(pg_total_relation_size('orders')) AS s")).rows[0].s;
  console.log(
    `orders: ${ROWS.toLocaleString('en')} rows, ${size}, built in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`,
  );
  const target = { env: 'bench', key: 'DATABASE_URL', url };
  const opts = { lockTimeoutMs: 5000, statementTimeoutMs: 600_000, budgetMs: 100, release: 'bench' };
  console.log('| change | way | statement | ms | strongest lock | ACCESS EXCLUSIVE held ms |');
  console.log('|---|---|---|---:|---|---:|');
  const verdicts: string[] = [];
  for (const s of SCENARIOS) {
    for (const way of ['unsafe', 'safe'] as const) {
      const r = await rehearse(target, s[way], opts);
      if (r.error) throw new Error(`${s.change} ${way}: ${r.error}`);
      let worst = 0;
      for (const st of r.statements) {
        const ae = st.lock === 'ACCESS EXCLUSIVE' ? st.heldMs : 0;
        worst = Math.max(worst, ae);
        console.log(
          `| ${s.change} | ${way} | \`${st.statement.replace(/\s+/g, ' ')}\` | ${st.durationMs} | ${st.lock} | ${st.lock === 'ACCESS EXCLUSIVE' ? st.heldMs : '-'} |`,
        );
      }
      if (way === 'safe')
        verdicts.push(
          `${s.change}: safe rewrite holds ACCESS EXCLUSIVE at most ${worst} ms — goal ≤ 100 ms ${worst <= 100 ? 'met' : 'NOT met'}`,
        );
    }
  }
  console.log(`\n${verdicts.join('\n')}`);
} finally {
  await run(admin, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
}
