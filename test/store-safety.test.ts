/**
 * A store that cannot vanish silently, end to end through the CLI on a real SQLite file: deleted,
 * emptied, a page overwritten with garbage, or swapped for another store — each refused with its
 * own code and the way back, and nothing written; backup and restore; the audit log checked
 * against the heads kept outside it; a schema migration preceded by an automatic backup.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { auditHash, GENESIS_HASH } from '../src/store/audit-hash.ts';
import { LATEST_VERSION } from '../src/store/sql/migrations.ts';
import { hasBinary, repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

let dir: { path: string; cleanup: () => void };
const db = () => join(dir.path, '.slipway/slipway.db');
const digest = (file: string) =>
  existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'absent';
const sql = (text: string, file = db()) => {
  const raw = new DatabaseSync(file);
  try {
    raw.exec(text);
  } finally {
    raw.close();
  }
};
const one = <T>(query: string, file = db()): T => {
  const raw = new DatabaseSync(file, { readOnly: true });
  try {
    return raw.prepare(query).get() as T;
  } finally {
    raw.close();
  }
};

/** A project that has used its store: two users added, so the audit log has two entries. */
async function used(): Promise<void> {
  for (const name of ['alice', 'bob']) {
    const r = await cli(dir.path, 'user', 'add', name, '--role', 'deployer');
    assert.equal(r.code, 0, r.stderr);
  }
}

/** A write that must be refused, and what it must say; the store file must be as it was. */
async function refused(code: string, why: RegExp): Promise<void> {
  const before = digest(db());
  const r = await cli(dir.path, 'user', 'add', 'carol', '--role', 'viewer');
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, new RegExp(`^error\\[${code}\\]: `));
  assert.match(r.stderr, why);
  assert.doesNotMatch(r.stderr, /permission|at \w+ \(/, 'no "check the permissions", no stack trace');
  assert.equal(digest(db()), before, 'nothing was written to the store');
}

beforeEach(() => {
  dir = tempDir('slipway-store-safety-');
});
afterEach(() => dir.cleanup());

describe('a store the project used is refused when it is no longer that store', () => {
  test('a first run creates the store and the project marker; a second run uses it', async () => {
    await used();
    const marker = JSON.parse(readFileSync(join(dir.path, '.slipway/project.json'), 'utf8'));
    const entry = marker.stores['sqlite:.slipway/slipway.db'];
    assert.match(entry.storeId, /^store-[0-9a-f]{24}$/);
    assert.equal(
      one<{ value: string }>("select value from slipway_meta where key = 'store_id'").value,
      entry.storeId,
    );
    assert.equal(one<{ journal_mode: string }>('pragma journal_mode').journal_mode, 'wal');
  });

  test('deleted: STORE_MISSING naming the path and the restore command; no new store is made', async () => {
    await used();
    for (const f of ['', '-wal', '-shm']) rmSync(db() + f, { force: true });
    await refused(
      'STORE_MISSING',
      /slipway\.db is missing, but this project used it: .*slipway store restore BACKUP/,
    );
    assert.ok(!existsSync(db()));
    const list = await cli(dir.path, 'user', 'list');
    assert.equal(list.code, 4, 'reads are refused too: an empty list would be a lie');
  });

  test('emptied: STORE_MISSING, and the file stays empty', async () => {
    await used();
    writeFileSync(db(), '');
    await refused('STORE_MISSING', /slipway\.db is empty \(no slipway tables\), but this project used it/);
  });

  test('a page overwritten with garbage: STORE_CORRUPT with the fix, for reads and writes', async () => {
    await used();
    const root = one<{ rootpage: number }>(
      "select rootpage from sqlite_master where name = 'users'",
    ).rootpage;
    const pageSize = one<{ page_size: number }>('pragma page_size').page_size;
    const bytes = readFileSync(db());
    bytes.fill(0xde, (root - 1) * pageSize, (root - 1) * pageSize + 64);
    writeFileSync(db(), bytes);
    await refused(
      'STORE_CORRUPT',
      /is corrupt \(.*\); nothing was written to it\. Restore the last good backup/,
    );
    const audit = await cli(dir.path, 'audit', 'verify');
    assert.equal(audit.code, 4, 'audit verify does not call a corrupt store intact');
    assert.match(audit.stderr, /STORE_CORRUPT/);
  });

  test('the file header overwritten: STORE_CORRUPT, never "check the permissions"', async () => {
    await used();
    const bytes = readFileSync(db());
    bytes.write('this is not a database', 0);
    writeFileSync(db(), bytes);
    await refused('STORE_CORRUPT', /is corrupt/);
  });

  test('replaced by another store: STORE_REPLACED naming both ids', async () => {
    await used();
    const other = tempDir('slipway-store-other-');
    try {
      assert.equal((await cli(other.path, 'user', 'add', 'zed', '--role', 'viewer')).code, 0);
      copyFileSync(join(other.path, '.slipway/slipway.db'), db());
      for (const f of ['-wal', '-shm']) rmSync(db() + f, { force: true });
      await refused(
        'STORE_REPLACED',
        /is not the one this project used: it is store-\w+, but .*project\.json records store-\w+/,
      );
    } finally {
      other.cleanup();
    }
  });
});

