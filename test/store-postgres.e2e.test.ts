/**
 * The project marker and backups with a PostgreSQL store, on the real local server: a database
 * emptied or swapped for another slipway store is refused; `store backup` (pg_dump) and `store
 * restore` (pg_restore) round trip, the replaced database dumped aside first.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { BACKENDS } from '../src/store/testing.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const backend = BACKENDS.find((b) => b.name === 'postgres');
const skip = backend ? await backend.skip() : 'STORE_BACKENDS excludes postgres';

describe('a PostgreSQL store under the project marker', { skip }, () => {
  const dir = tempDir('slipway-store-pg-');
  let url = '';
  let cleanup = async () => {};
  const q = async (text: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  };
  const run = (...argv: string[]) => cli(dir.path, '--store', url, ...argv);

  before(async () => {
    ({ url, cleanup } = await (backend as NonNullable<typeof backend>).fresh());
  });
  after(async () => {
    await cleanup();
    dir.cleanup();
  });

  test('marks the store by URL; an emptied or replaced database is refused (exit 4)', async () => {
    for (const name of ['alice', 'bob'])
      assert.equal((await run('user', 'add', name, '--role', 'deployer')).code, 0);
    const marker = JSON.parse(readFileSync(join(dir.path, '.slipway/project.json'), 'utf8'));
    const key = Object.keys(marker.stores).find((k) => k.startsWith('postgres://'));
    assert.ok(key, 'the marker is keyed by the URL');
    assert.ok(!key.includes(':***') && new URL(key).password === '');
    const [{ value: id }] = await q("select value from slipway_meta where key = 'store_id'");
    assert.equal(marker.stores[key].storeId, id);

    await q(`update slipway_meta set value = 'store-somebody-else' where key = 'store_id'`);
    const replaced = await run('user', 'list');
    assert.equal(replaced.code, 4);
    assert.match(replaced.stderr, /STORE_REPLACED.*it is store-somebody-else, but .* records store-/);
    await q(`update slipway_meta set value = '${id}' where key = 'store_id'`);

    assert.equal((await run('store', 'backup', 'pg.pgdump')).code, 0);
    await q('drop schema public cascade; create schema public');
    const empty = await run('user', 'add', 'carol', '--role', 'viewer');
    assert.equal(empty.code, 4);
    assert.match(empty.stderr, /STORE_MISSING.*is empty \(no slipway tables\), but this project used it/);
    const tables = await q(
      "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
    );
    assert.equal(tables[0].n, 0, 'nothing was created in the emptied database');

    const restored = await run('store', 'restore', 'pg.pgdump');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match((await run('user', 'list')).stdout, /alice[\s\S]*bob/);
    const verify = await run('audit', 'verify');
    assert.equal(verify.code, 0, verify.stderr);
  });

  test('backup and restore round trip; the replaced database is dumped aside', async () => {
    const made = await run('store', 'backup');
    assert.equal(made.code, 0, made.stderr);
    const file = /to (\S+\.pgdump)/.exec(made.stdout)?.[1] as string;
    assert.ok(existsSync(file));
    assert.equal((await run('user', 'add', 'late', '--role', 'viewer')).code, 0);
    const restored = await run('store', 'restore', file);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /the replaced store is kept at .*replaced-.*\.pgdump/);
    const users = (await run('user', 'list')).stdout;
    assert.match(users, /alice/);
    assert.doesNotMatch(users, /late/);
    assert.ok(readdirSync(join(dir.path, '.slipway/backups')).some((n) => n.startsWith('replaced-')));
    const sqliteBackup = await cli(dir.path, 'store', 'restore', file);
    assert.equal(sqliteBackup.code, 1, 'a pg_dump archive is not restored into a SQLite store');
    assert.match(sqliteBackup.stderr, /is a postgres backup, but the store is sqlite/);
  });

  test('a dropped database this project used is STORE_MISSING, not "check the URL"', async () => {
    await cleanup();
    const gone = await run('user', 'list');
    assert.equal(gone.code, 4);
    assert.match(
      gone.stderr,
      /STORE_MISSING\]: the store postgres:\/\/\S+ is missing, but this project used it/,
    );
    assert.doesNotMatch(gone.stderr, /password|\*\*\*/);
  });
});
