/**
 * The contract phase through the server (what the dashboard's button calls): GET says what the
 * live release holds back and whether it may run, POST records the approver's go and runs it,
 * audited with how it was made. Real `slipway server`, real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, initToken, startSlipway, stopProcess } from '../../test/cli-helpers.ts';
import { openStore } from '../store/factory.ts';
import { serviceSkip } from '../testing.ts';
import { freshDatabase, migrationsProject, pgAvailable, query } from './testing.ts';

const skip = serviceSkip(
  'PostgreSQL',
  await pgAvailable(),
  'start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres)',
);

test('an approver runs the held contract migrations through the API; the go is audited', {
  skip,
}, async (t) => {
  const db = await freshDatabase();
  const p = migrationsProject(db.url, {
    '0001_init.sql':
      'CREATE TABLE orders (id int PRIMARY KEY, note text);\nINSERT INTO orders VALUES (1, NULL);\n',
  });
  t.after(async () => {
    p.cleanup();
    await db.drop();
  });
  const release = async (v: string) =>
    assert.equal((await cli(p.path, 'release', 'create', '--version', v, '.')).code, 0);
  await release('1.0.0');
  await release('2.0.0');
  p.write('0002_drop_note.sql', '-- slipway:contract-after 2.0.0\nALTER TABLE orders DROP COLUMN note;\n');
  await release('3.0.0');
  const applied = await cli(p.path, 'migrations', 'apply', '--env', 'staging', '--release', '3.0.0');
  assert.match(applied.stdout, /held for the contract phase: 0002_drop_note\.sql/);
  const store = await openStore(undefined, p.path);
  try {
    for (const v of ['2.0.0', '3.0.0']) {
      const r = await store.findRelease('shop', v);
      await store.setEnvironmentRelease('shop', 'staging', r?.id ?? null, 'test');
    }
  } finally {
    await store.close();
  }
  const s = await startSlipway(p.path, ['server', '--port', '0', '--init'], /API on http/, 30_000);
  t.after(() => stopProcess(s.child));
  const url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
  const token = initToken(s.out());
  const call = (method: string, body?: object, auth = token) =>
    fetch(`${url}/api/environments/staging/migrations/contract`, {
      method,
      headers: { ...(auth && { authorization: `Bearer ${auth}` }), 'content-type': 'application/json' },
      ...(body && { body: JSON.stringify(body) }),
    });

  const shown = await call('GET');
  assert.equal(shown.status, 200);
  assert.deepEqual(await shown.json(), {
    env: 'staging',
    release: '3.0.0',
    pending: ['0002_drop_note.sql'],
    mayRun: true,
    why: null,
  });
  assert.equal((await call('POST', {}, '')).status, 401, 'no token, no go');
  const go = await call('POST', { reason: 'verified' });
  const body = (await go.json()) as { applied: string[]; backup: string | null; summary: string };
  assert.equal(go.status, 200, JSON.stringify(body));
  assert.deepEqual(body.applied, ['0002_drop_note.sql']);
  assert.ok(body.backup, 'backed up first');
  const cols = await query(
    db.url,
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'",
  );
  assert.deepEqual(
    cols.rows.map((r) => r.column_name),
    ['id'],
  );
  assert.deepEqual(((await (await call('GET')).json()) as { pending: string[] }).pending, []);
  const again = await call('POST', {});
  assert.equal(again.status, 409, await again.text());

  await stopProcess(s.child);
  const after = await openStore(undefined, p.path);
  try {
    const entry = (await after.listAudit()).find((a) => a.action === 'migrations.contract.approved');
    assert.equal(entry?.actor, 'admin');
    assert.deepEqual(entry?.data, {
      release: '3.0.0',
      files: ['0002_drop_note.sql'],
      via: 'token',
      reason: 'verified',
    });
  } finally {
    await after.close();
  }
});
