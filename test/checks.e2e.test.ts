/**
 * `checks:` in slipway.yaml, end to end: `slipway agent` as its own process, releases of the
 * example app, a check command that is the project's own e2e test against SLIPWAY_ENV_URL. A
 * release the test passes goes live; one it fails is rolled back, with the test's output
 * (redacted) in the deployment; a check that hangs is killed at its timeout.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli, cliWithStdin } from './cli-helpers.ts';

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
    watch: 1s
    smoke: [{ get: /health }]
    checks:
      - { name: e2e, run: "node e2e.mjs", timeout: 20s }
  qa:
    profile: fast
    watch: 1s
    checks:
      - { name: hangs, run: "node -e 'setInterval(() => {}, 1000)'", timeout: 1s }
`;

// The project's e2e test: the greeting page must answer, and release 2.0.0 "broke checkout".
// It prints a token it should not, as real test output sometimes does.
const E2E = `const res = await fetch(process.env.SLIPWAY_ENV_URL + '/');
const { version } = await res.json();
console.log('e2e against', process.env.SLIPWAY_ENV_URL, 'version', version);
if (version === '2.0.0') {
  console.error('checkout broke; request sent with token=' + process.env.E2E_TOKEN);
  process.exit(1);
}
`;
const TOKEN = 'sk_live_e2e_0123456789abcdef';

describe('check commands run after the release is up (real agent and app)', () => {
  const dir = tempDir('slipway-checks-e2e-');
  let agent: ChildProcess;
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    writeFileSync(join(dir.path, 'e2e.mjs'), E2E);
    for (const v of ['1.0.0', '2.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const r = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(r.code, 0, r.stderr);
    }
    // The token is a staging secret: whatever quotes it is redacted before it is stored.
    assert.equal((await cli(dir.path, 'secret', 'init')).code, 0);
    const set = await cliWithStdin(dir.path, `${TOKEN}\n`, 'secret', 'set', 'staging', 'E2E_TOKEN');
    assert.equal(set.code, 0, set.stderr);
    process.env.E2E_TOKEN = TOKEN;
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
    delete process.env.E2E_TOKEN;
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    for (const env of ['staging', 'qa']) await client.deleteEnv(env).catch(() => {});
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    dir.cleanup();
  });

  const live = async (env: string) => {
    const status = JSON.parse((await cli(dir.path, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    return status.environments.find((e) => e.env === env)?.release;
  };

  test('a release the e2e test passes goes live, the check noted', async () => {
    const r = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /check e2e passed in \d+\.\d s/);
    assert.equal(await live('staging'), '1.0.0');
  });

  test('a release the e2e test fails is rolled back; its output is shown, the secret redacted', async () => {
    const r = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
    assert.notEqual(r.code, 0, r.stdout);
    const shown = r.stdout + r.stderr;
    if (process.env.SHOW) console.log(shown);
    assert.match(shown, /check e2e failed \(exit 1\) after \d+\.\d s: `node e2e\.mjs`/);
    assert.match(shown, /checkout broke; request sent with token=\[redacted/);
    assert.equal(await live('staging'), '1.0.0');
    const history = await cli(dir.path, '--json', 'history', '--env', 'staging');
    const stored = history.stdout + JSON.stringify(await cli(dir.path, '--json', 'status', 'staging'));
    assert.ok(!shown.includes(TOKEN) && !stored.includes(TOKEN), 'the token never leaves unredacted');
    assert.match(history.stdout, /rolled_back/);
  });

  test('a check that hangs is killed at its timeout and fails the deployment', async () => {
    const started = Date.now();
    const r = await cli(dir.path, 'deploy', '1.0.0', '--env', 'qa');
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      r.stdout + r.stderr,
      /check hangs did not finish within 1\.0 s: killed with its process group/,
    );
    assert.ok(Date.now() - started < 60_000);
  });
});
