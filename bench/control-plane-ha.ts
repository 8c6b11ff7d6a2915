/**
 * Control plane high availability (issue 17, bench c): three `slipway server` processes on a fresh
 * PostgreSQL database (created here, dropped at the end), a real `slipway agent`, 8 clients
 * sending requests back to back through the agent's router. A canary is started through a
 * follower; once the canary takes traffic the leader is killed with SIGKILL. Measured from the
 * kill: until another server says it leads (GET /api/health), until it drives the canary (the
 * "driven by server …" line in the timeline), until the canary's next step ends. The peer, in the
 * same run: a graceful hand-over (SIGTERM of the new leader, which lets go of its lease), so the
 * ratio shows what detecting a dead leader costs. Prints failed requests (goal 0) and how many
 * times the deployment finished (goal 1). Loopback only; ~60 s.
 *
 *   node bench/control-plane-ha.ts
 */

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiClient } from '../src/cli/remote.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { cliProject } from './cli-project.ts';
import { describeFailures, failuresBetween, sleep, streamLoad } from './stream-load.ts';

const YAML = `app: shop
run: { command: node server.js, instances: 2, health: { path: /health, interval: 300ms, timeout: 300ms, startTimeout: 20s }, stopTimeout: 3s }
environments:
  production:
    profile: fast
    strategy:
      canary:
        steps: [{ weight: 25, analysis: { duration: 4s } }, { weight: 50, analysis: { duration: 4s } }, { weight: 100 }]
    watch: 1s
`;

const postgres = BACKENDS.find((b) => b.name === 'postgres');
const skip = postgres ? await postgres.skip() : 'STORE_BACKENDS excludes postgres';
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const db = await (postgres as NonNullable<typeof postgres>).fresh();
process.env.SLIPWAY_STORE = db.url;
const p = cliProject(YAML);

