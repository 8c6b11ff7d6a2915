/** `slipway migrations lint` as a user runs it: files and folders, text and --json, exit codes, parse errors. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from '../../../test/cli-helpers.ts';
import { tempDir } from '../../testing.ts';

function project(files: Record<string, string>) {
  const dir = tempDir('slipway-lint-');
  mkdirSync(join(dir.path, 'db'));
  // slipway runs these migrations itself (it sets lock_timeout), as a project declares them.
  writeFileSync(
    join(dir.path, 'slipway.yaml'),
    'app: shop\nrun: { command: node server.js }\nmigrations: { dir: db }\nenvironments: { staging: {} }\n',
  );
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir.path, 'db', name), sql);
  return dir;
}

test('lint prints file:line:col rule: why; fix and exits 1 for an unsafe migration', async (t) => {
  const dir = project({
    '0001_ok.sql': 'ALTER TABLE users ADD COLUMN bio text;\n',
    '0002_index.sql': '-- the slow one\n\nCREATE INDEX users_bio_idx ON users (bio);\n',
  });
  t.after(dir.cleanup);
  const r = await cli(dir.path, 'migrations', 'lint', 'db');
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /^db\/0002_index\.sql:3:1 create-index: index users_bio_idx on public\.users: CREATE INDEX without CONCURRENTLY blocks every INSERT, UPDATE and DELETE on the table until the index is built; CREATE INDEX CONCURRENTLY/m,
  );
  assert.doesNotMatch(r.stdout, /0001_ok/);
});

test('lint exits 0 when nothing is unsafe, and an allowed finding is listed with its reason', async (t) => {
  const dir = project({
    '0001.sql':
      "SET lock_timeout = '1s';\n-- slipway:allow create-index because tags has 12 rows\nCREATE INDEX tags_idx ON tags (name);\n",
  });
  t.after(dir.cleanup);
  const r = await cli(dir.path, 'migrations', 'lint', 'db/0001.sql');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /db\/0001\.sql:3:1 create-index: .* \(allowed: tags has 12 rows\)/);
});

test('lint --json lists each finding as {file, line, column, rule, lock, message, fix}', async (t) => {
  const dir = project({ '0001.sql': 'SELECT 1;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\n' });
  t.after(dir.cleanup);
  const r = await cli(dir.path, '--json', 'migrations', 'lint', 'db');
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out.findings[0]).sort(), [
    'column',
    'file',
    'fix',
    'line',
    'lock',
    'message',
    'rule',
  ]);
  assert.equal(out.findings[0].rule, 'change-column-type');
  assert.equal(out.findings[0].lock, 'ACCESS EXCLUSIVE');
  assert.equal(out.findings[0].line, 2);
  assert.equal(out.files[0].kind, 'contract');
});

test("a file that does not parse: file:line:col with PostgreSQL's own message, exit 1", async (t) => {
  const dir = project({
    '0001.sql': 'ALTER TABLE users ADD COLUMN a int;\nALTER TABEL users DROP COLUMN a;\n',
  });
  t.after(dir.cleanup);
  const r = await cli(dir.path, 'migrations', 'lint', 'db');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^db\/0001\.sql:2:7 syntax: syntax error at or near "TABEL"$/m);
});

test('--pg-version changes the verdict: a constant default rewrites the table before PostgreSQL 11', async (t) => {
  const dir = project({ '0001.sql': 'ALTER TABLE users ADD COLUMN active boolean DEFAULT true;\n' });
  t.after(dir.cleanup);
  assert.equal((await cli(dir.path, 'migrations', 'lint', 'db')).code, 0);
  const old = await cli(dir.path, 'migrations', 'lint', 'db', '--pg-version', '10');
  assert.equal(old.code, 1);
  assert.match(old.stdout, /add-column-rewrite: .*before PostgreSQL 11 any default rewrites the table/);
});

test('migrations a tool runs (no slipway.yaml) must set lock_timeout themselves', async (t) => {
  const dir = tempDir('slipway-lint-');
  t.after(dir.cleanup);
  writeFileSync(join(dir.path, 'm.sql'), 'ALTER TABLE users ADD COLUMN bio text;\n');
  const r = await cli(dir.path, 'migrations', 'lint', 'm.sql');
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /^m\.sql:1:1 require-lock-timeout: ALTER TABLE public\.users: this statement waits for a strong lock with no lock_timeout/m,
  );
  writeFileSync(
    join(dir.path, 'm.sql'),
    "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN bio text;\n",
  );
  assert.equal((await cli(dir.path, 'migrations', 'lint', 'm.sql')).code, 0);
});

test('a missing path is a usage error naming it', async (t) => {
  const dir = project({});
  t.after(dir.cleanup);
  const r = await cli(dir.path, 'migrations', 'lint', 'nope.sql');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.sql does not exist/);
});

test('--rules lists every rule with its lock', async (t) => {
  const dir = project({});
  t.after(dir.cleanup);
  const r = await cli(dir.path, 'migrations', 'lint', '--rules');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /set-not-null\s+ACCESS EXCLUSIVE\s+contract/);
});
