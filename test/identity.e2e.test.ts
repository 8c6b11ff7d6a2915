/**
 * One identity model (issue: "the CLI gets round the server's four-eyes rule"). A real
 * `slipway server` process owns the store: the local CLI may not approve on it, whatever
 * SLIPWAY_USER says; the approval goes through the server with a token and records how the user
 * was established. Without a server, the local CLI acts as the OS user; SLIPWAY_USER counts only
 * where slipway.yaml allows it for development.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seedState } from '../src/server/testing.ts';
import type { Store } from '../src/store/contract.ts';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli, initToken, startSlipway, stopProcess } from './cli-helpers.ts';

const me = userInfo().username;
const config = (allow: boolean) => `app: shop
run: { command: node server.js }
${allow ? 'identity: { allowSlipwayUser: true }\n' : ''}users: { alice: [approver], ${me}: [approver] }
environments:
  staging: {}
  production:
    after: staging
    approval: { required: 1, role: approver }
    checklist: { template: seed }
`;

/** A production deployment by `by`, waiting for its go, written straight into the store. */
async function seedWaiting(store: Store, by: string): Promise<string> {
  const { release } = await store.putRelease({
    app: 'shop',
    version: `1.0.${Math.floor(Math.random() * 1e6)}`,
    digest: `sha256:${'b'.repeat(64)}`.slice(0, 71),
    commit: null,
    ci: 'passed',
    createdBy: 'ci',
    files: 1,
    bytes: 1,
    notes: null,
  });
  const d = await store.createDeployment({
    app: 'shop',
    env: 'production',
    releaseId: release.id,
    fromReleaseId: null,
    strategy: 'rolling',
    createdBy: by,
    state: seedState('shop', 'production', release),
    status: 'running',
  });
  return d.id;
}

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const local = { SLIPWAY_URL: '', SLIPWAY_TOKEN: '' };

describe('a store owned by a server: decisions go through it', () => {
  const dir = tempDir('slipway-identity-server-');
  let server: ChildProcess | undefined;
  let url = '';
  let admin = '';
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), config(true));
    const s = await startSlipway(dir.path, ['server', '--port', '0', '--init'], /API on http/);
    server = s.child;
    url = /API on (http:\/\/[\d.:]+)/.exec(s.out())?.[1] as string;
    admin = initToken(s.out());
  });
  after(async () => {
    await stopProcess(server);
    dir.cleanup();
  });
  const remote = (token: string) => ({ SLIPWAY_URL: url, SLIPWAY_TOKEN: token, SLIPWAY_USER: '' });
  const tokenFor = async (name: string, role: string) => {
    const add = await withEnv(remote(admin), () =>
      cli(dir.path, 'user', 'add', name, '--role', role, '--env', 'production'),
    );
    assert.equal(add.code, 0, add.stderr);
    const t = await withEnv(remote(admin), () => cli(dir.path, 'token', 'create', '--user', name));
    assert.equal(t.code, 0, t.stderr);
    return /^(slw_\S+)$/m.exec(t.stdout)?.[1] as string;
  };

  test('the local CLI refuses to approve, as the OS user and "as alice"; the server approves with a token', async () => {
    const approver = await tokenFor('carol', 'approver');
    const store = await openStore(undefined, dir.path);
    let id: string;
    try {
      id = await seedWaiting(store, 'dave');
    } finally {
      await store.close();
    }
    // As in the finding: one person, store access, and a name from the environment.
    const asAlice = await withEnv({ ...local, SLIPWAY_USER: 'alice' }, () => cli(dir.path, 'approve', id));
    assert.equal(asAlice.code, 3, asAlice.stdout);
    assert.match(asAlice.stderr, /error\[DECISION_NEEDS_SERVER\].*SLIPWAY_URL and SLIPWAY_TOKEN/);
    const asMe = await withEnv({ ...local, SLIPWAY_USER: '' }, () => cli(dir.path, 'approve', id));
    assert.equal(asMe.code, 3);
    assert.match(asMe.stderr, /error\[DECISION_NEEDS_SERVER\]/);
    for (const argv of [
      ['reject', id, '--reason', 'no'],
      ['override', id, '--gate', 'window', '--reason', 'now'],
    ]) {
      const r = await withEnv({ ...local, SLIPWAY_USER: '' }, () => cli(dir.path, ...argv));
      assert.equal(r.code, 3, `${argv[0]}: ${r.stderr}`);
      assert.match(r.stderr, /DECISION_NEEDS_SERVER/);
    }
    // A deployment started locally "as someone else" on the server's store is refused as well.
    const deploy = await withEnv({ ...local, SLIPWAY_USER: 'alice' }, () =>
      cli(dir.path, 'deploy', 'nothing', '--env', 'staging'),
    );
    assert.equal(deploy.code, 3);
    assert.match(deploy.stderr, /error\[IDENTITY_REFUSED\]/);

    const viaServer = await withEnv(remote(approver), () => cli(dir.path, 'approve', id, '--reason', 'ok'));
    assert.equal(viaServer.code, 0, viaServer.stderr);
    const check = await openStore(undefined, dir.path);
    try {
      const approvals = await check.listApprovals(id);
      assert.deepEqual(
        approvals.map((a) => [a.user, a.decision]),
        [['carol', 'approve']],
        'only the approval through the server is stored',
      );
      const audit = (await check.listAudit(0, 10_000)).filter((e) => e.action === 'gate.approve');
      assert.equal(audit.length, 1);
      assert.equal((audit[0]?.data as { identity?: string } | undefined)?.identity, 'token');
    } finally {
      await check.close();
    }

    // The other decisions go through the server too: a checklist tick, an admin's override.
    const tick = await withEnv(remote(approver), () =>
      cli(dir.path, 'check', id, 'on-call-available', '--note', 'pager is with carol'),
    );
    assert.equal(tick.code, 0, tick.stderr);
    assert.match(tick.stdout, /checked on-call-available on .* as carol/);
    const over = await withEnv(remote(admin), () =>
      cli(dir.path, 'override', id, '--gate', 'window', '--reason', 'hotfix'),
    );
    assert.equal(over.code, 0, over.stderr);
    const denied = await withEnv(remote(approver), () =>
      cli(dir.path, 'override', id, '--gate', 'window', '--reason', 'me too'),
    );
    assert.equal(denied.code, 3, 'an approver is no admin');
    const after = await openStore(undefined, dir.path);
    try {
      const rows = (await after.listAudit(0, 10_000))
        .filter((e) => e.action === 'gate.checklist.tick' || e.action === 'gate.window.override')
        .map((e) => [e.actor, e.action, (e.data as { identity?: string }).identity]);
      assert.deepEqual(rows, [
        ['carol', 'gate.checklist.tick', 'token'],
        ['admin', 'gate.window.override', 'token'],
      ]);
    } finally {
      await after.close();
    }
  });
});