type Server = { name: string; child: ChildProcess; url: string };
async function startServer(name: string, init: boolean): Promise<Server> {
  const child = p.spawnCli(['server', '--port', '0', '--name', name, ...(init ? ['--init'] : [])]);
  let out = '';
  child.stderr?.on('data', (c) => (out += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c) => {
      out += c;
      const m = /API on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server ${name} exited ${code}: ${out}`)));
  });
  return { name, child, url };
}
async function role(s: Server): Promise<string | undefined> {
  try {
    const h = (await (await fetch(`${s.url}/api/health`, { signal: AbortSignal.timeout(1000) })).json()) as {
      role?: string;
    };
    return h.role;
  } catch {
    return undefined;
  }
}
async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<number> {
  const end = performance.now() + ms;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
  return performance.now();
}

try {
  await p.startAgent();
  await p.release('1.0.0');
  await p.release('2.0.0');
  const a = await startServer('a', true);
  const token = readFileSync(join(p.dir, '.slipway', 'first-admin-token'), 'utf8').trim();
  const b = await startServer('b', false);
  const c = await startServer('c', false);
  const api = (s: Server) => createApiClient({ url: s.url, token });
  const first = await api(a).deploy('production', '1.0.0');
  await until('1.0.0', async () => (await api(a).deployment(first.id)).deployment.status === 'succeeded');
  const port = (await p.agent().status('production')).listen.port;
  const load = streamLoad(`http://127.0.0.1:${port}/api/products`, {
    concurrency: 8,
    header: 'x-shop-version',
    gapMs: 2,
  });
  const canary = await api(b).deploy('production', '2.0.0');
  await until('the canary to take traffic', async () => load.samples.some((s) => s.side === '2.0.0'));
  await sleep(1000);
  const weightAtKill = (await api(b).deployment(canary.id)).progress.weight;

  const killedAt = performance.now();
  const killedWall = Date.now();
  const gone = once(a.child, 'exit');
  a.child.kill('SIGKILL');
  await gone;
  let leader: Server | undefined;
  const ledAt = await until('another leader', async () => {
    for (const s of [b, c]) if ((await role(s)) === 'leader') leader = s;
    return leader !== undefined;
  });
  const timeline = async () => (await api(b).deployment(canary.id)).timeline;
  const drivenAt = await until('the canary driven again', async () =>
    (await timeline()).some((t) => /^driven by server [bc]/.test(t.what)),
  );
  const movedAt = await until('the next step', async () =>
    (await timeline()).some((t) => Date.parse(t.at) > killedWall && !t.what.startsWith('driven by')),
  );
  const doneAt = await until(
    'the canary to finish',
    async () => (await api(b).deployment(canary.id)).deployment.status !== 'running',
  );
  const done = await api(b).deployment(canary.id);
  const history = await api(b).history({ app: 'shop', env: 'production', limit: 10 });

  // The peer: the new leader stops gracefully (lets go of its lease); the last server leads.
  const current = leader as Server;
  const last = current === b ? c : b;
  const stoppedAt = performance.now();
  current.child.kill('SIGTERM');
  const gracefulAt = await until('the last server to lead', async () => (await role(last)) === 'leader');

  // A frozen leader (SIGSTOP): alive on this host, so only its lease's deadline (5 s) tells the
  // others it is gone, as for a leader on another machine that died. It wakes (SIGCONT) after the
  // other took over and must step down without driving.
  const d = await startServer('d', false);
  const back = await api(last).deploy('production', '1.0.0');
  await until('the second canary to take traffic', async () =>
    load.samples.slice(-50).some((x) => x.side === '1.0.0'),
  );
  await sleep(1000);
  const frozenAt = performance.now();
  last.child.kill('SIGSTOP');
  const frozenLedAt = await until('d to lead', async () => (await role(d)) === 'leader');
  const frozenDrivenAt = await until('d to drive', async () =>
    (await api(d).deployment(back.id)).timeline.some((t) => /^driven by server d/.test(t.what)),
  );
  last.child.kill('SIGCONT');
  await until(
    'the second canary to finish',
    async () => (await api(d).deployment(back.id)).deployment.status !== 'running',
  );
  await sleep(1500);
  const backDone = await api(d).deployment(back.id);
  const lastRole = await role(last);
  const history2 = await api(d).history({ app: 'shop', env: 'production', limit: 10 });
  await sleep(300);
  const samples = await load.stop();
  const failed = failuresBetween(samples, 0, Number.POSITIVE_INFINITY);

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log('3 servers on one PostgreSQL store, canary under load (8 clients, no retries), loopback');
  console.log(`kill -9 of the leader at canary weight ${weightAtKill}%:`);
  console.log(`  another server leads after          ${s(ledAt - killedAt)}`);
  console.log(`  it drives the canary after          ${s(drivenAt - killedAt)}`);
  console.log(
    `  the canary's next step ends after   ${s(movedAt - killedAt)} (the rest of the 4 s analysis it was in)`,
  );
  console.log(`  the canary finished after           ${s(doneAt - killedAt)}: ${done.deployment.status}`);
  console.log(`peer, graceful hand-over (SIGTERM):   ${s(gracefulAt - stoppedAt)}`);
  console.log(
    `ratio kill -9 / graceful hand-over to lead: ${((ledAt - killedAt) / (gracefulAt - stoppedAt)).toFixed(2)}`,
  );
  console.log(
    `hand-over in the timeline: ${done.timeline
      .filter((t) => t.what.startsWith('driven by'))
      .map((t) => t.what)
      .join(' | ')}`,
  );
  console.log(`a frozen leader (SIGSTOP, lease deadline 5 s), canary back to 1.0.0:`);
  console.log(`  another server leads after          ${s(frozenLedAt - frozenAt)}`);
  console.log(`  it drives the canary after          ${s(frozenDrivenAt - frozenAt)}`);
  console.log(
    `  after SIGCONT the old leader is ${lastRole}; the canary ${backDone.deployment.status}; finish lines in its timeline: ${backDone.timeline.filter((t) => /^(succeeded|done: finalize|finished)/.test(t.what)).length}`,
  );
  console.log(`  deployments now: ${history2.map((x) => x.status).join(', ')}`);
  const succeeded = history.filter((d) => d.id === canary.id && d.status === 'succeeded').length;
  console.log(
    `requests ${samples.length}, failed ${failed.length}${failed.length ? `: ${describeFailures(failed)}` : ''}`,
  );
  const moved = Math.max(drivenAt - killedAt, frozenDrivenAt - frozenAt) / 1000;
  console.log(
    `goal another server drives the deployment within 10 s (slower of kill -9 and frozen): ${moved.toFixed(2)} s ${moved <= 10 ? 'met' : 'NOT met'}`,
  );
  console.log(`goal 0 failed requests: ${failed.length === 0 ? 'met' : 'NOT met'}`);
  console.log(
    `goal the deployment finishes once: ${succeeded === 1 && history.length === 2 ? 'met' : 'NOT met'} (${history.map((d) => d.status).join(', ')})`,
  );
} finally {
  await p.close();
  await db.cleanup();
}
