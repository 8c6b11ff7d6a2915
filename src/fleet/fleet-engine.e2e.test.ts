/**
 * `slipway deploy` (the engine: canary steps, analysis, automatic rollback, pause/resume) across
 * three network-namespace hosts with their own sshd, HAProxy in front, real HTTP load through it:
 * a canary's weight is the same on every host, a bad canary is rolled back on every host, and a
 * host cut off mid-deployment is handled per `hostFailure` (skip-host, then pause), named in the
 * timeline, and given the desired state when it is back.
 * Skipped with the reason when not root or without `ip netns`/sshd/haproxy (never under CI=true).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli } from '../../test/cli-helpers.ts';
import { repoRoot, serviceSkip, tempDir } from '../testing.ts';
import { frontFiles } from './front.ts';
import { createLab, LOAD_SCRIPT, type NsLab, netnsUnavailable, runInNs } from './testing.ts';

const unavailable = netnsUnavailable();
const skip = serviceSkip(
  'network namespaces with sshd and haproxy',
  unavailable === undefined,
  unavailable ?? '',
);
const PORT = 18_180;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Seen {
  ok: number;
  failed: number;
  versions: Record<string, number>;
  errors: string[];
}

describe('the engine across three SSH hosts behind HAProxy', { skip }, () => {
  const dir = tempDir('slipway-fleet-engine-');
  let lab: NsLab | undefined;
  const node = process.execPath;
  const argv = (...args: string[]) => [
    node,
    '--disable-warning=ExperimentalWarning',
    join(repoRoot, 'bin/slipway.js'),
    ...args,
  ];
  const slipway = (...args: string[]) =>
    runInNs(lab as NsLab, (lab as NsLab).control, argv(...args), dir.path);
  const load = (mode: 'once' | 'run') =>
    (lab as NsLab).inNs((lab as NsLab).control, [node, join(dir.path, 'load.mjs'), String(PORT), mode]);
  const collect = (child: ChildProcess) =>
    new Promise<Seen>((resolve) => {
      let out = '';
      child.stdout?.on('data', (b: Buffer) => (out += b));
      child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
    });
  // The first step's analysis is long enough to read each host's agent state while it runs (LOOK),
  // or to cut a host off and see the deployment notice it (LONG: an SSH command's timeout, more on a
  // busy machine).
  const LOOK =
    '[{ weight: 10, analysis: { duration: 15s } }, { weight: 50, analysis: { duration: 3s } }, { weight: 100 }]';
  const LONG =
    '[{ weight: 10, analysis: { duration: 45s } }, { weight: 50, analysis: { duration: 3s } }, { weight: 100 }]';
  const SHORT =
    '[{ weight: 10, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 3s } }, { weight: 100 }]';
  const writeConfig = (extra: string, steps = SHORT) => {
    const hosts = (lab as NsLab).hosts
      .map(
        (h, i) =>
          `      - { address: ${h.address}, user: root, key: id_ed25519, dir: ${join(dir.path, `host${i + 1}`)}, agent: "${node} ${join(repoRoot, 'bin/slipway.js')}" }`,
      )
      .join('\n');
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      `app: shop
run:
  command: ${node} server.js
  health: { path: /health, interval: 500ms, timeout: 400ms, startTimeout: 30s }
  instances: 2
  stopTimeout: 5s
environments:
  production:
    router: { driver: haproxy, port: ${PORT} }
    profile: fast
    strategy: { canary: { steps: ${steps} } }
    rollbackIf: { errorRate: { above: 5% } }
${extra}    hosts:
${hosts}
`,
    );
  };
  /** The latest deployment of production, with its timeline. */
  const latest = async () => {
    const list = JSON.parse(
      (await cli(dir.path, '--json', 'history', '--env', 'production', '--limit', '1')).stdout,
    ) as {
      id: string;
      status: string;
    }[];
    const id = list[0]?.id as string;
    const detail = (await cli(dir.path, '--json', 'history', '--id', id)).stdout;
    return { id, status: list[0]?.status, detail };
  };
  const hostStatus = async (...flags: string[]) => {
    const status = await slipway('--json', 'hosts', 'status', 'production', ...flags);
    return (
      JSON.parse(status.stdout) as {
        hosts: {
          address: string;
          release: string | null;
          healthy: boolean | null;
          balancer: string | null;
        }[];
      }
    ).hosts;
  };
  /** Until the load balancer serves `version` at least once (the canary took traffic). */
  const untilServed = async (version: string) => {
    for (let i = 0; i < 200; i++) {
      if (((await collect(load('once'))).versions[version] ?? 0) > 0) return;
      await sleep(100);
    }
    assert.fail(`${version} was never served`);
  };

  before(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id_ed25519')]);
    lab = await createLab(dir.path, 3, readFileSync(join(dir.path, 'id_ed25519.pub'), 'utf8'));
    writeConfig('');
    writeFileSync(join(dir.path, 'load.mjs'), LOAD_SCRIPT);
    for (const v of ['1.0.0', '2.0.0', '3.0.0', '4.0.0', '5.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      // 3.0.0 is bad: it answers half of the requests with a 500.
      if (v === '3.0.0') writeFileSync(join(dir.path, 'b', v, 'faults.json'), '{"errorRate": 0.5}');
      const made = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(made.code, 0, made.stderr);
    }
    assert.equal((await slipway('hosts', 'trust', 'production')).code, 0);
  });

  after(async () => {
    await slipway('hosts', 'stop', 'production').catch(() => undefined);
    lab?.destroy();
    rmSync(frontFiles(join(dir.path, '.slipway'), 'production').socket, { force: true });
    dir.cleanup();
  });

  test('the first release goes to every host through slipway deploy', async () => {
    const first = await slipway('deploy', '1.0.0', '--env', 'production');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.deepEqual((await collect(load('once'))).versions, { '1.0.0': 4 });
    const hosts = await hostStatus();
    assert.deepEqual(
      hosts.map((h) => [h.release, h.healthy, h.balancer]),
      [
        ['1.0.0', true, 'UP'],
        ['1.0.0', true, 'UP'],
        ['1.0.0', true, 'UP'],
      ],
    );
  });

  test('a canary under load: the same weight on every host, analysed, promoted, no request failed', async (t) => {
    writeConfig('', LOOK);
    const running = load('run');
    const seen = collect(running);
    await sleep(500);
    const deploying = slipway('deploy', '2.0.0', '--env', 'production');
    await untilServed('2.0.0');
    // Every host's router splits its share the same way: the fleet-wide share is the step's weight.
    // Read from each host's agent state at once: `hosts status` (SSH to each host) has taken longer
    // than the step on a busy machine.
    const during = [1, 2, 3].map((i) => {
      const state = JSON.parse(
        readFileSync(join(dir.path, `host${i}`, 'agent', 'agent-state.json'), 'utf8'),
      ) as {
        envs: Record<string, { desired: { releases: { weight: number }[] } }>;
      };
      return state.envs.production?.desired.releases.map((r) => r.weight).sort((a, b) => a - b);
    });
    const done = await deploying;
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests through HAProxy during the canary: ${JSON.stringify(result)}`);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.deepEqual(during, [
      [10, 90],
      [10, 90],
      [10, 90],
    ]);
    assert.equal(result.failed, 0, JSON.stringify(result));
    assert.ok((result.versions['1.0.0'] ?? 0) > 0 && (result.versions['2.0.0'] ?? 0) > 0);
    assert.deepEqual((await collect(load('once'))).versions, { '2.0.0': 4 });
    assert.deepEqual(
      (await hostStatus()).map((h) => h.release),
      ['2.0.0', '2.0.0', '2.0.0'],
    );
  });

  test('a bad canary is rolled back on every host by the analysis', async (t) => {
    writeConfig('');
    const running = load('run');
    const seen = collect(running);
    const bad = await slipway('deploy', '3.0.0', '--env', 'production');
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests during the bad canary: ${JSON.stringify(result)}`);
    assert.notEqual(bad.code, 0, bad.stdout);
    const { status, detail } = await latest();
    assert.equal(status, 'rolled_back', detail);
    // The fixed trigger or a sequential test beside it, whichever decides first.
    assert.match(detail, /error-rate( is \d|-sequential: \d+ errors|-vs-stable: \d+ errors)/);
    // The failures seen are the bad release's own answers, never a connection the fleet dropped.
    assert.ok(
      result.errors.every((e) => e === 'status 500'),
      JSON.stringify(result),
    );
    assert.deepEqual((await collect(load('once'))).versions, { '2.0.0': 4 });
    assert.deepEqual(
      (await hostStatus()).map((h) => h.release),
      ['2.0.0', '2.0.0', '2.0.0'],
    );
  });

  test('hostFailure: skip-host — a host cut off mid-canary is skipped and named; once back, the server gives it the desired state', async (t) => {
    writeConfig('    hostFailure: skip-host\n    minHealthy: 2\n', LONG);
    const running = load('run');
    const seen = collect(running);
    const deploying = slipway('deploy', '4.0.0', '--env', 'production');
    await untilServed('4.0.0');
    (lab as NsLab).linkDown(2);
    const done = await deploying;
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests while host 3 was cut off (skip-host): ${JSON.stringify(result)}`);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    const { status } = await latest();
    assert.equal(status, 'succeeded');
    // The deployment's timeline, as `slipway deploy` prints it.
    assert.match(
      done.stdout,
      /host 10\.77\.0\.13 unreachable \(.*\): skipped, 2 of 3 hosts carry on \(hostFailure: skip-host, minHealthy 2\)/,
    );
    (lab as NsLab).linkUp(2);
    // The leading server looks at the hosts on its own (every 2 s here, 10 s by default) and brings host 3
    // up to date: SSH to each host, the release shipped to host 3 and started there, at a busy machine's pace.
    const server = (lab as NsLab).inNs(
      (lab as NsLab).control,
      argv('server', '--port', '0', '--reconcile-hosts', '2s'),
      {
        cwd: dir.path,
      },
    );
    let log = '';
    server.stdout?.on('data', (b: Buffer) => (log += b));
    server.stderr?.on('data', (b: Buffer) => (log += b));
    try {
      for (let i = 0; i < 480 && !/10\.77\.0\.13: given the desired state/.test(log); i++) await sleep(250);
      assert.match(log, /hosts of production: 10\.77\.0\.13: given the desired state/, log);
      assert.doesNotMatch(log, /10\.77\.0\.1[12]: given/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    const audit = await cli(dir.path, '--json', 'audit', 'export');
    assert.match(audit.stdout, /hosts\.reconciled/, audit.stderr);
    // The same desired state from the CLI: nothing left to give.
    const reconciled = await slipway('hosts', 'status', 'production', '--reconcile');
    assert.doesNotMatch(reconciled.stdout, /given the desired state/, reconciled.stdout + reconciled.stderr);
    const hosts = await hostStatus();
    assert.deepEqual(
      hosts.map((h) => [h.release, h.healthy]),
      [
        ['4.0.0', true],
        ['4.0.0', true],
        ['4.0.0', true],
      ],
    );
  });

  test('hostFailure: pause — a host cut off mid-canary pauses the deployment, named; resumed once back, it is brought up to date', async (t) => {
    writeConfig('    hostFailure: pause\n', LONG);
    // Traffic for the analysis to judge.
    const running = load('run');
    const seen = collect(running);
    const deploying = slipway('deploy', '5.0.0', '--env', 'production');
    await untilServed('5.0.0');
    (lab as NsLab).linkDown(1);
    let paused: Awaited<ReturnType<typeof latest>> | undefined;
    for (let i = 0; i < 120 && !paused; i++) {
      const now = await latest();
      if (now.status === 'paused') paused = now;
      else await sleep(250);
    }
    assert.ok(paused, 'the deployment pauses');
    (lab as NsLab).linkUp(1);
    await sleep(500);
    const resumed = await slipway('resume', 'production');
    assert.equal(resumed.code, 0, resumed.stderr);
    const done = await deploying;
    running.kill('SIGTERM');
    t.diagnostic(`requests while host 2 was cut off (pause): ${JSON.stringify(await seen)}`);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /paused by host 10\.77\.0\.12 unreachable \(.*\) \(hostFailure: pause\)/);
    assert.match(
      done.stdout,
      /host 10\.77\.0\.12 answers again after \d+s: given the environment's desired state/,
    );
    assert.deepEqual((await collect(load('once'))).versions, { '5.0.0': 4 });
    assert.deepEqual(
      (await hostStatus()).map((h) => h.release),
      ['5.0.0', '5.0.0', '5.0.0'],
    );
  });
});