describe('a store without server users: the OS user, SLIPWAY_USER only when slipway.yaml allows it', () => {
  const dir = tempDir('slipway-identity-local-');
  after(() => dir.cleanup());

  test('SLIPWAY_USER is refused unless allowed; each decision records how its user was established', async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), config(false));
    const store = await openStore(undefined, dir.path);
    let first: string;
    let second: string;
    try {
      first = await seedWaiting(store, 'dave');
      second = await seedWaiting(store, 'dave');
    } finally {
      await store.close();
    }
    const refused = await withEnv({ ...local, SLIPWAY_USER: 'alice' }, () => cli(dir.path, 'approve', first));
    assert.equal(refused.code, 3);
    assert.match(
      refused.stderr,
      new RegExp(
        `error\\[IDENTITY_REFUSED\\]: SLIPWAY_USER=alice is set, but the local CLI acts as the OS user "${me}".*identity: \\{ allowSlipwayUser: true \\}`,
      ),
    );
    const asMe = await withEnv({ ...local, SLIPWAY_USER: '' }, () => cli(dir.path, 'approve', first));
    assert.equal(asMe.code, 0, asMe.stderr);
    assert.match(asMe.stdout, new RegExp(`approved ${first} as ${me}`));

    writeFileSync(join(dir.path, 'slipway.yaml'), config(true));
    const asAlice = await withEnv({ ...local, SLIPWAY_USER: 'alice' }, () =>
      cli(dir.path, 'approve', second),
    );
    assert.equal(asAlice.code, 0, asAlice.stderr);

    const check = await openStore(undefined, dir.path);
    try {
      const audit = (await check.listAudit(0, 10_000))
        .filter((e) => e.action === 'gate.approve')
        .map((e) => [e.actor, (e.data as { identity?: string }).identity]);
      assert.deepEqual(audit, [
        [me, 'os-user'],
        ['alice', 'SLIPWAY_USER'],
      ]);
      const events = (await check.listEvents(second)).filter((e) => e.type === 'gate');
      assert.equal((events.at(-1)?.data as { identity?: string } | undefined)?.identity, 'SLIPWAY_USER');
    } finally {
      await check.close();
    }
  });
});
