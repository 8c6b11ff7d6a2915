/**
 * The deployment commands end to end through the CLI, as a person runs them: `slipway agent` as
 * its own process, releases of the example app, deploy, status, rollback (a switch while the
 * previous release is warm, a redeploy otherwise), abort, history.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliProcess } from './cli-helpers.ts';

const CONFIG = `app: shop
run:
  command: node server.js
  health: { path: /health, interval: 200ms, timeout: 200ms, startTimeout: 15s }
  instances: 1
  stopTimeout: 2s
environments:
  staging:
    strategy: { blue-green: { warmFor: 10m } }
    profile: fast
    smoke: [{ get: /health }]
  production:
    after: staging
    profile: fast
    strategy: { canary: { steps: [{ weight: 50, pause: until-resumed }, { weight: 100 }] } }
`;

describe('deploying through the CLI against a real agent', () => {
  const dir = tempDir('slipway-cli-deploy-');
  let agent: ChildProcess;
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      assert.equal(
        (await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v))).code,
        0,
      );
    }
    agent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) =>
      agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
  });
  after(async () => {
    for (const env of ['staging', 'production']) await fetchAgentDelete(dir.path, env);
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    dir.cleanup();
  });

  const version = async (env: string) => {
    const status = JSON.parse((await cli(dir.path, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    return status.environments.find((e) => e.env === env)?.release;
  };

  test('deploy, then a blue-green deploy, then an instant rollback', async () => {
    const first = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /✓ shop 1\.0\.0 is live on staging/);
    const second = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /previous release kept warm until/);
    assert.equal(await version('staging'), '2.0.0');
    const rollback = await cli(dir.path, '--json', 'rollback', 'staging');
    assert.equal(rollback.code, 0, rollback.stderr);
    const result = JSON.parse(rollback.stdout);
    assert.equal(result.kind, 'switch');
    assert.equal(result.release, '1.0.0');
    assert.ok(result.switchMs >= 0);
    assert.equal(await version('staging'), '1.0.0');
  });

  test('a rollback when the previous release is no longer warm redeploys it', async () => {
    const r = await cli(dir.path, 'rollback', 'staging', '--to', '3.0.0');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3\.0\.0 is no longer warm on staging: redeploying it/);
    assert.equal(await version('staging'), '3.0.0');
  });

  test('a deployment paused by its plan waits; abort from another command takes traffic back', async () => {
    assert.equal((await cli(dir.path, 'deploy', '1.0.0', '--env', 'production')).code, 0);
    const deploying = cliProcess(dir.path, 'deploy', '2.0.0', '--env', 'production');
    let paused = false;
    for (let i = 0; i < 200 && !paused; i++) {
      const list = JSON.parse(
        (await cli(dir.path, '--json', 'history', '--env', 'production', '--limit', '1')).stdout,
      ) as { status: string }[];
      paused = list[0]?.status === 'paused';
      if (!paused) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(paused, 'the canary pauses until resumed');
    const abort = await cli(dir.path, 'abort', 'production', '--reason', 'client said no');
    assert.equal(abort.code, 0, abort.stderr);
    const end = await deploying;
    assert.equal(end.code, 1);
    assert.match(end.stdout, /was aborted by .*: client said no/);
    assert.equal(await version('production'), '1.0.0');
    const history = JSON.parse((await cli(dir.path, '--json', 'history', '--env', 'production')).stdout) as {
      status: string;
      reason: string;
    }[];
    assert.deepEqual(
      history.map((d) => d.status),
      ['aborted', 'succeeded'],
    );
  });

  test('bad input names the value and the fix', async () => {
    const unknown = await cli(dir.path, 'deploy', '9.9.9', '--env', 'staging');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no release "9\.9\.9" of shop.*registered: /);
    const env = await cli(dir.path, 'deploy', '1.0.0', '--env', 'prod');
    assert.equal(env.code, 2);
    assert.match(env.stderr, /no environment "prod" in slipway.yaml; did you mean "production"\?/);
    const none = await cli(dir.path, 'pause', 'staging');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no deployment in flight on staging/);
  });
});

async function fetchAgentDelete(project: string, env: string): Promise<void> {
  const { connectLocalAgent } = await import('../src/agent/client.ts');
  const client = connectLocalAgent(join(project, '.slipway', 'agent'));
  await client.deleteEnv(env).catch(() => {});
}
