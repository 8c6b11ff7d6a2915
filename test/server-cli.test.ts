/**
 * The server's commands end to end: `slipway user`, `token`, `audit verify|export` on a real
 * SQLite store (tampered with by hand), and `slipway server --init` as its own process, used by
 * the CLI through SLIPWAY_URL + SLIPWAY_TOKEN.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { seedDeployment } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, initToken } from './cli-helpers.ts';

describe('slipway user, token and audit (local store)', () => {
  const dir = tempDir('slipway-server-cli-');
  after(() => dir.cleanup());

  test('adds users with roles per environment, issues a token once, lists and revokes it', async () => {
    assert.equal(
      (await cli(dir.path, 'user', 'add', 'alice', '--role', 'deployer', '--env', 'staging')).code,
      0,
    );
    const granted = await cli(dir.path, 'user', 'grant', 'alice', '--role', 'viewer', '--env', 'production');
    assert.equal(granted.stdout.trim(), 'alice: viewer on production, deployer on staging');
    const bad = await cli(dir.path, 'user', 'grant', 'alice', '--role', 'king');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--role: expected one of viewer, deployer, approver, admin, found "king"/);
    const created = await cli(
      dir.path,
      'token',
      'create',
      '--user',
      'alice',
      '--name',
      'ci',
      '--expires-in-days',
      '7',
    );
    assert.equal(created.code, 0, created.stderr);
    const secret = created.stdout.trim().split('\n')[1] as string;
    assert.match(secret, /^slw_[\w-]{43}$/);
    const id = /token (tok-\w+)/.exec(created.stdout)?.[1] as string;
    const list = await cli(dir.path, 'token', 'list');
    assert.match(list.stdout, new RegExp(`${id}\\s+alice\\s+ci\\s.*active`));
    assert.doesNotMatch(list.stdout, /slw_/, 'the secret is shown once only');
    const files = ['slipway.db', 'slipway.db-wal'].map((f) => join(dir.path, '.slipway', f));
    const store = files
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    assert.ok(!store.includes(secret), 'the store holds only the hash');
    assert.equal((await cli(dir.path, 'token', 'revoke', id)).code, 0);
    assert.match((await cli(dir.path, 'token', 'list')).stdout, /revoked/);
    const nobody = await cli(dir.path, 'token', 'create', '--user', 'nobody');
    assert.equal(nobody.code, 2);
    assert.match(nobody.stderr, /no user "nobody"; create it first/);
  });

  test('audit verify passes, then names the first edited, removed or reordered entry and exits 1', async () => {
    const ok = await cli(dir.path, 'audit', 'verify');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit log intact: \d+ entries/);
    const exported = await cli(dir.path, 'audit', 'export');
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.length >= 4);
    assert.deepEqual(
      lines.map((l) => l.seq),
      lines.map((_, i) => i + 1),
    );
    assert.equal(lines[1].prevHash, lines[0].hash);
    const db = join(dir.path, '.slipway/slipway.db');
    const backup = join(dir.path, 'backup.db');
    const tamper = (sql: string) => {
      copyFileSync(db, backup);
      const raw = new DatabaseSync(db);
      raw.exec(sql);
      raw.close();
    };
    const restore = () => copyFileSync(backup, db);
    for (const [sql, seq, why] of [
      [`update audit set actor = 'mallory' where seq = 2`, 2, /edited/],
      ['delete from audit where seq = 2', 3, /removed or reordered/],
      [
        'update audit set seq = -1 where seq = 2; update audit set seq = 2 where seq = 3; update audit set seq = 3 where seq = -1',
        2,
        /./,
      ],
    ] as const) {
      tamper(sql);
      const r = await cli(dir.path, 'audit', 'verify');
      restore();
      assert.equal(r.code, 1, sql);
      assert.match(r.stderr, new RegExp(`error\\[AUDIT_CHAIN_BROKEN\\]: audit entry ${seq} is bad: `), sql);
      assert.match(r.stderr, why);
    }
    assert.equal((await cli(dir.path, 'audit', 'verify')).code, 0);
  });
});

describe('slipway server --init, used through SLIPWAY_URL + SLIPWAY_TOKEN', () => {
  const dir = tempDir('slipway-server-proc-');
  let child: ChildProcess;
  let url = '';
  let token = '';
  let output = '';
  before(async () => {
    copyFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), join(dir.path, 'slipway.yaml'));
    child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        join(repoRoot, 'bin/slipway.js'),
        'server',
        '--init',
        '--port',
        '0',
      ],
      { cwd: dir.path, env: { ...process.env, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' } },
    );
    child.stderr?.on('data', (c) => (output += c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGTERM');
        reject(new Error(`server did not start: ${output}`));
      }, 20_000);
      child.stdout?.on('data', (chunk) => {
        output += chunk;
        const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          url = m[1] as string;
          token = initToken(output);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)));
    });
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    dir.cleanup();
  });
  const withServer = async <T>(fn: () => Promise<T>, t = token): Promise<T> => {
    const saved = { url: process.env.SLIPWAY_URL, token: process.env.SLIPWAY_TOKEN };
    process.env.SLIPWAY_URL = url;
    process.env.SLIPWAY_TOKEN = t;
    try {
      return await fn();
    } finally {
      for (const [k, v] of [
        ['SLIPWAY_URL', saved.url],
        ['SLIPWAY_TOKEN', saved.token],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  };

  test('writes the first admin token to a 0600 file, prints only its path, and serves the API with it', async () => {
    assert.match(token, /^slw_/);
    assert.doesNotMatch(output, /slw_/, 'the token itself is never printed');
    const file = join(dir.path, '.slipway/first-admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const me = await fetch(`${url}/api/session`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(((await me.json()) as { user: string }).user, 'admin');
    assert.equal((await fetch(`${url}/api/session`)).status, 401);
  });

  test('status and history go through the server', async () => {
    const other = tempDir('slipway-client-');
    try {
      // The client has only the config; the store is the server's.
      copyFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), join(other.path, 'slipway.yaml'));
      const status = await withServer(() => cli(other.path, 'status'));
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`shop: staging → production \\(server ${url}\\)`));
      const history = await withServer(() => cli(other.path, 'history', '--json'));
      assert.equal(history.code, 0, history.stderr);
      assert.deepEqual(JSON.parse(history.stdout), []);
      const paused = await withServer(() => cli(other.path, 'pause', 'staging'));
      assert.equal(paused.code, 2);
      assert.match(paused.stderr, /no deployment in flight on staging/);
      const denied = await withServer(() => cli(other.path, 'status'), 'slw_wrong');
      assert.equal(denied.code, 3);
      assert.match(denied.stderr, /error\[UNAUTHORIZED\]/);
    } finally {
      other.cleanup();
    }
  });

  test('pauses and resumes through the server while no agent runs (actions are engine events)', async () => {
    const store = await openStore(join(dir.path, '.slipway/slipway.db'), dir.path);
    try {
      const d = await seedDeployment(store, { env: 'staging' });
      const paused = await withServer(() => cli(dir.path, 'pause', 'staging'));
      assert.equal(paused.code, 0, paused.stderr);
      assert.match(
        paused.stdout,
        new RegExp(`pause of deployment ${d.id} on staging sent to .*; it is paused`),
      );
      const resumed = await withServer(() => cli(dir.path, 'resume', 'staging'));
      assert.equal(resumed.code, 0, resumed.stderr);
      const audit = (await store.listAudit(0, 1000))
        .filter((e) => e.target === d.id)
        .map((e) => [e.actor, e.action]);
      assert.deepEqual(audit, [
        ['admin', 'deployment.pause'],
        ['admin', 'deployment.resume'],
      ]);
    } finally {
      await store.close();
    }
  });

  test('refuses a half-configured client', async () => {
    process.env.SLIPWAY_URL = url;
    try {
      const r = await cli(dir.path, 'status');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /SLIPWAY_TOKEN is not set/);
    } finally {
      delete process.env.SLIPWAY_URL;
    }
  });
});
