/**
 * A canary across the fleet end to end (issue 17 a, b), through the real CLI: `slipway deploy 2.0.0`
 * (1.0.0 → 2.0.0, a canary of 10% → 50% → 100% with an analysis step at 10%) on three hosts made of
 * network namespaces (each its own sshd and agent, HAProxy in front, src/fleet/testing.ts), under
 * keep-alive load through the load balancer, against the same canary on one host (the peer). Reports
 * wall time (CLI start included), the ratio to one host, and the failed requests (goal 0). Needs
 * root, `ip netns`, sshd (openssh-server) and haproxy. A few minutes here.
 *
 *   node bench/fleet-canary.ts            # BENCH_RUNS=2 for more runs, BENCH_HOSTS=5 for more hosts
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { frontFiles } from '../src/fleet/front.ts';
import { createLab, LOAD_SCRIPT, type NsLab, netnsUnavailable, runInNs } from '../src/fleet/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const why = netnsUnavailable();
if (why !== undefined) {
  console.log(`fleet-canary: not run: ${why}`);
  process.exit(0);
}
const HOSTS = Number(process.env.BENCH_HOSTS ?? 3);
const ENVS = { single: [1, 18_211], fleet: [HOSTS, 18_212] } as const;
const dir = tempDir('slipway-bench-fleet-canary-');
let lab: NsLab | undefined;
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
try {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id')]);
  lab = await createLab(dir.path, HOSTS, readFileSync(join(dir.path, 'id.pub'), 'utf8'));
  const node = process.execPath;
  // The single-host environment gets its own host folder, so the two never share an agent.
  const host = (i: number, env: string) =>
    `      - { address: ${lab?.hosts[i]?.address}, key: id, dir: ${join(dir.path, `${env}-host${i}`)}, agent: "${node} ${join(repoRoot, 'bin/slipway.js')}" }`;
  const env = (name: string, [count, port]: readonly [number, number]) =>
    `  ${name}:\n    router: { driver: haproxy, port: ${port} }\n    profile: fast\n    strategy: { canary: { steps: [{ weight: 10, analysis: { duration: 3s } }, { weight: 50, pause: 1s }, { weight: 100 }] } }\n    hosts:\n${Array.from({ length: count }, (_, i) => host(i, name)).join('\n')}\n`;
  writeFileSync(
    join(dir.path, 'slipway.yaml'),
    `app: shop\nrun:\n  command: ${node} server.js\n  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 30s }\n  instances: 2\n  stopTimeout: 3s\nenvironments:\n${Object.entries(
      ENVS,
    )
      .map(([n, e]) => env(n, e))
      .join('')}`,
  );
  writeFileSync(join(dir.path, 'load.mjs'), LOAD_SCRIPT);
  for (const v of ['1.0.0', '2.0.0']) {
    cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b', v), { recursive: true });
    writeFileSync(join(dir.path, 'b', v, 'VERSION'), v);
    const code = await main(['release', 'create', '--version', v, '--ci', 'passed', join('b', v)], {
      cwd: dir.path,
      streams: { stdout: quiet, stderr: process.stderr },
    });
    if (code !== 0) throw new Error(`release create ${v} exited ${code}`);
  }
  const slipway = async (...argv: string[]) => {
    const started = performance.now();
    const r = await runInNs(
      lab as NsLab,
      (lab as NsLab).control,
      [node, '--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      dir.path,
    );
    if (r.code !== 0) throw new Error(`slipway ${argv.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return performance.now() - started;
  };
  const loaded = async (port: number, fn: () => Promise<number>) => {
    const child = (lab as NsLab).inNs((lab as NsLab).control, [
      node,
      join(dir.path, 'load.mjs'),
      String(port),
      'run',
    ]);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b));
    const ended = new Promise((r) => child.on('exit', r));
    try {
      return { ms: await fn() };
    } finally {
      child.kill('SIGTERM');
      await ended;
      Object.assign(loadOf, { [port]: JSON.parse(out.trim().split('\n').pop() ?? '{}') });
    }
  };
  const loadOf: Record<number, { ok: number; failed: number; slowestMs: number }> = {};
  await slipway('hosts', 'trust', 'fleet');
  const times: Record<string, number[]> = { single: [], fleet: [] };
  const failed: Record<string, number> = { single: 0, fleet: 0 };
  const served: Record<string, number> = { single: 0, fleet: 0 };
  for (let run = 0; run < RUNS; run++)
    for (const [name, [, port]] of Object.entries(ENVS)) {
      await slipway('deploy', run % 2 === 0 ? '1.0.0' : '2.0.0', '--env', name);
      const to = run % 2 === 0 ? '2.0.0' : '1.0.0';
      const { ms } = await loaded(port, () => slipway('deploy', to, '--env', name));
      times[name]?.push(ms);
      failed[name] = (failed[name] ?? 0) + (loadOf[port]?.failed ?? 0);
      served[name] = (served[name] ?? 0) + (loadOf[port]?.ok ?? 0);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const one = median(times.single ?? []);
  console.log(
    `fleet-canary: canary 10% (analysis 3 s) → 50% → 100%, 2 instances per host, median of ${RUNS} run(s), CLI start included, under load through HAProxy\n`,
  );
  console.log('| env | wall time | vs one host | requests ok | failed (goal 0) |');
  console.log('|---|---|---|---|---|');
  for (const name of Object.keys(ENVS)) {
    const ms = median(times[name] ?? []);
    console.log(
      `| ${name === 'fleet' ? `${HOSTS} hosts` : '1 host (the peer)'} | ${Math.round(ms)} ms | ${(ms / one).toFixed(2)} × | ${served[name]} | ${failed[name]} |`,
    );
  }
} finally {
  lab?.destroy();
  for (const name of Object.keys(ENVS))
    rmSync(frontFiles(join(dir.path, '.slipway'), name).socket, { force: true });
  dir.cleanup();
}
