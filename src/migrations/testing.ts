/** Helpers for the migrations tests: a project with a migrations folder and its own PostgreSQL database. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { canConnect, tempDir } from '../testing.ts';

export const PG_URL = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function pgAvailable(): Promise<boolean> {
  const u = new URL(PG_URL);
  return canConnect(Number(u.port || 5432), u.hostname);
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** A database of its own, dropped (with every copy slipway made of it) by `drop`. */
export async function freshDatabase(
  prefix = 'slipway_mig',
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      const all = await adminQuery('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${name}%`]);
      for (const r of all.rows) await adminQuery(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    },
  };
}

export async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A project folder: slipway.yaml with a migrations block and staging's DATABASE_URL, plus files. */
export function migrationsProject(url: string, files: Record<string, string>, extra = '') {
  const dir = tempDir('slipway-mig-');
  writeFileSync(join(dir.path, 'server.js'), 'console.log("ok")\n');
  writeFileSync(
    join(dir.path, 'slipway.yaml'),
    `app: shop\nrun: { command: node server.js }\nmigrations:\n  dir: migrations\n  lockTimeout: 300ms\n  retries: 2\n${extra}environments:\n  staging:\n    config: { values: { DATABASE_URL: "${url}" } }\n`,
  );
  mkdirSync(join(dir.path, 'migrations'));
  const write = (name: string, sql: string) => writeFileSync(join(dir.path, 'migrations', name), sql);
  const remove = (name: string) => rmSync(join(dir.path, 'migrations', name));
  for (const [n, s] of Object.entries(files)) write(n, s);
  return { ...dir, write, remove };
}
