/**
 * The gate commands through the CLI: approve, reject, check, checklist, override — who may do
 * what, the messages of each refusal, and the audit entries and timeline events they leave.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seedState } from '../src/server/testing.ts';
import type { Store } from '../src/store/contract.ts';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = `app: shop
run: { command: node server.js }
identity: { allowSlipwayUser: true } # development: these tests play several people
users: { alice: [deployer, approver], bob: [approver], dave: [deployer], root: [admin] }
environments:
  staging: {}
  production:
    after: staging
    approval: { required: 1, role: approver }
    checklist: { template: seed }
`;

describe('gate commands', () => {
  const dir = tempDir('slipway-gates-cli-');
  let store: Store;
  let running: string;
  let finished: string;
  const as = async (user: string, ...argv: string[]) => {
    process.env.SLIPWAY_USER = user;
    try {
      return await cli(dir.path, ...argv);
    } finally {
      delete process.env.SLIPWAY_USER;
    }
  };
  const reopen = () => openStore(undefined, dir.path);

  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    store = await reopen();
    const { release } = await store.putRelease({
      app: 'shop',
      version: '1.0.0',
      digest: `sha256:${'a'.repeat(64)}`,
      commit: null,
      ci: 'passed',
      createdBy: 'alice',
      files: 1,
      bytes: 1,
      notes: null,
    });
    const base = {
      app: 'shop',
      env: 'production',
      releaseId: release.id,
      fromReleaseId: null,
      strategy: 'rolling',
    };
    const state = seedState('shop', 'production', release);
    running = (await store.createDeployment({ ...base, createdBy: 'alice', state, status: 'running' })).id;
    finished = (await store.createDeployment({ ...base, createdBy: 'alice', state, status: 'succeeded' })).id;
    await store.close();
  });
  after(() => dir.cleanup());

  test('an approval from an unknown user names the value and the fix', async () => {
    const r = await as('eve', 'approve', running);
    assert.equal(r.code, 3);
    assert.equal(
      r.stderr.trim(),
      'error[USER_UNKNOWN]: unknown user "eve": slipway.yaml has no such entry under users:; add it with its roles, e.g. users: { eve: [approver] }, or act as a listed user (the OS user; SLIPWAY_USER only where identity.allowSlipwayUser allows it)',
    );
  });

  test('self-approval and approval without the role are refused', async () => {
    const self = await as('alice', 'approve', running);
    assert.equal(self.code, 3);
    assert.match(
      self.stderr,
      /APPROVAL_REFUSED.*"alice" started deployment dep-\w+ and production forbids approving one's own deployment \(four-eyes\)/,
    );
    const noRole = await as('dave', 'approve', running);
    assert.match(
      noRole.stderr,
      /user "dave" does not hold the role approver that production approvals need \(their roles: deployer\)/,
    );
  });

  test('another approver approves: stored, audited, on the timeline', async () => {
    const r = await as('bob', 'approve', running, '--reason', 'staging looked fine');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `approved ${running} as bob: staging looked fine`);
    const s = await reopen();
    try {
      assert.deepEqual(
        (await s.listApprovals(running)).map((a) => [a.user, a.decision, a.reason]),
        [['bob', 'approve', 'staging looked fine']],
      );
      const audit = (await s.listAudit()).filter((e) => e.target === running);
      assert.deepEqual(
        audit.map((e) => [e.actor, e.action]),
        [['bob', 'gate.approve']],
      );
      const events = (await s.listEvents(running)).map((e) => [e.type, (e.data as { what: string }).what]);
      assert.deepEqual(events, [['gate', 'approved by bob: staging looked fine']]);
    } finally {
      await s.close();
    }
  });

  test('a decision on a finished deployment is refused; a rejection needs a reason', async () => {
    const r = await as('bob', 'approve', finished);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      new RegExp(`deployment ${finished} is already succeeded; a decision can only be made while it runs`),
    );
    const noReason = await as('bob', 'reject', running);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /required option '--reason <text>' not specified/);
  });

  test('check ticks a manual item as a named user; checklist shows it all', async () => {
    const auto = await as('dave', 'check', running, 'ci-passed');
    assert.equal(auto.code, 2);
    assert.match(auto.stderr, /CHECKLIST_ITEM_UNKNOWN.*"ci-passed" is checked by slipway itself/);
    const unknown = await as('dave', 'check', running, 'oncall');
    assert.match(unknown.stderr, /no checklist item "oncall" \(items: ci-passed, /);
    const r = await as('dave', 'check', running, 'on-call-available', '--note', 'carol has the pager');
    assert.equal(r.code, 0, r.stderr);
    const again = await as('bob', 'check', running, 'on-call-available');
    assert.match(again.stdout, /on-call-available on dep-\w+ was already checked by dave at /);
    const list = await as('bob', 'checklist', running, '--json');
    const items = JSON.parse(list.stdout).items as {
      id: string;
      done: boolean;
      by?: string;
      detail: string;
    }[];
    const byId = Object.fromEntries(items.map((i) => [i.id, i]));
    assert.deepEqual(
      [byId['on-call-available']?.done, byId['on-call-available']?.by, byId['on-call-available']?.detail],
      [true, 'dave', 'carol has the pager'],
    );
    assert.deepEqual(
      [byId['previous-succeeded']?.done, byId['previous-succeeded']?.detail],
      [false, 'no success of this digest in staging within the last 24 h'],
    );
    const text = await as('bob', 'checklist', running);
    assert.match(text.stdout, /pre {5}\[x\] {3}on-call-available {6}manual {2}carol has the pager — dave /);
    assert.match(text.stdout, /4 required item\(s\) open: they hold the deployment/);
  });

  test('promote names the lifecycle and what is missing', async () => {
    const wrong = await as('alice', 'promote', '--from', 'dev', '--to', 'production');
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /ENV_NOT_FOUND.*no environment "dev" in slipway.yaml \(environments: staging, production\)/,
    );
    const skip = await as('alice', 'promote', '--from', 'production', '--to', 'staging');
    assert.equal(skip.code, 3);
    assert.match(skip.stderr, /staging comes after nothing \(it starts the lifecycle\), not production/);
    const empty = await as('alice', 'promote', '--from', 'staging', '--to', 'production');
    assert.equal(empty.code, 3);
    assert.match(
      empty.stderr,
      /PROMOTION_REFUSED.*staging runs no release yet; deploy one there first \(`slipway deploy RELEASE --env staging`\)/,
    );
  });

  test('an override needs the admin role and is audited', async () => {
    const r = await as('bob', 'override', running, '--gate', 'window', '--reason', 'hotfix');
    assert.equal(r.code, 3);
    assert.match(r.stderr, /OVERRIDE_REFUSED.*user "bob" may not override gates: that needs the role admin/);
    const ok = await as('root', 'override', running, '--gate', 'checklist', '--reason', 'payments are down');
    assert.equal(ok.code, 0, ok.stderr);
    const s = await reopen();
    try {
      const last = (await s.listAudit()).at(-1);
      assert.deepEqual(
        [last?.actor, last?.action, (last?.data as { reason?: string } | undefined)?.reason],
        ['root', 'gate.checklist.override', 'payments are down'],
      );
    } finally {
      await s.close();
    }
  });
});
