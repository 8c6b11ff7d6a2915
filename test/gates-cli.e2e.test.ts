/**
 * The go/no-go across processes, as people run it: `slipway agent` as its own process, alice
 * promotes staging → production in one process (it waits for approval), bob approves from another.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
identity: { allowSlipwayUser: true } # development: these tests play several people
users: { alice: [deployer, approver], bob: [approver] }
environments:
  staging: {}
  production:
    after: staging
    approval: { required: 1, role: approver, selfApproval: false }
`;

const slipway = (cwd: string, user: string, ...argv: string[]) =>
  spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
    {
      cwd,
      env: { ...process.env, SLIPWAY_USER: user },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

describe('promote and approve through the CLI against a real agent', () => {
  const dir = tempDir('slipway-gates-e2e-');
  let agent: ChildProcess;
  const as = async (user: string, ...argv: string[]) => {
    process.env.SLIPWAY_USER = user;
    try {
      return await cli(dir.path, ...argv);
    } finally {
      delete process.env.SLIPWAY_USER;
    }
  };

  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b'), { recursive: true });
    writeFileSync(join(dir.path, 'b', 'VERSION'), '1.0.0');
    const created = await as('alice', 'release', 'create', '--version', '1.0.0', '--ci', 'passed', 'b');
    assert.equal(created.code, 0, created.stderr);
    agent = slipway(dir.path, 'alice', 'agent');
    await new Promise<void>((resolve) =>
      agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
  });
  after(async () => {
    const { connectLocalAgent } = await import('../src/agent/client.ts');
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    for (const env of ['staging', 'production']) await client.deleteEnv(env).catch(() => {});
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    dir.cleanup();
  });

  test('production refuses, staging succeeds, production waits for a second person', async () => {
    const refused = await as('alice', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(refused.code, 3);
    assert.match(
      refused.stderr,
      /PROMOTION_REFUSED.*has not succeeded in staging; deploy it to staging first/,
    );
    const staging = await as('alice', 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(staging.code, 0, staging.stderr);

    const promote = slipway(dir.path, 'alice', 'promote', '--from', 'staging', '--to', 'production');
    let out = '';
    let err = '';
    promote.stderr?.on('data', (c) => (err += c));
    const id = await new Promise<string>((resolve, reject) => {
      promote.stdout?.on('data', (c) => {
        out += c;
        const m = /deployment (dep-[0-9a-f]+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      promote.once('exit', () => reject(new Error(`promote ended early:\n${out}\n${err}`)));
    });
    const exited = new Promise<number | null>((r) => promote.once('exit', r));

    const self = await as('alice', 'approve', id);
    assert.equal(self.code, 3);
    assert.match(self.stderr, /four-eyes/);
    const go = await as('bob', 'approve', id, '--reason', 'staging is fine');
    assert.equal(go.code, 0, go.stderr);
    assert.equal(await exited, 0, `${out}\n${err}`);

    const status = JSON.parse((await as('bob', '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    assert.equal(status.environments.find((e) => e.env === 'production')?.release, '1.0.0');
  });
});