describe('slipway store backup and restore (SQLite)', () => {
  test('round trip: back up, lose the store, restore; the replaced store is kept aside', async () => {
    await used();
    const made = await cli(dir.path, 'store', 'backup', 'copy.db');
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /backed up store store-\w+ \(sqlite, \d+ bytes\) to .*copy\.db/);
    assert.equal((await cli(dir.path, 'user', 'add', 'late', '--role', 'viewer')).code, 0);
    const taken = await cli(dir.path, 'store', 'backup', 'copy.db');
    assert.equal(taken.code, 2, 'an existing file is never overwritten');
    const restored = await cli(dir.path, 'store', 'restore', 'copy.db');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /the replaced store is kept at .*slipway\.db\.replaced-/);
    const users = await cli(dir.path, 'user', 'list');
    assert.match(users.stdout, /alice/);
    assert.doesNotMatch(users.stdout, /late/, 'the store is the backup');
    const aside = readdirSync(join(dir.path, '.slipway')).find((n) => /^slipway\.db\.replaced-[^-]/.test(n));
    assert.ok(aside, 'the replaced store is kept');
    const verify = await cli(dir.path, 'audit', 'verify');
    assert.equal(verify.code, 0, verify.stderr);

    for (const f of ['', '-wal', '-shm']) rmSync(db() + f, { force: true });
    assert.equal((await cli(dir.path, 'user', 'list')).code, 4);
    const back = await cli(dir.path, 'store', 'restore', 'copy.db');
    assert.equal(back.code, 0, back.stderr);
    assert.match((await cli(dir.path, 'user', 'list')).stdout, /bob/);
  });

  test('restore verifies the backup first and refuses while a deployment is in flight unless --force', async () => {
    await used();
    writeFileSync(join(dir.path, 'junk.db'), 'not a backup');
    const junk = await cli(dir.path, 'store', 'restore', 'junk.db');
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /STORE_BACKUP_INVALID.*neither a SQLite store nor a pg_dump archive/);
    assert.equal((await cli(dir.path, 'store', 'backup', 'copy.db')).code, 0);
    const before = digest(db());
    const bytes = readFileSync(join(dir.path, 'copy.db'));
    bytes.fill(0xde, 4096 * 3, 4096 * 3 + 200);
    writeFileSync(join(dir.path, 'bad.db'), bytes);
    const bad = await cli(dir.path, 'store', 'restore', 'bad.db');
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /STORE_BACKUP_INVALID.*not a sound SQLite database/);
    assert.equal(digest(db()), before, 'a bad backup replaces nothing');

    sql(`insert into deployments (id, app, env, release_id, from_release_id, strategy, status, reason, created_by,
      created_at, updated_at, finished_at, state, revision) values ('dep-flying', 'shop', 'production', 'rel-1', null,
      'canary', 'running', null, 'alice', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', null, 'null', 1)`);
    const busy = await cli(dir.path, 'store', 'restore', 'copy.db');
    assert.equal(busy.code, 3, busy.stderr);
    assert.match(busy.stderr, /STORE_BUSY.*dep-flying \(production, running\).*--force/);
    const forced = await cli(dir.path, 'store', 'restore', 'copy.db', '--force');
    assert.equal(forced.code, 0, forced.stderr);
  });

  test('a schema migration is preceded by an automatic backup in .slipway/backups', async () => {
    await used();
    // Put the store back to schema 5: the columns migrations 6 and 9 add are dropped (the tables
    // of 7 and 8 are created only where missing).
    sql(`alter table deployments drop column audit_seq; alter table deployments drop column audit_hash;
      alter table releases drop column ci_report;
      update slipway_meta set value = '5' where key = 'schema_version'`);
    const r = await cli(dir.path, 'user', 'list');
    assert.equal(r.code, 0, r.stderr);
    const backups = readdirSync(join(dir.path, '.slipway/backups'));
    const auto = backups.find((n) => /^pre-migration-.*-schema5\.db$/.test(n));
    assert.ok(auto, `a pre-migration backup: ${backups.join(', ')}`);
    const file = join(dir.path, '.slipway/backups', auto);
    assert.equal(
      one<{ value: string }>("select value from slipway_meta where key = 'schema_version'", file).value,
      '5',
    );
    assert.equal(
      one<{ value: string }>("select value from slipway_meta where key = 'schema_version'").value,
      String(LATEST_VERSION),
    );
  });
});

