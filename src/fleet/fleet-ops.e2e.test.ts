/**
 * Running a fleet, for real: three network-namespace hosts with their own sshd (host 3 lets SSH in
 * only from host 1, so it is reached through host 1 as its jump host). `hosts bootstrap` installs
 * Node 24 and slipway on each and the agent under its supervisor (twice: the second run changes
 * nothing); a secret reaches the app through the SSH tunnel and no file on a host holds it; a host
 * cut off the network (link down) under load fails no request, with HAProxy and with nginx in front.
 * Skipped with the reason when not root or without `ip netns`/sshd/haproxy (never under CI=true).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cli, cliWithStdin } from '../../test/cli-helpers.ts';
import { repoRoot, serviceSkip, tempDir } from '../testing.ts';
import { frontFiles } from './front.ts';
import { createLab, LOAD_SCRIPT, type NsLab, netnsUnavailable, runInNs } from './testing.ts';

const unavailable =
  netnsUnavailable() ??
  (spawnSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' }).status === 0
    ? undefined
    : 'nginx is missing');
const skip = serviceSkip(
  'network namespaces with sshd, haproxy and nginx',
  unavailable === undefined,
  unavailable ?? '',
);
const PORT = 18_380;
const SECRET = 'greeting-from-the-store-7f3a91';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bootstrapping hosts, a jump host, secrets on hosts, and a host cut off behind HAProxy and nginx', {
  skip,
}, () => {
  const dir = tempDir('slipway-fleet-ops-');
  let lab: NsLab | undefined;
  const node = process.execPath;
  const slipway = (...argv: string[]) =>
    runInNs(
      lab as NsLab,
      (lab as NsLab).control,
      [node, '--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      dir.path,
    );
  const load = () =>
    (lab as NsLab).inNs((lab as NsLab).control, [node, join(dir.path, 'load.mjs'), String(PORT), 'run']);
  const collect = (child: ReturnType<typeof load>) =>
    new Promise<{ ok: number; failed: number; slowestMs: number; errors: string[] }>((resolve) => {
      let out = '';
      child.stdout?.on('data', (b: Buffer) => (out += b));
      child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
    });
  const yaml = (driver: 'haproxy' | 'nginx') => {
    const hosts = (lab as NsLab).hosts
      .map(
        (h, i) =>
          `      - { address: ${h.address}, user: root, key: id_ed25519, dir: ${join(dir.path, `host${i + 1}`)}${i === 2 ? `, jump: { address: ${(lab as NsLab).hosts[0]?.address}, key: id_ed25519 }` : ''} }`,
      )
      .join('\n');
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      `app: shop
run:
  command: ${node} server.js
  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 30s }
  instances: 2
  stopTimeout: 5s
config:
  values: { LOG_LEVEL: info }
environments:
  production:
    router: { driver: ${driver}, port: ${PORT}, answerTimeout: 2s }
    strategy: { rolling: { bootLimit: 1 } }
    secrets: [GREETING]
    hosts:
${hosts}
  wrong:
    router: { driver: haproxy, port: ${PORT + 1} }
    hosts:
      - { address: ${(lab as NsLab).hosts[0]?.address}, user: nobody, key: id_ed25519 }
      - { address: no-such-host.invalid, key: id_ed25519 }
`,
    );
  };
  /** Load through the front for `ms`, with `during` run 1 s in; what the clients saw. */
  const underLoad = async (ms: number, during: () => unknown) => {
    const running = load();
    const seen = collect(running);
    await sleep(1_000);
    await during();
    await sleep(ms);
    running.kill('SIGTERM');
    return seen;
  };

  before(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id_ed25519')]);
    lab = await createLab(dir.path, 3, readFileSync(join(dir.path, 'id_ed25519.pub'), 'utf8'), {
      prefix: 'swo',
      // Host 3 takes SSH only from host 1: this machine reaches it through host 1.
      sshd: (i) => (i === 2 ? ['AllowUsers root@10.77.0.11'] : []),
    });
    yaml('haproxy');
    writeFileSync(join(dir.path, 'load.mjs'), LOAD_SCRIPT);
    for (const v of ['1.0.0', '2.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      const made = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(made.code, 0, made.stderr);
    }
    assert.equal((await cli(dir.path, 'secret', 'init')).code, 0);
    const set = await cliWithStdin(dir.path, `${SECRET}\n`, 'secret', 'set', 'production', 'GREETING');
    assert.equal(set.code, 0, set.stderr);
  });

  after(() => {
    lab?.destroy();
    rmSync(frontFiles(join(dir.path, '.slipway'), 'production').socket, { force: true });
    dir.cleanup();
  });

  test('trust pins the hosts and the jump host; host 3 refuses SSH straight from here', async () => {
    assert.equal((await cli(dir.path, 'validate')).code, 0);
    const trusted = await slipway('hosts', 'trust', 'production');
    assert.equal(trusted.code, 0, trusted.stderr + trusted.stdout);
    assert.equal(
      trusted.stdout.match(/^pinned\s+10\.77\.0\.1[123]:22\s+SHA256:/gm)?.length,
      3,
      trusted.stdout,
    );
    // Without the jump host, host 3 turns this machine away (AllowUsers): the jump is what works.
    const direct = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        (lab as NsLab).control,
        'ssh',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-i',
        join(dir.path, 'id_ed25519'),
        'root@10.77.0.13',
        'true',
      ],
      { encoding: 'utf8' },
    );
    assert.notEqual(direct.status, 0, 'host 3 must refuse a direct SSH login');
  });

  test('a wrong user and a name missing from DNS are named, with the fix', async () => {
    const wrong = await slipway('hosts', 'trust', 'wrong');
    assert.equal(wrong.code, 4, wrong.stderr + wrong.stdout);
    assert.match(
      wrong.stdout,
      /host 10\.77\.0\.11: nobody@10\.77\.0\.11 refused the key \(.*id_ed25519\); check hosts\[\]\.user \(nobody\)/,
    );
    assert.match(
      wrong.stdout,
      /host no-such-host\.invalid: the name is not found \(DNS\); check hosts\[\]\.address/,
    );
  });

  // Three bootstraps (each ships a ~70 MB runtime to three hosts over SSH) and a kill: on a busy CI
  // machine the first alone has taken over 4 minutes.
  test('bootstrap installs Node and slipway and the supervised agent; the second run changes nothing', {
    timeout: 600_000,
  }, async (t) => {
    let started = Date.now();
    const first = await slipway('hosts', 'bootstrap', 'production');
    t.diagnostic(`first bootstrap of 3 hosts: ${Date.now() - started} ms\n${first.stdout}`);
    started = Date.now();
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.equal(
      first.stdout.match(/on Node 24\.\d+\.\d+ \(\w+\) installed \(\d+ MB, sha256 verified\)/g)?.length,
      3,
    );
    assert.equal(first.stdout.match(/agent started under its supervisor/g)?.length, 3, first.stdout);
    assert.match(first.stdout, /plain supervisor: systemd is not the host's init/);
    const again = await slipway('hosts', 'bootstrap', 'production');
    t.diagnostic(`second bootstrap: ${Date.now() - started} ms`);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.equal(again.stdout.match(/^10\.77\.0\.1[123]: nothing to change \(/gm)?.length, 3, again.stdout);
    // The agent runs the installed runtime, and its supervisor restarts it after a kill -9.
    const info = () =>
      JSON.parse(readFileSync(join(dir.path, 'host1', 'agent', 'agent.json'), 'utf8')) as { pid: number };
    const before = info().pid;
    const cmdline = readFileSync(`/proc/${before}/cmdline`, 'utf8');
    assert.match(cmdline, /host1\/runtime\/\w+\/(node\/bin\/node|slipway\/bin\/slipway\.js)/);
    process.kill(before, 'SIGKILL');
    let after = before;
    for (let i = 0; i < 100 && (after === before || Number.isNaN(after)); i++) {
      await sleep(200);
      try {
        after = info().pid;
      } catch {}
    }
    assert.notEqual(after, before, 'the supervisor started a new agent');
    const third = await slipway('hosts', 'bootstrap', 'production');
    assert.equal(third.stdout.match(/nothing to change/g)?.length, 3, third.stdout);
  });

  test('a release with a secret reaches every host (one through the jump host); the secret is in no file there nor in the output', async () => {
    const deployed = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    assert.doesNotMatch(deployed.stdout + deployed.stderr, new RegExp(SECRET));
    assert.doesNotMatch(deployed.stdout, /agent started/, 'the bootstrapped agents were used');
    const got = spawnSync(
      'ip',
      ['netns', 'exec', (lab as NsLab).control, 'curl', '-s', `http://127.0.0.1:${PORT}/`],
      { encoding: 'utf8' },
    );
    assert.match(got.stdout, new RegExp(`"greeting":"${SECRET}"`));
    for (const h of ['host1', 'host2', 'host3']) {
      const grep = spawnSync('grep', ['-rlF', '--exclude-dir=runtime', SECRET, join(dir.path, h)], {
        encoding: 'utf8',
      });
      assert.equal(grep.stdout, '', `${h}: files holding the secret: ${grep.stdout}`);
    }
  });

  test('HAProxy: host 2 cut off under load fails no request', async (t) => {
    const result = await underLoad(5_000, () => (lab as NsLab).linkDown(1));
    (lab as NsLab).linkUp(1);
    t.diagnostic(`HAProxy, host 2 cut off: ${JSON.stringify(result)}`);
    assert.equal(result.failed, 0, JSON.stringify(result));
    assert.ok(result.ok > 50, JSON.stringify(result));
  });

  test('nginx in front: a rolling deployment and then a host cut off under load fail no request', async (t) => {
    yaml('nginx');
    assert.equal((await cli(dir.path, 'validate')).code, 0);
    await sleep(2_000); // host 2 back on the network and healthy
    // Changing the driver replaces HAProxy by nginx on the same port: a short gap, so not under load.
    const switched = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(switched.code, 0, switched.stderr + switched.stdout);
    assert.match(switched.stdout, /load balancer \(nginx\) on 127\.0\.0\.1:18380 in front of 3 hosts/);
    const rolled = await underLoad(500, async () => {
      const r = await slipway('hosts', 'deploy', '2.0.0', '--env', 'production');
      assert.equal(r.code, 0, r.stderr + r.stdout);
    });
    t.diagnostic(`nginx, rolling deployment: ${JSON.stringify(rolled)}`);
    assert.equal(rolled.failed, 0, JSON.stringify(rolled));
    const status = await slipway('--json', 'hosts', 'status', 'production');
    const { hosts } = JSON.parse(status.stdout) as { hosts: { release: string; balancer: string }[] };
    assert.deepEqual(
      hosts.map((h) => [h.release, h.balancer]),
      [
        ['2.0.0', 'UP'],
        ['2.0.0', 'UP'],
        ['2.0.0', 'UP'],
      ],
    );
    const cut = await underLoad(5_000, () => (lab as NsLab).linkDown(1));
    (lab as NsLab).linkUp(1);
    t.diagnostic(`nginx, host 2 cut off: ${JSON.stringify(cut)}`);
    assert.equal(cut.failed, 0, JSON.stringify(cut));
    assert.ok(cut.ok > 50, JSON.stringify(cut));
  });

  test('hosts stop ends the nginx front', async () => {
    const stopped = await slipway('--json', 'hosts', 'stop', 'production');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal((JSON.parse(stopped.stdout) as { balancer: boolean }).balancer, true);
    const got = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        (lab as NsLab).control,
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        `http://127.0.0.1:${PORT}/`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(got.stdout, '000');
  });
});
