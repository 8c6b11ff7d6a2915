/**
 * `router.driver` as a user sets it: a slipway.yaml per driver (HAProxy, nginx), `slipway agent`
 * as its own process, releases of the example app kept in a subfolder (`run.cwd`), a custom
 * preview header and health expectation, deploys and a rollback, and real HTTP through the proxy
 * the agent started. A deployment of new instances and a rollback under continuous kept-alive load
 * fail no request (nginx: no reload for a new release). The agent restarts the proxy when it is killed. A driver whose binary is
 * missing is refused before anything starts, naming the key and the fix.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isAlive } from '../src/runtime/process/proc.ts';
import { repoRoot, serviceSkip, tempDir } from '../src/testing.ts';
import { findBinary } from '../src/traffic/installed.ts';
import { findNjsModule } from '../src/traffic/nginx/njs-module.ts';
import { cli } from './cli-helpers.ts';
import { httpLoop } from './http-loop.ts';

const config = (driver: string) => `app: shop
run:
  command: node server.js
  cwd: app
  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 15s, expect: 2xx }
  instances: 2
  stopTimeout: 2s
environments:
  staging:
    router: { driver: ${driver} }
    strategy: { blue-green: { warmFor: 10m, previewHeader: x-try-release } }
    profile: fast
    smoke: [{ get: /api/products, retries: 3, delay: 200ms }]
    watch: 1s
`;

function njsAvailable(): boolean {
  try {
    findNjsModule('nginx');
    return true;
  } catch {
    return false;
  }
}

const DRIVERS = [
  {
    driver: 'haproxy',
    skip: serviceSkip('haproxy', findBinary('haproxy') !== undefined, 'apt-get install haproxy'),
  },
  {
    driver: 'nginx',
    skip: serviceSkip(
      'nginx with njs',
      findBinary('nginx') !== undefined && njsAvailable(),
      'apt-get install nginx libnginx-mod-http-js',
    ),
  },
];

/** The pids of the agent's child processes named `name` (the proxy master it started). */
function childPids(parent: number, name: string): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(parent)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === name)
    .map(([pid]) => Number(pid));
}

async function startAgent(cwd: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
    { cwd, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) =>
    child.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
  );
  return child;
}

// A proxy whose agent was killed is reparented; a zombie nobody reaps counts as gone.
const alive = isAlive;

async function get(port: number, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as { version?: string } };
}