describe('the audit log against the heads kept outside it', () => {
  test('truncation and whole-log replacement are detected (exit 1), also through the deployments', async () => {
    await used();
    assert.match((await cli(dir.path, 'audit', 'verify')).stdout, /intact: 2 entries.*matches 1 head/);
    const anchor = JSON.parse(readFileSync(join(dir.path, '.slipway/audit-head'), 'utf8'));
    assert.equal(anchor.stores['sqlite:.slipway/slipway.db'].seq, 2);
    copyFileSync(db(), join(dir.path, 'good.db'));

    sql('delete from audit where seq = 2');
    const cut = await cli(dir.path, 'audit', 'verify');
    assert.equal(cut.code, 1);
    assert.match(
      cut.stderr,
      /AUDIT_ANCHOR_MISMATCH.*the log has 1 entries, but the audit anchor .* saw entry 2: entries were cut off/,
    );

    // A whole new, self-consistent log in its place: the chain holds, the anchor does not.
    copyFileSync(join(dir.path, 'good.db'), db());
    sql(`update audit set actor = 'mallory' where seq = 1`);
    type AuditRow = { at: string; actor: string; action: string; target: string; data: string };
    const rehash = (seq: number, prevHash: string) => {
      const r = one<AuditRow>(`select * from audit where seq = ${seq}`);
      return auditHash({ ...r, seq, data: JSON.parse(r.data), prevHash });
    };
    const h1 = rehash(1, GENESIS_HASH);
    const h2 = rehash(2, h1);
    sql(
      `update audit set hash = '${h1}' where seq = 1; update audit set prev_hash = '${h1}', hash = '${h2}' where seq = 2`,
    );
    const swapped = await cli(dir.path, 'audit', 'verify');
    assert.equal(swapped.code, 1, swapped.stdout);
    assert.match(
      swapped.stderr,
      /entry 2 has hash sha256:\w+, but the audit anchor .* recorded sha256:\w+: the log was replaced/,
    );

    // Without the anchor file, a deployment's recorded head still catches a cut.
    copyFileSync(join(dir.path, 'good.db'), db());
    rmSync(join(dir.path, '.slipway/audit-head'));
    const head = one<{ seq: number; hash: string }>('select seq, hash from audit order by seq desc limit 1');
    sql(`insert into deployments (id, app, env, release_id, from_release_id, strategy, status, reason, created_by,
      created_at, updated_at, finished_at, state, revision, audit_seq, audit_hash) values ('dep-1', 'shop', 'staging',
      'rel-1', null, 'rolling', 'succeeded', null, 'alice', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
      null, 'null', 1, ${head.seq}, '${head.hash}'); delete from audit where seq = 2`);
    const viaDeployment = await cli(dir.path, 'audit', 'verify');
    assert.equal(viaDeployment.code, 1);
    assert.match(viaDeployment.stderr, /but deployment dep-1 \(created .*\) saw entry 2/);
  });
});

describe('slipway doctor', () => {
  test('one line per check; a corrupt store fails it with the fix (exit 1)', async () => {
    const yaml = readFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), 'utf8');
    // A router driver that needs its binary: doctor checks it is installed.
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      yaml.replace('    strategy: blue-green\n', '    strategy: blue-green\n    router: { driver: nginx }\n'),
    );
    await used();
    const r = await cli(dir.path, 'doctor');
    assert.equal(r.code, 1, 'no agent runs here');
    assert.match(r.stdout, /^ok {4}config {4}slipway\.yaml: app shop/m);
    assert.match(
      r.stdout,
      new RegExp(`^ok {4}store {5}.*store store-\\w+ \\(sqlite, schema ${LATEST_VERSION}\\)`, 'm'),
    );
    assert.match(r.stdout, /^ok {4}integrity PRAGMA integrity_check: ok/m);
    assert.match(r.stdout, /^ok {4}audit {5}2 entries, chain intact/m);
    assert.match(
      r.stdout,
      /^FAIL {2}agent {5}AGENT_UNAVAILABLE: no agent runs .* start it with `slipway agent`/m,
    );
    assert.match(
      r.stdout,
      hasBinary('nginx')
        ? /^ok {4}nginx {5}nginx version: .*\(router of staging\)/m
        : /^FAIL {2}nginx {5}not found \(router of staging\); install it/m,
    );
    const bytes = readFileSync(db());
    bytes.write('this is not a database', 0);
    writeFileSync(db(), bytes);
    const sick = await cli(dir.path, 'doctor');
    assert.equal(sick.code, 1);
    assert.match(sick.stdout, /^FAIL {2}store {5}STORE_CORRUPT: .*Restore the last good backup/m);
  });
});
