/**
 * `performance:` in slipway.yaml, end to end: `slipway agent` as its own process, releases of the
 * example shop with a baked-in latency (faults.json), real load from autocannon through the
 * builtin router. The first release has nothing to compare with; an unchanged release passes,
 * measured side by side with the previous one; a slower one fails the step and is rolled back
 * with both numbers shown; after a rolling deployment the recorded figures are the baseline.
 * A load step pointed outside the environment is refused before anything is sent or recorded.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectLocalAgent } from '../src/agent/client.ts';
import { openStore } from '../src/store/factory.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const PERF = `performance:
      rate: 100/s
      duration: 3s
      connections: 4
      endpoints: [/, /api/products]
      maxRegression: { p50: 1.5x, errorRate: 1% }`;
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
    ${PERF}
  qa:
    strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }
    profile: fast
    ${PERF}
  hang:
    profile: fast
    checks:
      - { name: hangs, run: "sleep 600 & echo $! > hang.pid; wait", timeout: 1s }
`;

/**
 * Release → the latency (ms) baked into it: 1.0.1 is unchanged, 2.0.0 three times slower, 3.0.0
 * eight times (compared with figures recorded minutes earlier on a shared machine, so by a margin).
 */
const RELEASES = { '1.0.0': 10, '1.0.1': 10, '2.0.0': 30, '3.0.0': 80 } as const;

/** Gone, or a zombie left to an init that does not reap (what some containers run as PID 1). */
function ended(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

describe('the performance step compares a release with the previous one (real agent, app and load)', () => {
  const dir = tempDir('slipway-perf-e2e-');
  let agent: ChildProcess;
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    for (const [v, latencyMs] of Object.entries(RELEASES)) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      writeFileSync(join(dir.path, 'b', v, 'faults.json'), JSON.stringify({ latencyMs }));
      const r = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(r.code, 0, r.stderr);
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
    const client = connectLocalAgent(join(dir.path, '.slipway', 'agent'));
    for (const env of ['staging', 'qa', 'hang']) await client.deleteEnv(env).catch(() => {});
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    dir.cleanup();
  });

  const records = async (env: string) => {
    const store = await openStore(undefined, dir.path);
    try {
      return await store.performance.list('shop', env);
    } finally {
      await store.close();
    }
  };
  const live = async (env: string) => {
    const status = JSON.parse((await cli(dir.path, '--json', 'status')).stdout) as {
      environments: { env: string; release: string | null }[];
    };
    return status.environments.find((e) => e.env === env)?.release;
  };

  test('the first release is measured and says it has nothing to compare with', async () => {
    const r = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /1\.0\.0: p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, errors [\d.]+% \(\d+ requests/,
    );
    assert.match(r.stdout, /nothing to compare with \(the first release of staging\)/);
    const [first] = await records('staging');
    assert.equal(first?.verdict, 'first');
    assert.equal(first?.baseline, null);
    // 10 ms baked in (±20%): the figures are the app's, not the load generator's.
    assert.ok((first?.figures.p50 ?? 0) >= 8, JSON.stringify(first?.figures));
    assert.ok((first?.figures.requests ?? 0) > 0, JSON.stringify(first?.figures));
  });

  test('an unchanged release passes, measured side by side with the previous one', async () => {
    const r = await cli(dir.path, 'deploy', '1.0.1', '--env', 'staging');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /performance against 1\.0\.0 \(measured side by side\): .*p50 [\d.]+ ms vs [\d.]+ ms/,
    );
    const [latest] = await records('staging');
    assert.equal(latest?.verdict, 'pass');
    assert.equal(latest?.baseline?.how, 'side-by-side');
    assert.equal(latest?.baseline?.version, '1.0.0');
    assert.equal(await live('staging'), '1.0.1');
  });

  test('a slower release fails the step and is rolled back, both numbers shown', async () => {
    const r = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
    assert.notEqual(r.code, 0, r.stdout);
    const shown = r.stdout + r.stderr;
    if (process.env.SHOW) console.log(shown);
    assert.match(
      shown,
      /performance regression against 1\.0\.1 \(measured side by side\): p50 [\d.]+ ms vs [\d.]+ ms \([\d.]+x[^,]*, allowed 1\.5x\)/,
    );
    assert.equal(await live('staging'), '1.0.1');
    const [latest] = await records('staging');
    assert.equal(latest?.verdict, 'fail');
    assert.equal(latest?.baseline?.version, '1.0.1');
    const history = await cli(dir.path, '--json', 'history', '--env', 'staging');
    assert.match(history.stdout, /rolled_back/);
  });

  test('after a rolling deployment (the previous release is gone) the recorded figures are the baseline', async () => {
    assert.equal((await cli(dir.path, 'deploy', '1.0.0', '--env', 'qa')).code, 0);
    const r = await cli(dir.path, 'deploy', '3.0.0', '--env', 'qa');
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stdout + r.stderr, /performance regression against 1\.0\.0 \(its recorded figures\): p50/);
    const [latest] = await records('qa');
    assert.equal(latest?.baseline?.how, 'recorded');
  });

  test('a check command that hangs is killed with its process group at its timeout', async () => {
    const r = await cli(dir.path, 'deploy', '1.0.0', '--env', 'hang');
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(
      r.stdout + r.stderr,
      /check hangs did not finish within 1\.0 s: killed with its process group/,
    );
    const pid = Number(readFileSync(join(dir.path, 'hang.pid'), 'utf8'));
    // The `sleep` the shell started in the background went with its group.
    assert.ok(pid > 0 && ended(pid), `sleep ${pid} still runs`);
  });

  test('a load step pointed outside the environment is refused before anything is sent or recorded', async () => {
    const other = join(dir.path, 'outside');
    mkdirSync(other);
    writeFileSync(
      join(other, 'slipway.yaml'),
      CONFIG.replace('endpoints: [/, /api/products]', 'endpoints: [/, "http://203.0.113.7/api/products"]'),
    );
    const r = await cli(other, 'validate');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /environments\.staging\.performance\.endpoints\[1\]: http:\/\/203\.0\.113\.7 is outside this environment .*use a path such as \/api\/products/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const deploy = await cli(other, 'deploy', '1.0.0', '--env', 'staging');
    assert.equal(deploy.code, 1, deploy.stdout + deploy.stderr);
    assert.match(deploy.stderr, /is outside this environment/);
    assert.deepEqual(await records('staging').then((r) => r.length), 3, 'nothing more recorded');
  });
});
