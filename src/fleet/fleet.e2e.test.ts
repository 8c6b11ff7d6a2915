/**
 * A fleet for real: three hosts made of network namespaces, each with its own sshd, reached over
 * SSH with a generated key; the agent started on each over SSH and driven through an SSH tunnel;
 * HAProxy in front. Real HTTP through HAProxy during a rolling deployment must see no failure.
 * Skipped with the reason when not root or without `ip netns`/sshd/haproxy (never under CI=true).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
const PORT = 18_080;

describe('a rolling deployment across three SSH hosts behind HAProxy', { skip }, () => {
  const dir = tempDir('slipway-fleet-');
  let lab: NsLab | undefined;
  const node = process.execPath;
  const slipway = (...argv: string[]) =>
    runInNs(
      lab as NsLab,
      (lab as NsLab).control,
      [node, '--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      dir.path,
    );
  const load = (mode: 'once' | 'run') =>
    (lab as NsLab).inNs((lab as NsLab).control, [node, join(dir.path, 'load.mjs'), String(PORT), mode]);
  const collect = (child: ReturnType<typeof load>) =>
    new Promise<{ ok: number; failed: number; versions: Record<string, number>; errors: string[] }>(
      (resolve) => {
        let out = '';
        child.stdout?.on('data', (b: Buffer) => (out += b));
        child.on('exit', () => resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}')));
      },
    );

  before(async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id_ed25519')]);
    lab = await createLab(dir.path, 3, readFileSync(join(dir.path, 'id_ed25519.pub'), 'utf8'));
    const hosts = lab.hosts
      .map(
        (h, i) =>
          `      - { address: ${h.address}, user: root, key: id_ed25519, dir: ${join(dir.path, `host${i + 1}`)}, agent: "${node} ${join(repoRoot, 'bin/slipway.js')}", roles: [web] }`,
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
config:
  values: { LOG_LEVEL: info, GREETING: hello }
environments:
  production:
    router: { driver: haproxy, port: ${PORT} }
    strategy: { rolling: { bootLimit: 1 } }
    hosts:
${hosts}
`,
    );
    writeFileSync(join(dir.path, 'load.mjs'), LOAD_SCRIPT);
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
      cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
      writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
      // 3.0.0 is broken: it exits at start, so the first host it reaches must stop the deployment.
      if (v === '3.0.0') writeFileSync(join(dir.path, 'b', v, 'faults.json'), '{"crash": true}');
      const made = await cli(dir.path, 'release', 'create', '--version', v, '--ci', 'passed', join('b', v));
      assert.equal(made.code, 0, made.stderr);
    }
  });

  after(() => {
    lab?.destroy();
    rmSync(frontFiles(join(dir.path, '.slipway'), 'production').socket, { force: true });
    dir.cleanup();
  });

  test('validate accepts the hosts; nothing connects to a host whose key is not pinned', async () => {
    assert.equal((await cli(dir.path, 'validate')).code, 0);
    const early = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(early.code, 3, early.stderr);
    assert.match(
      early.stderr,
      /SSH key \(SHA256:[A-Za-z0-9+/]+\) is not pinned; run `slipway hosts trust ENV`/,
    );
  });

  test('hosts trust pins each host key', async () => {
    const trusted = await slipway('hosts', 'trust', 'production');
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(
      trusted.stdout.match(/^pinned\s+10\.77\.0\.1[123]:22\s+SHA256:/gm)?.length,
      3,
      trusted.stdout,
    );
    const again = await slipway('hosts', 'trust', 'production');
    assert.equal(again.stdout.match(/^already pinned/gm)?.length, 3, again.stdout);
  });

  test('the first release reaches every host and is served through HAProxy', async () => {
    const first = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.equal(first.stdout.match(/shipped and verified/g)?.length, 3, first.stdout);
    assert.equal(first.stdout.match(/agent started/g)?.length, 3, first.stdout);
    const seen = await collect(load('once'));
    assert.deepEqual(seen.versions, { '1.0.0': 4 });
  });

  test('a rolling deployment under load fails no request and ends on the new release everywhere', async (t) => {
    const running = load('run');
    const seen = collect(running);
    await new Promise((r) => setTimeout(r, 1_000));
    const started = Date.now();
    const rolled = await slipway('hosts', 'deploy', '2.0.0', '--env', 'production');
    t.diagnostic(
      `rolling deployment of 3 hosts × 2 instances, one host at a time: ${Date.now() - started} ms (CLI start included)`,
    );
    await new Promise((r) => setTimeout(r, 500));
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests through HAProxy during the rolling deployment: ${JSON.stringify(result)}`);
    assert.equal(rolled.code, 0, rolled.stderr + rolled.stdout);
    // One host at a time (bootLimit 1), each healthy at the load balancer before the next.
    const order = [...rolled.stdout.matchAll(/(10\.77\.0\.1\d): serving 2\.0\.0/g)].map((m) => m[1]);
    assert.deepEqual(order, ['10.77.0.11', '10.77.0.12', '10.77.0.13']);
    assert.equal(result.failed, 0, JSON.stringify(result));
    assert.ok(result.ok > 50, JSON.stringify(result));
    assert.ok(
      (result.versions['1.0.0'] ?? 0) > 0 && (result.versions['2.0.0'] ?? 0) > 0,
      JSON.stringify(result),
    );
    const after = await collect(load('once'));
    assert.deepEqual(after.versions, { '2.0.0': 4 });
  });

  test('hosts status shows each host reachable, on the release, healthy and UP at the balancer', async () => {
    const status = await slipway('--json', 'hosts', 'status', 'production');
    assert.equal(status.code, 0, status.stderr);
    const { hosts } = JSON.parse(status.stdout) as { hosts: Record<string, unknown>[] };
    assert.equal(hosts.length, 3);
    for (const h of hosts) {
      assert.equal(h.reachable, true);
      assert.equal(h.release, '2.0.0');
      assert.equal(h.healthy, true);
      assert.equal(h.balancer, 'UP');
      assert.ok(typeof h.lastContact === 'string');
    }
    // `slipway status` reads the hosts' agents for an environment with hosts, not this machine's.
    const plain = await slipway('--json', 'status', 'production');
    assert.equal(plain.code, 0, plain.stderr);
    const [production] = (JSON.parse(plain.stdout) as { environments: Record<string, unknown>[] })
      .environments;
    assert.equal(production?.release, '2.0.0');
    assert.equal(production?.drift, null, JSON.stringify(production));
    assert.match(JSON.stringify(production?.served), /"weight":100/);
  });

  test('a release that fails on the first host stops there, named; no request fails and the rest keep their release', async (t) => {
    const running = load('run');
    const seen = collect(running);
    const broken = await slipway('hosts', 'deploy', '3.0.0', '--env', 'production');
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests through HAProxy during the failed deployment: ${JSON.stringify(result)}`);
    assert.equal(broken.code, 1, broken.stderr + broken.stdout);
    assert.match(broken.stderr, /HOST_DEPLOY_FAILED/);
    assert.match(
      broken.stderr,
      /host 10\.77\.0\.11: .*the deployment stopped there — hosts not reached keep their release \(10\.77\.0\.12, 10\.77\.0\.13\)/,
    );
    assert.equal(result.failed, 0, JSON.stringify(result));
    assert.deepEqual(Object.keys(result.versions), ['2.0.0']);
    const audit = (await cli(dir.path, 'audit', 'export')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; data: { release: string; outcome: string } })
      .filter((e) => e.action === 'hosts.deploy')
      .map((e) => `${e.data.release} ${e.data.outcome}`);
    // The first one was refused (no pinned keys): audited as failed too.
    assert.deepEqual(audit, ['1.0.0 failed', '1.0.0 succeeded', '2.0.0 succeeded', '3.0.0 failed']);
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
  });

  test('going back to 1.0.0 reuses what each host kept: nothing shipped again, no request fails', async (t) => {
    const running = load('run');
    const seen = collect(running);
    const back = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    running.kill('SIGTERM');
    const result = await seen;
    t.diagnostic(`requests through HAProxy while going back: ${JSON.stringify(result)}`);
    assert.equal(back.code, 0, back.stderr + back.stdout);
    assert.equal(back.stdout.match(/release 1\.0\.0 already there/g)?.length, 3, back.stdout);
    assert.doesNotMatch(back.stdout, /agent started/, 'the agents started by the first deployment still run');
    assert.equal(result.failed, 0, JSON.stringify(result));
    assert.deepEqual((await collect(load('once'))).versions, { '1.0.0': 4 });
  });

  test('a host whose key changed is refused with both fingerprints', async () => {
    const file = join(dir.path, '.slipway', 'known_hosts');
    const pinned = readFileSync(file, 'utf8');
    const lines = pinned.trim().split('\n');
    const key = (address: string) =>
      lines
        .find((l) => l.startsWith(`${address} `))
        ?.split(' ')
        .slice(1)
        .join(' ');
    // Pin host 2's key for host 1: to slipway, host 1 now presents a changed key.
    writeFileSync(
      file,
      `${lines.filter((l) => !l.startsWith('10.77.0.11 ')).join('\n')}\n10.77.0.11 ${key('10.77.0.12')}\n`,
    );
    const trust = await slipway('hosts', 'trust', 'production');
    assert.equal(trust.code, 3, trust.stderr);
    assert.match(trust.stdout, /host 10\.77\.0\.11: its SSH key changed — now SHA256:\S+, pinned SHA256:\S+/);
    const deploy = await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    assert.equal(deploy.code, 3, deploy.stderr);
    assert.match(deploy.stderr, /10\.77\.0\.11: its SSH key changed/);
    writeFileSync(file, pinned); // the right pins again, for the tests after this one
  });

  test('a host whose SSH is down is named: status shows it unreachable, deploy changes nothing anywhere', async () => {
    (lab as NsLab).stopSshd(2);
    await new Promise((r) => setTimeout(r, 300));
    const status = await slipway('--json', 'hosts', 'status', 'production');
    assert.equal(status.code, 1, status.stderr);
    const { hosts } = JSON.parse(status.stdout) as {
      hosts: { address: string; reachable: boolean; error?: string }[];
    };
    assert.deepEqual(
      hosts.map((h) => [h.address, h.reachable]),
      [
        ['10.77.0.11', true],
        ['10.77.0.12', true],
        ['10.77.0.13', false],
      ],
    );
    assert.match(
      hosts[2]?.error ?? '',
      /host 10\.77\.0\.13: port 22 refused the SSH connection; check that sshd runs there/,
    );
    const deploy = await slipway('hosts', 'deploy', '2.0.0', '--env', 'production');
    assert.equal(deploy.code, 4, deploy.stderr);
    assert.match(deploy.stderr, /HOST_UNREACHABLE.*host 10\.77\.0\.13: port 22 refused/);
    const after = await collect(load('once'));
    assert.deepEqual(after.versions, { '1.0.0': 4 }, 'nothing changed on the reachable hosts');
  });

  test('hosts stop ends the load balancer and the environment on every host that answers, naming the one that does not', async () => {
    const stopped = await slipway('--json', 'hosts', 'stop', 'production');
    assert.equal(stopped.code, 4, stopped.stderr);
    const result = JSON.parse(stopped.stdout) as {
      balancer: boolean;
      hosts: { address: string; status: string }[];
    };
    assert.equal(result.balancer, true);
    assert.deepEqual(
      result.hosts.map((h) => [h.address, h.status]),
      [
        ['10.77.0.11', 'stopped'],
        ['10.77.0.12', 'stopped'],
        ['10.77.0.13', 'failed'],
      ],
    );
    const again = await slipway('hosts', 'stop', 'production');
    assert.equal(again.code, 4);
    assert.match(again.stderr, /1 of 3 hosts could not be stopped: 10\.77\.0\.13/);
    assert.match(
      again.stdout,
      /load balancer: not running\n10\.77\.0\.11: not running\n10\.77\.0\.12: not running/,
    );
    const through = await collect(load('once'));
    assert.equal(through.ok, 0, 'nothing answers on the load balancer port');
    const status = await slipway('--json', 'hosts', 'status', 'production');
    const { hosts } = JSON.parse(status.stdout) as {
      hosts: { release: string | null; balancer: string | null }[];
    };
    assert.deepEqual(
      hosts.slice(0, 2).map((h) => [h.release, h.balancer]),
      [
        [null, null],
        [null, null],
      ],
    );
  });
});
