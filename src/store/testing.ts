/**
 * Store backends for tests. Kysely's way: every storage test loops over real SQLite and real
 * PostgreSQL; `STORE_BACKENDS=sqlite` (or `postgres`) narrows the loop. PostgreSQL tests get a
 * database of their own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { canConnect, serviceSkip, tempDir } from '../testing.ts';

export const PG_ADMIN_URL = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Skip reason, or false. */
  skip(): Promise<string | false>;
  /** A fresh, empty store URL and its cleanup. */
  fresh(): Promise<{ url: string; cleanup: () => Promise<void> }>;
}

const sqlite: Backend = {
  name: 'sqlite',
  skip: async () => false,
  async fresh() {
    const dir = tempDir('slipway-store-');
    return { url: join(dir.path, 'slipway.db'), cleanup: async () => dir.cleanup() };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async skip() {
    const url = new URL(PG_ADMIN_URL);
    const up = await canConnect(Number(url.port || 5432), url.hostname);
    return serviceSkip('PostgreSQL', up, `set SLIPWAY_TEST_PG_URL; tried ${url.host}`);
  },
  async fresh() {
    const name = `slipway_test_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async cleanup() {
        const client = new pg.Client({ connectionString: PG_ADMIN_URL });
        await client.connect();
        await client.query(`drop database if exists ${name} with (force)`);
        await client.end();
      },
    };
  },
};

export const BACKENDS: readonly Backend[] = [sqlite, postgres].filter(
  (b) => !process.env.STORE_BACKENDS || process.env.STORE_BACKENDS.split(',').includes(b.name),
);
