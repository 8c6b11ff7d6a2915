/**
 * kill -9 of the control plane under load (issue 3, 7c), through the real CLI: `slipway agent`
 * serves production (1.0.0, two instances); 8 clients send requests back to back; `slipway
 * deploy 2.0.0 --env production` drives a canary and is SIGKILLed once the canary takes traffic;
 * load continues 3 s with nothing driving; then `slipway resume production` finishes the
 * deployment. Prints failed requests (goal 0) during the whole run, split by phase, and the end
 * state. Loopback only; ~30 s.
 *
 *   node bench/control-plane-kill.ts
 */
import { once } from 'node:events';
import { cliProject } from './cli-project.ts';
import { describeFailures, failuresBetween, sleep, streamLoad } from './stream-load.ts';

const YAML = `app: shop
run: { command: node server.js, instances: 2, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 3s }
environments:
  production:
    profile: fast
    strategy:
      canary:
        steps: [{ weight: 10, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 4s } }, { weight: 100 }]
    watch: 2s
`;

const p = cliProject(YAML);
try {
  await p.startAgent();
  await p.release('1.0.0');
  await p.release('2.0.0');
  await p.must(['deploy', '1.0.0', '--env', 'production']);
  const agent = p.agent();
  const port = (await agent.status('production')).listen.port;
  const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
    concurrency: 8,
    header: 'x-shop-version',
    gapMs: 2,
  });
  const t0 = performance.now();
  const deploy = p.spawnCli(['deploy', '2.0.0', '--env', 'production']);
  deploy.stdout?.resume();
  deploy.stderr?.resume();
  while (!load.samples.some((s) => s.side === '2.0.0')) await sleep(20);
  await sleep(1000);
  const weightsAtKill = (await agent.status('production')).releases.map((r) => `${r.weight}`).join('/');
  const killedAt = performance.now();
  const gone = once(deploy, 'exit');
  deploy.kill('SIGKILL');
  await gone;
  await sleep(3000);
  const resumedAt = performance.now();
  const resumeCode = await p.run(['resume', 'production']);
  const doneAt = performance.now();
  await sleep(500);
  const samples = await load.stop();
  const end = (await agent.status('production')).releases.map(
    (r) => `${r.release.slice(0, 12)}=${r.weight}%`,
  );
  const served = new Map<string, number>();
  for (const s of samples.filter((x) => x.end > doneAt)) served.set(s.side, (served.get(s.side) ?? 0) + 1);
  const all = failuresBetween(samples, 0, Number.POSITIVE_INFINITY);
  console.log('kill -9 of `slipway deploy` during a canary, 8 clients, no client retries, loopback');
  console.log('phase                                   requests  failed');
  const row = (name: string, from: number, to: number) =>
    console.log(
      `${name.padEnd(38)} ${String(samples.filter((s) => s.end >= from && s.end < to).length).padStart(9)} ${String(failuresBetween(samples, from, to).length).padStart(7)}`,
    );
  row('deploy running, until the kill', t0, killedAt);
  row(`after kill -9 (weights ${weightsAtKill}), 3 s`, killedAt, resumedAt);
  row('`slipway resume production`', resumedAt, doneAt);
  row('after it finished', doneAt, Number.POSITIVE_INFINITY);
  console.log(
    `resume exit code ${resumeCode}, took ${((doneAt - resumedAt) / 1000).toFixed(1)} s; end state ${end.join(', ')}`,
  );
  console.log(`answered after resume by: ${[...served].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (all.length) console.log(`failures: ${describeFailures(all)}`);
  console.log(`goal 0 failed requests: ${all.length} ${all.length === 0 ? 'met' : 'NOT met'}`);
  console.log(
    `goal resume finishes the deployment: ${resumeCode === 0 && served.size === 1 && served.has('2.0.0') ? 'met' : 'NOT met'}`,
  );
} finally {
  await p.close();
}
