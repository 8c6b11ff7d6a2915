/**
 * kill -9 of the agent under load, with and without the supervisor (issue 13, benchmark b), in one
 * run: production serves 1.0.0 with two instances; two loads run at once over kept-alive
 * connections, one plain (no retries) and one that retries like browsers and Go's HTTP client
 * (an idempotent request whose reused connection closed before any response byte is sent once
 * more). Unsupervised (`slipway agent`, today): the bench starts the agent again at once, as a
 * person or a script would at best. Supervised (`slipway agent --supervise`): nobody does
 * anything; the supervisor restarts the agent (its spare, loaded: the bench waits for it before
 * each kill, as in steady state) and holds the listeners meanwhile. Prints refused
 * and failed requests, the time from the kill until a request is served again and until the new
 * agent's admin API answers (full service), and the instance pids before and after.
 * Loopback only; ~40 s.
 *
 *   node bench/agent-kill-supervised.ts            # BENCH_RUNS=3 (per mode)
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliProject } from './cli-project.ts';
import { httpLoad, tally } from './http-load.ts';
import { sleep } from './stream-load.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const YAML = `app: shop
run: { command: node server.js, instances: 2, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 3s }
environments:
  production:
    strategy: blue-green
    watch: 1s
`;

type Project = ReturnType<typeof cliProject>;
const pids = async (p: Project) =>
  (await p.agent().status('production')).releases
    .flatMap((r) => r.instances.map((i) => i.pid))
    .sort()
    .join(',');
const agentPid = (p: Project) =>
  JSON.parse(readFileSync(join(p.dir, '.slipway', 'agent', 'agent.json'), 'utf8')).pid as number | null;

/** Polls until a new agent (not `old`) answers its admin API; returns when it did. */
async function newAgentReady(p: Project, old: number): Promise<number> {
  for (;;) {
    try {
      const pid = agentPid(p);
      if (pid !== null && pid !== old) {
        await p.agent().status('production');
        return performance.now();
      }
    } catch {
      // not up yet
    }
    await sleep(5);
  }
}

async function standbyReady(p: Project): Promise<void> {
  const file = join(p.dir, '.slipway', 'agent', 'supervisor.json');
  for (let i = 0; i < 1200; i++) {
    if (JSON.parse(readFileSync(file, 'utf8')).standbyPid) return;
    await sleep(50);
  }
  throw new Error('the supervisor has no spare agent after 60 s');
}

interface Row {
  mode: string;
  servingMs: number;
  fullMs: number;
  plain: ReturnType<typeof tally>;
  retrying: ReturnType<typeof tally>;
  same: boolean;
}

async function runMode(supervised: boolean): Promise<Row[]> {
  const p = cliProject(YAML);
  const rows: Row[] = [];
  try {
    let agent = await p.startAgent(supervised ? ['--supervise'] : []);
    await p.release('1.0.0');
    await p.must(['deploy', '1.0.0', '--env', 'production']);
    const port = (await p.agent().status('production')).listen.port;
    const url = `http://127.0.0.1:${port}/api/products`;
    for (let i = 0; i < RUNS; i++) {
      const before = await pids(p);
      const plain = httpLoad(url, { concurrency: 4, gapMs: 2, timeoutMs: 5000 });
      const retrying = httpLoad(url, { concurrency: 4, gapMs: 2, timeoutMs: 5000, retryReused: true });
      await sleep(1000);
      // Steady state: the supervisor's spare agent is loaded (it starts 1 s after each agent).
      if (supervised) await standbyReady(p);
      const victim = agentPid(p)!;
      const killedAt = performance.now();
      process.kill(victim, 'SIGKILL');
      if (!supervised) {
        await once(agent, 'exit');
        agent = await p.startAgent();
      }
      const readyAt = await newAgentReady(p, victim);
      await sleep(1500);
      const plainSamples = await plain.stop();
      const retryingSamples = await retrying.stop();
      const all = [...plainSamples, ...retryingSamples];
      const firstOk = Math.min(
        ...all.filter((s) => s.start >= killedAt && s.status === 200).map((s) => s.end),
      );
      const after = await pids(p);
      const since = (list: typeof all) => list.filter((s) => s.end >= killedAt);
      rows.push({
        mode: supervised ? 'supervised' : 'unsupervised',
        servingMs: firstOk - killedAt,
        fullMs: readyAt - killedAt,
        plain: tally(since(plainSamples)),
        retrying: tally(since(retryingSamples)),
        same: before === after,
      });
    }
  } finally {
    await p.close();
  }
  return rows;
}

const rows = [...(await runMode(false)), ...(await runMode(true))];
console.log(
  'kill -9 of the agent under load; 4 plain + 4 retrying clients on kept-alive connections, loopback',
);
console.log(
  'mode          kill → serving ms  kill → admin API ms  plain: refused/failed/total  retrying: refused/failed/retried/total  same pids',
);
for (const r of rows)
  console.log(
    `${r.mode.padEnd(13)} ${r.servingMs.toFixed(0).padStart(17)} ${r.fullMs.toFixed(0).padStart(23)}  ${`${r.plain.refused}/${r.plain.failed}/${r.plain.total}`.padStart(27)}  ${`${r.retrying.refused}/${r.retrying.failed}/${r.retrying.retried}/${r.retrying.total}`.padStart(38)}  ${r.same}   ${r.plain.why}`,
  );
