/**
 * kill -9 of the data plane (`slipway agent`) under load (issue 3, 7d), through the real CLI:
 * production serves 1.0.0 with two instances; 8 clients send requests back to back; the agent
 * is SIGKILLed and started again at once. Prints the time from the kill until a request is
 * served again (goal ≤ 1 s) and from the restart command to it, the requests that failed in
 * the gap (the agent owns the router's listener, so they do: reported as they are), and the
 * instance pids before and after (proof that no instance was restarted). Loopback only; ~15 s.
 *
 *   node bench/agent-kill.ts            # BENCH_RUNS=3 for more runs
 */
import { once } from 'node:events';
import { cliProject } from './cli-project.ts';
import { describeFailures, failuresBetween, sleep, streamLoad } from './stream-load.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const YAML = `app: shop
run: { command: node server.js, instances: 2, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 3s }
environments:
  production:
    strategy: blue-green
    watch: 1s
`;

const pids = async (p: ReturnType<typeof cliProject>) =>
  (await p.agent().status('production')).releases
    .flatMap((r) => r.instances.map((i) => i.pid))
    .sort()
    .join(',');

const p = cliProject(YAML);
const rows: {
  downMs: number;
  afterStartMs: number;
  failed: number;
  why: string;
  same: boolean;
  before: string;
  after: string;
}[] = [];
try {
  let agent = await p.startAgent();
  await p.release('1.0.0');
  await p.must(['deploy', '1.0.0', '--env', 'production']);
  const port = (await p.agent().status('production')).listen.port;
  for (let i = 0; i < RUNS; i++) {
    const before = await pids(p);
    const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
      concurrency: 8,
      header: 'x-shop-version',
      gapMs: 2,
      timeoutMs: 3000,
    });
    await sleep(1000);
    const killedAt = performance.now();
    const gone = once(agent, 'exit');
    agent.kill('SIGKILL');
    await gone;
    const startAt = performance.now();
    agent = await p.startAgent();
    const readyAt = performance.now();
    await sleep(2000);
    const samples = await load.stop();
    const firstOk = Math.min(
      ...samples.filter((s) => s.start >= killedAt && s.status === 200).map((s) => s.end),
    );
    const failed = failuresBetween(samples, killedAt, Number.POSITIVE_INFINITY);
    const after = await pids(p);
    rows.push({
      downMs: firstOk - killedAt,
      afterStartMs: firstOk - startAt,
      failed: failed.length,
      why: `${describeFailures(failed)}; admin API after ${(readyAt - startAt).toFixed(0)} ms`,
      same: before === after,
      before,
      after,
    });
  }
} finally {
  await p.close();
}
console.log(
  'kill -9 of `slipway agent` under load, restarted at once; 8 clients, no client retries, loopback',
);
console.log('run  kill → serving ms  restart → serving ms  failed  same pids  pids before → after  failures');
for (const [i, r] of rows.entries())
  console.log(
    `${String(i + 1).padStart(3)} ${r.downMs.toFixed(0).padStart(18)} ${r.afterStartMs.toFixed(0).padStart(21)} ${String(r.failed).padStart(7)} ${String(r.same).padStart(10)}  ${r.before} → ${r.after}  ${r.why}`,
  );
const worst = Math.max(...rows.map((r) => r.downMs));
console.log(
  `goal serving again ≤ 1 s after the kill: ${worst.toFixed(0)} ms ${worst <= 1000 ? 'met' : 'NOT met'}`,
);
console.log(`goal no instance restarted: ${rows.every((r) => r.same) ? 'met' : 'NOT met'}`);
