/**
 * One application core, two ways in: the same action on the same deployment, once through the CLI
 * in local mode and once through the server's API, ends with the same status, reason and audit
 * actions (no agent needed: the deployments wait at their approval step).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createApp } from '../src/app/compose.ts';
import { noProjectSecrets } from '../src/app/secrets.ts';
import { parseConfig } from '../src/config/load.ts';
import { AppError } from '../src/domain/errors.ts';
import type { PlanStep } from '../src/engine/plan.ts';
import { grantUsers } from '../src/server/auth/grant-users.ts';
import { issueToken } from '../src/server/auth/tokens.ts';
import { startServer } from '../src/server/main.ts';
import { seedState } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = `app: shop
run: { command: "node server.js", instances: 1 }
environments:
  production:
    strategy: rolling
    approval: { required: 1 }
identity: { allowSlipwayUser: true } # development: these tests play several people
users:
  alice: [deployer]
  bob: [approver]
`;

const PLAN: readonly PlanStep[] = [
  { kind: 'preflight' },
  { kind: 'approval' },
  { kind: 'start', count: 1 },
  { kind: 'shift', weight: 100 },
  { kind: 'finalize' },
];

/** A project with one deployment waiting at its approval step, as `slipway deploy` leaves it. */
async function project(): Promise<{ dir: string; id: string; cleanup: () => void }> {
  const dir = tempDir('slipway-paths-');
  writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
  const store = await openStore(undefined, dir.path);
  const { release } = await store.putRelease({
    app: 'shop',
    version: '1.0.0',
    digest: `sha256:${'b'.repeat(64)}`,
    commit: null,
    ci: 'passed',
    createdBy: 'ci',
    files: 1,
    bytes: 1,
    notes: null,
  });
  const now = Date.now();
  const d = await store.createDeployment({
    app: 'shop',
    env: 'production',
    releaseId: release.id,
    fromReleaseId: null,
    strategy: 'rolling',
    createdBy: 'alice',
    status: 'running',
    state: seedState('shop', 'production', release, {
      plan: PLAN,
      step: 1,
      stepStartedAt: now,
      timeline: [
        { at: now, what: 'deployment created' },
        { at: now, what: 'began: preflight' },
        { at: now, what: 'done: preflight' },
        { at: now, what: 'began: approval' },
      ],
    }),
  });
  await store.appendAudit({ actor: 'alice', action: 'deployment.start', target: d.id, data: {} });
  await store.close();
  return { dir: dir.path, id: d.id, cleanup: dir.cleanup };
}

async function outcome(dir: string, id: string) {
  const store = await openStore(undefined, dir);
  try {
    const d = await store.getDeployment(id);
    const audit = (await store.listAudit()).filter((a) => a.target === id);
    return {
      status: d?.status,
      reason: d?.reason,
      actions: audit.map((a) => `${a.actor} ${a.action}`),
    };
  } finally {
    await store.close();
  }
}

/** The same action through `slipway server`'s API, as bob with an approver grant. */
async function throughServer(dir: string, id: string, action: string, reason: string) {
  const parsed = parseConfig(CONFIG, 'slipway.yaml');
  assert.ok(parsed.ok);
  const store = await openStore(undefined, dir);
  const app = createApp({
    config: parsed.config,
    projectDir: dir,
    dataDir: join(dir, '.slipway'),
    store,
    secrets: noProjectSecrets(),
    agent: () => {
      throw new AppError('AGENT_UNAVAILABLE', 'no agent in this test');
    },
    users: grantUsers(store, parsed.config),
  });
  const server = await startServer({ store, config: parsed.config, app, port: 0, dashboard: false });
  try {
    await store.putUser('bob', 'test');
    await store.setGrant({ user: 'bob', env: 'production', role: 'approver' }, true);
    const { secret } = await issueToken(store, { user: 'bob', name: 't', expiresInDays: 1, by: 'test' });
    const res = await fetch(`${server.url}/api/deployments/${id}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason }),
    });
    assert.equal(res.status, 200, await res.clone().text());
  } finally {
    await server.close();
    await store.close();
  }
}

describe('the same action through the CLI and through the server ends the same way', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups) c();
  });

  for (const action of ['reject', 'approve'] as const) {
    test(action, async () => {
      const local = await project();
      const remote = await project();
      cleanups.push(local.cleanup, remote.cleanup);
      process.env.SLIPWAY_USER = 'bob';
      try {
        const r = await cli(local.dir, action, local.id, '--reason', 'not before the sale');
        assert.equal(r.code, 0, r.stderr);
      } finally {
        delete process.env.SLIPWAY_USER;
      }
      await throughServer(remote.dir, remote.id, action, 'not before the sale');
      const [a, b] = [await outcome(local.dir, local.id), await outcome(remote.dir, remote.id)];
      assert.deepEqual(a, b);
      if (action === 'reject') {
        assert.equal(a.status, 'failed');
        assert.equal(a.reason, 'no-go: rejected by bob: not before the sale');
        assert.deepEqual(a.actions, ['alice deployment.start', 'bob gate.reject', 'alice deployment.failed']);
      } else {
        assert.equal(a.status, 'running');
        assert.deepEqual(a.actions, ['alice deployment.start', 'bob gate.approve']);
      }
    });
  }
});
