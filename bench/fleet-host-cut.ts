/**
 * One host cut off the network under load (issue 17 b, the "host cut off" case, outside a
 * deployment): three namespace hosts behind the fleet's load balancer serve 1.0.0; 4 keep-alive
 * clients (5 s timeout, no retry) send requests through it; after 2 s host 3's link goes down
 * (packets vanish, nothing is refused) and the load runs 8 s more. Once with HAProxy in front, then
 * (host 3 back) with nginx. Prints the requests, the failed ones (goal 0) and the slowest answer
 * per driver. `router.answerTimeout` is 2s. Needs root, `ip netns`, sshd, haproxy and nginx. ~2 minutes.
 *
 *   node bench/fleet-host-cut.ts
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main.ts';
import { frontFiles } from '../src/fleet/front.ts';
import { createLab, LOAD_SCRIPT, type NsLab, netnsUnavailable, runInNs } from '../src/fleet/testing.ts';
import { repoRoot, tempDir } from '../src/testing.ts';

const why = netnsUnavailable();
if (why !== undefined) {
  console.log(`fleet-host-cut: not run: ${why}`);
  process.exit(0);
}
const PORT = 18_301;
const dir = tempDir('slipway-bench-cut-');
let lab: NsLab | undefined;
try {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir.path, 'id')]);
  lab = await createLab(dir.path, 3, readFileSync(join(dir.path, 'id.pub'), 'utf8'));
  const node = process.execPath;
  const hosts = lab.hosts
    .map(
      (h, i) =>
        `      - { address: ${h.address}, key: id, dir: ${join(dir.path, `host${i}`)}, agent: "${node} ${join(repoRoot, 'bin/slipway.js')}" }`,
    )
    .join('\n');
  const yaml = (driver: string) =>
    writeFileSync(
      join(dir.path, 'slipway.yaml'),
      `app: shop\nrun:\n  command: ${node} server.js\n  health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 30s }\n  instances: 2\nconfig:\n  values: { LOG_LEVEL: info, GREETING: hello }\nenvironments:\n  production:\n    router: { driver: ${driver}, port: ${PORT}, answerTimeout: 2s }\n    hosts:\n${hosts}\n`,
    );
  yaml('haproxy');
  writeFileSync(join(dir.path, 'load.mjs'), LOAD_SCRIPT);
  cpSync(join(repoRoot, 'examples/shop/app'), join(dir.path, 'b'), { recursive: true });
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
  const made = await main(['release', 'create', '--version', '1.0.0', '--ci', 'passed', 'b'], {
    cwd: dir.path,
    streams: { stdout: quiet, stderr: process.stderr },
  });
  if (made !== 0) throw new Error(`release create exited ${made}`);
  const slipway = async (...argv: string[]) => {
    const r = await runInNs(
      lab as NsLab,
      (lab as NsLab).control,
      [node, '--disable-warning=ExperimentalWarning', join(repoRoot, 'bin/slipway.js'), ...argv],
      dir.path,
    );
    if (r.code !== 0) throw new Error(`slipway ${argv.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  };
  await slipway('hosts', 'trust', 'production');
  console.log('| load balancer | requests | failed | slowest answer | goal | |');
  console.log('|---|---|---|---|---|---|');
  for (const driver of ['haproxy', 'nginx']) {
    yaml(driver);
    await slipway('hosts', 'deploy', '1.0.0', '--env', 'production');
    await new Promise((r) => setTimeout(r, 2_000));
    const load = lab.inNs(lab.control, [node, join(dir.path, 'load.mjs'), String(PORT), 'run']);
    let out = '';
    load.stdout?.on('data', (b: Buffer) => (out += b));
    const ended = new Promise((r) => load.on('exit', r));
    await new Promise((r) => setTimeout(r, 2_000));
    lab.linkDown(2);
    await new Promise((r) => setTimeout(r, 8_000));
    load.kill('SIGTERM');
    await ended;
    lab.linkUp(2);
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
      ok: number;
      failed: number;
      slowestMs: number;
      errors: string[];
    };
    console.log(
      `| ${driver} | ${result.ok + result.failed} | ${result.failed} | ${result.slowestMs} ms | 0 failed | ${result.failed === 0 ? 'met' : 'NOT met'} |`,
    );
    if (result.errors.length > 0) console.log(`\n${driver} errors: ${result.errors.join('; ')}`);
  }
  console.log('\nfleet-host-cut: host 3 of 3 cut off (link down) 2 s into 10 s of load, per load balancer');
} finally {
  lab?.destroy();
  rmSync(frontFiles(join(dir.path, '.slipway'), 'production').socket, { force: true });
  dir.cleanup();
}