for (const { driver, skip } of DRIVERS) {
  describe(`router.driver: ${driver}, deployed through slipway.yaml`, { skip }, () => {
    const dir = tempDir(`slipway-${driver}-`);
    let agent: ChildProcess;
    before(async () => {
      writeFileSync(join(dir.path, 'slipway.yaml'), config(driver));
      for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
        // The app sits in a subfolder of the release: run.cwd: app.
        mkdirSync(join(dir.path, 'b', v), { recursive: true });
        cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v, 'app'), { recursive: true });
        writeFileSync(join(dir.path, 'b', v, 'app', 'VERSION'), v);
        const r = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
        assert.equal(r.code, 0, r.stderr);
      }
      agent = await startAgent(dir.path);
    });
    after(async () => {
      const { connectLocalAgent } = await import('../src/agent/client.ts');
      await connectLocalAgent(join(dir.path, '.slipway', 'agent'))
        .deleteEnv('staging')
        .catch(() => {});
      // A test that failed after killing the agent leaves none to stop: never wait for an exit that happened.
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill('SIGTERM');
        await new Promise((r) => agent.once('exit', r));
      }
      dir.cleanup();
    });

    const status = async () => {
      const { connectLocalAgent } = await import('../src/agent/client.ts');
      const env = await connectLocalAgent(join(dir.path, '.slipway', 'agent')).status('staging');
      assert.equal(env.driver, driver);
      return env;
    };
    const port = async () => (await status()).listen.port;

    test(`deploys, switches and rolls back with requests served by ${driver}`, async () => {
      const first = await cli(dir.path, 'deploy', '1.0.0', '--env', 'staging');
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const listen = await port();
      assert.equal(childPids(agent.pid!, driver).length, 1, `the agent runs one ${driver} master`);
      assert.deepEqual(await get(listen, '/api/products').then((r) => [r.status, r.body.version]), [
        200,
        '1.0.0',
      ]);
      const second = await cli(dir.path, 'deploy', '2.0.0', '--env', 'staging');
      assert.equal(second.code, 0, second.stdout + second.stderr);
      // No metrics source: the watch says it judged instance health only, and does not pause.
      assert.match(second.stdout, new RegExp(`traffic not judged: ${driver} keeps no per-release metrics`));
      for (let i = 0; i < 10; i++) assert.equal((await get(listen, '/')).body.version, '2.0.0');
      // The previous release is warm; the preview header of slipway.yaml reaches it by its id.
      const warm = (await status()).releases.find((r) => r.weight === 0);
      assert.ok(warm, 'the previous release is kept warm at weight 0');
      const previous = await get(listen, '/', { 'x-try-release': warm.release });
      assert.equal(previous.body.version, '1.0.0');
      const rollback = await cli(dir.path, '--json', 'rollback', 'staging');
      assert.equal(rollback.code, 0, rollback.stderr);
      for (let i = 0; i < 10; i++) assert.equal((await get(listen, '/')).body.version, '1.0.0');
    });

    test(`a deployment of new instances and a rollback under continuous load fail no request through ${driver}`, async () => {
      // staging runs 1.0.0 with 2.0.0 warm: 3.0.0 brings new backends (a new release for the proxy).
      const listen = await port();
      const traffic = httpLoop(listen);
      await new Promise((r) => setTimeout(r, 300));
      const deploy = await cli(dir.path, 'deploy', '3.0.0', '--env', 'staging');
      assert.equal(deploy.code, 0, deploy.stdout + deploy.stderr);
      await new Promise((r) => setTimeout(r, 300));
      const rollback = await cli(dir.path, '--json', 'rollback', 'staging');
      assert.equal(rollback.code, 0, rollback.stderr);
      await new Promise((r) => setTimeout(r, 300));
      const counts = await traffic.stop();
      assert.equal(counts.failed, 0, `failed requests: ${counts.errors.slice(0, 5).join(', ')}`);
      assert.ok(counts.ok > 50, `only ${counts.ok} requests answered`);
      assert.deepEqual([...counts.versions].sort(), ['1.0.0', '3.0.0']);
    });

    test(`a killed ${driver} is started again by the agent`, async () => {
      const listen = await port();
      const [pid] = childPids(agent.pid!, driver);
      assert.ok(pid, `a ${driver} master runs`);
      process.kill(pid, 'SIGKILL');
      let again: number | undefined;
      let served = false;
      for (let i = 0; i < 200 && !served; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = childPids(agent.pid!, driver).find((p) => p !== pid);
        served =
          again !== undefined &&
          (await get(listen, '/').then(
            (r) => r.status === 200,
            () => false,
          ));
      }
      assert.ok(served, `the agent restarted ${driver} (new pid ${again}) and it serves on ${listen}`);
    });

    test(`slipway agent stop after kill -9 of the agent ends the ${driver} it left`, async () => {
      const [left] = childPids(agent.pid!, driver);
      assert.ok(left, `a ${driver} master runs`);
      agent.kill('SIGKILL');
      await new Promise((r) => agent.once('exit', r));
      const stop = await cli(dir.path, 'agent', 'stop');
      assert.equal(stop.code, 0, stop.stdout + stop.stderr);
      assert.match(stop.stdout, new RegExp(`stopped a proxy left by a killed agent \\(pid ${left}\\)`));
      assert.ok(!alive(left), `the ${driver} (pid ${left}) is gone`);
      agent = await startAgent(dir.path);
    });

    test(`kill -9 of the agent, then a new agent: it ends the ${driver} left behind and serves with its own`, async () => {
      const listen = await port();
      const [left] = childPids(agent.pid!, driver);
      assert.ok(left, `a ${driver} master runs`);
      agent.kill('SIGKILL');
      await new Promise((r) => agent.once('exit', r));
      agent = await startAgent(dir.path);
      assert.ok(!alive(left), `the ${driver} left behind (pid ${left}) is gone`);
      const [own] = childPids(agent.pid!, driver);
      assert.ok(own && own !== left, `the new agent runs its own ${driver}`);
      for (let i = 0; i < 10; i++) assert.equal((await get(listen, '/')).body.version, '1.0.0');
    });
  });
}

describe('router.driver with its proxy not installed', () => {
  const dir = tempDir('slipway-nodriver-');
  after(() => dir.cleanup());

  test('deploy refuses before anything starts, naming the key, the binary and the fix (exit 4)', async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), config('haproxy'));
    mkdirSync(join(dir.path, 'b', 'app'), { recursive: true });
    cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', 'app'), { recursive: true });
    assert.equal(
      (await cli(dir.path, 'release', 'create', '--version', '1.0.0', '--ci', 'passed', 'b')).code,
      0,
    );
    const agent = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), 'agent'],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) =>
      agent.stdout?.on('data', (c) => String(c).includes('admin API on') && resolve()),
    );
    after(async () => {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    });
    // A PATH with node and nothing else: no haproxy.
    const noPath = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--disable-warning=ExperimentalWarning',
          join(repoRoot, 'bin/slipway.js'),
          'deploy',
          '1.0.0',
          '--env',
          'staging',
        ],
        { cwd: dir.path, env: { ...process.env, PATH: dirname(process.execPath) } },
      );
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      child.on('exit', (code) => resolve({ code: code ?? 1, stderr }));
    });
    assert.equal(noPath.code, 4, noPath.stderr);
    assert.match(
      noPath.stderr,
      /environments\.staging\.router\.driver: haproxy needs the haproxy binary, which is not installed .*apt-get install haproxy/,
    );
  });
});
