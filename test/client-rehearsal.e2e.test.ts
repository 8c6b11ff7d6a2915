/**
 * The client's seat through the API and a remote CLI, with a real server, agent and instances
 * (no browser): "rehearse switching back" on staging really switches traffic to the previous
 * version and back, measured and audited as a drill, leaving the environment as it was; the
 * production card then quotes it as a rehearsal on staging. `slipway promote --override` works
 * from a remote CLI (SLIPWAY_URL + token), for an admin only; `slipway status` there prints the
 * public addresses of slipway.yaml.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot } from '../src/testing.ts';
import { type DashboardStack, startDashboardStack } from './dashboard-stack.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
config:
  require: { GREETING: string }
  values: { GREETING: hello }
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    acceptance: { by: approver }
  production:
    after: staging
    url: https://shop.example/
    profile: fast
    strategy: { blue-green: { warmFor: 10m } }
    revert: { by: approver }
`;

type Drill = {
  env: string;
  ms: number;
  backMs: number;
  by: string;
  version: string;
  previousVersion: string;
};
type Client = {
  url: string;
  revert: { kind: string | null; rehearsed: Drill | null; drillable: boolean };
  mayRehearse: boolean;
};

describe('rehearsing a revert on staging, and promote --override from a remote CLI', () => {
  let stack: DashboardStack;
  let tokens: Record<string, string>;
  const raw = (token: string, method: string, path: string, body?: unknown) =>
    fetch(stack.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const remoteCli = (token: string, ...argv: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
        { cwd: stack.dir, env: { ...process.env, SLIPWAY_URL: stack.url, SLIPWAY_TOKEN: token } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  const deploy = async (env: string, release: string) => {
    const d = await stack.call<{ id: string }>(tokens.dev as string, 'POST', '/api/deployments', {
      env,
      release,
    });
    assert.equal(await stack.settle(tokens.dev as string, d.id), 'succeeded');
  };

  before(async () => {
    stack = await startDashboardStack(['1.0.0', '2.0.0'], {
      config: CONFIG,
      users: [['carol', 'approver', '*']],
    });
    tokens = stack.tokens as Record<string, string>;
    await deploy('staging', '1.0.0');
  });
  after(async () => stack?.close());

  test('with one version on staging there is nothing to rehearse, said plainly', async () => {
    const r = await raw(tokens.carol as string, 'POST', '/api/environments/staging/revert-drill');
    assert.equal(r.status, 404);
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /no earlier version/);
  });

  test('the client rehearses switching back on staging: measured, audited, staging left as it was', async () => {
    await deploy('staging', '2.0.0');
    const carol = tokens.carol as string;
    const info = await stack.call<Client>(carol, 'GET', '/api/environments/staging/client');
    assert.deepEqual([info.mayRehearse, info.revert.kind, info.revert.drillable], [true, 'switch', true]);
    assert.equal(info.revert.rehearsed, null);
    const agent = connectLocalAgent(join(stack.dir, '.slipway', 'agent'));
    const desired = await agent.desired('staging');
    const weights = (d: typeof desired) => d?.releases.map((r) => [r.release, r.weight, r.retireAt ?? null]);
    assert.ok(
      desired?.releases.some((r) => r.weight === 0 && r.retireAt),
      'the previous release is warm',
    );
    const history = await stack.call<unknown[]>(carol, 'GET', '/api/deployments?env=staging');

    const drill = await stack.call<Drill>(carol, 'POST', '/api/environments/staging/revert-drill');
    assert.deepEqual([drill.version, drill.previousVersion, drill.by], ['2.0.0', '1.0.0', 'carol']);
    assert.ok(drill.ms > 0 && drill.ms < 5000 && drill.backMs > 0, JSON.stringify(drill));

    // Staging is as it was: same weights, and the previous release still stops when it was due to.
    assert.deepEqual(weights(await agent.desired('staging')), weights(desired));
    const served = await (await fetch(info.url)).text();
    assert.match(served, /"version":\s*"2\.0\.0"/);
    // No deployment recorded (history and acceptance stay), but the drill is in the audit.
    assert.equal(
      (await stack.call<unknown[]>(carol, 'GET', '/api/deployments?env=staging')).length,
      history.length,
    );
    const audit = await stack.call<{ action: string; actor: string; target: string }[]>(
      tokens.admin as string,
      'GET',
      '/api/audit?limit=1000',
    );
    assert.ok(
      audit.some(
        (a) => a.action === 'environment.revert.drill' && a.actor === 'carol' && a.target === 'shop/staging',
      ),
    );
    assert.ok(!audit.some((a) => a.action === 'environment.revert.measured' && a.target === 'shop/staging'));

    // Staging quotes it as a rehearsal here; production (where drills never run) as one on staging.
    const again = await stack.call<Client>(carol, 'GET', '/api/environments/staging/client');
    assert.equal(again.revert.rehearsed?.env, 'staging');
    const production = await stack.call<Client>(carol, 'GET', '/api/environments/production/client');
    assert.deepEqual([production.mayRehearse, production.revert.drillable], [false, false]);
    assert.equal(production.revert.rehearsed?.env, 'staging');
  });

  test('never on production, and only for those who revert or accept there', async () => {
    const prod = await raw(tokens.admin as string, 'POST', '/api/environments/production/revert-drill');
    assert.equal(prod.status, 400);
    assert.match(await prod.text(), /never on production, where it would send real visitors back/);
    // alice approves production and only reads staging.
    const alice = await raw(tokens.alice as string, 'POST', '/api/environments/staging/revert-drill');
    assert.equal(alice.status, 403);
  });

  test('promote --override from a remote CLI: refused without it, an admin only, then it runs', async () => {
    // 2.0.0 succeeded on staging but nobody accepted it there: the lifecycle rule refuses.
    const refused = await remoteCli(
      tokens.dev as string,
      'promote',
      '--from',
      'staging',
      '--to',
      'production',
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /PROMOTION_REFUSED/);
    const notAdmin = await remoteCli(
      tokens.dev as string,
      'promote',
      '--from',
      'staging',
      '--to',
      'production',
      '--override',
      'the client is away',
    );
    assert.notEqual(notAdmin.code, 0);
    assert.match(notAdmin.stderr, /FORBIDDEN/);
    const ok = await remoteCli(
      tokens.admin as string,
      'promote',
      '--from',
      'staging',
      '--to',
      'production',
      '--override',
      'the client is away',
    );
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      /^deployment dep-\w+: shop 2\.0\.0 staging → production \(blue-green\), driven by http/,
    );
    assert.match(ok.stdout, /dep-\w+ succeeded\n$/);
    const audit = await stack.call<{ action: string; data: { reason?: string } }[]>(
      tokens.admin as string,
      'GET',
      '/api/audit?limit=1000',
    );
    assert.ok(
      audit.some((a) => a.action === 'gate.promotion.override' && a.data.reason === 'the client is away'),
    );
  });

  test('status through the server prints the public address slipway.yaml gives', async () => {
    const status = await remoteCli(tokens.carol as string, 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^production → https:\/\/shop\.example\/$/m);
    assert.doesNotMatch(status.stdout, /^staging → /m);
  });
});
