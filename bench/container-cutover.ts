/**
 * Cutover on the container runtime under continuous load (issue 15 · b), with a real Podman
 * service and registry on 127.0.0.1: the example shop as images 1.0.0 and 2.0.0, registered with
 * `slipway release create --image`, run by `slipway agent --supervise` (DOCKER_HOST → the engine)
 * behind the builtin router. 4 kept-alive clients send requests back to back, never retried.
 *
 * Through the CLI (failed requests counted, goal 0): `slipway deploy 2.0.0` blue-green,
 * `slipway rollback`, a canary `slipway deploy` walking 25 → 50 → 100, and a kill -9 of the agent
 * (the supervisor starts the next one, which adopts the running containers by their labels).
 * Through the agent's admin API, which is what the engine calls at each step (the same
 * measurement as bench/cutover.ts: from the weights call to the first answer from the new side,
 * goal ≤ 10 ms): a switch, a rollback, and a first canary step at 25 %, with 50 and 100 after it;
 * and the same cutovers on a builtin router of the bench's own (its own process, as in cutover.ts)
 * in front of the same instances, timed from the router's own call. Each figure is set against the
 * process runtime measured the same way in the same run (the shop from folders, same agent code).
 * ~2 minutes, most of it image builds and container starts.
 *
 *   node bench/container-cutover.ts
 *   BENCH_ROUNDS=5 node bench/container-cutover.ts   # more rounds of the admin-API cutovers (default 3)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scopeOf } from '../src/runtime/by-image.ts';
import {
  buildAndPush,
  removeRegistryImages,
  startEngine,
  startRegistry,
} from '../src/runtime/container/testing.ts';
import { freePort } from '../src/runtime/process/ports.ts';
import { repoRoot, tempDir } from '../src/testing.ts';
import { builtinChild } from './builtin-child-router.ts';
import { type CliProject, cliProject } from './cli-project.ts';
import { httpLoad, tally } from './http-load.ts';
import {
  describeFailures,
  failuresBetween,
  firstServedBy,
  type Sample,
  sleep,
  streamLoad,
} from './stream-load.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const dir = tempDir('slipway-bench-container-cutover-');
const registry = await startRegistry(join(dir.path, 'registry'));
const engine = await startEngine(join(dir.path, 'engine'), [registry.host]);
process.env.DOCKER_HOST = engine.dockerHost;

const shop = (version: string) => ({
  'server.js': readFileSync(join(repoRoot, 'examples/shop/app/server.js'), 'utf8'),
  'package.json': readFileSync(join(repoRoot, 'examples/shop/app/package.json'), 'utf8'),
  VERSION: version,
});
const [prodPort, canaryPort] = [await freePort(), await freePort()];
const YAML = `app: shop
run:
  image: ${registry.host}/shop
  health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 30s }
  instances: 2
  stopTimeout: 3s
environments:
  production:
    profile: fast
    router: { port: ${prodPort} }
    strategy: { blue-green: { warmFor: 10m } }
  canary:
    profile: fast
    router: { port: ${canaryPort} }
    strategy: { canary: { steps: [{ weight: 25, pause: 1s }, { weight: 50, pause: 1s }, { weight: 100 }] } }
`;

interface Cutover {
  readonly name: string;
  readonly commandMs: number;
  readonly firstNewMs: number;
  readonly failed: number;
}
interface CliPhase {
  readonly name: string;
  readonly ms: number;
  readonly failed: Sample[];
  readonly requests: number;
}

const p = cliProject(YAML);
// The peer, measured in the same run: the same app as folder releases on the process runtime.
const peerPort = await freePort();
const peer = cliProject(`app: shop
run: { command: node server.js, instances: 2, health: { path: /health, interval: 500ms, timeout: 500ms, startTimeout: 30s }, stopTimeout: 3s }
environments:
  production:
    profile: fast
    router: { port: ${peerPort} }
    strategy: { blue-green: { warmFor: 10m } }
`);
// This agent's containers (the test engines share one image store with other runs on the machine).
const scope = `label=slipway.scope=${scopeOf(join(p.dir, '.slipway', 'agent'))}`;
const cutovers: Cutover[] = [];
const peerCutovers: Cutover[] = [];
/** Median request latency during the admin-API cutovers: containers, then the process peer. */
const latencies: number[] = [];
/** The same cutovers made on a builtin router of the bench's own in front of the same instances. */
const routerOnly: Cutover[] = [];
const peerRouterOnly: Cutover[] = [];
const phases: CliPhase[] = [];
let adopted = '';
let retrying: ReturnType<typeof tally> | undefined;
try {
  for (const v of ['1.0.0', '2.0.0']) {
    await buildAndPush(engine, registry.host, {
      name: 'shop',
      tag: v,
      files: shop(v),
      containerfile: join(repoRoot, 'examples/shop/app/Containerfile'),
      buildArgs: { VERSION: v },
    });
    await p.must(['release', 'create', '--ci', 'passed', '--image', `${registry.host}/shop:${v}`]);
  }
  await p.startAgent(['--supervise']);
  const load = (port: number) =>
    streamLoad(`http://127.0.0.1:${port}/`, { concurrency: 4, header: 'x-shop-version', timeoutMs: 5000 });
  /** Runs `what` under load on `port` and records its failed requests. */
  const underLoad = async (name: string, port: number, what: () => Promise<void>) => {
    const l = load(port);
    await sleep(500);
    const at = performance.now();
    await what();
    const ms = performance.now() - at;
    await sleep(500);
    const samples = await l.stop();
    phases.push({
      name,
      ms,
      failed: failuresBetween(samples, 0, Number.POSITIVE_INFINITY),
      requests: samples.length,
    });
  };

  // Through the CLI: blue-green deploy, then the agent's own cutovers, then rollback.
  await p.must(['deploy', '1.0.0', '--env', 'production']);
  await underLoad('deploy 2.0.0 (blue-green switch)', prodPort, () =>
    p.must(['deploy', '2.0.0', '--env', 'production']),
  );
  const [v1, v2] = await productionIds(p);
  cutovers.push(...(await adminCutovers(p, prodPort, v1, v2)));
  routerOnly.push(...(await routerCutovers(p)));
  await underLoad('slipway rollback (to the warm 1.0.0)', prodPort, () => p.must(['rollback', 'production']));

  // kill -9 of the agent: the supervisor holds the listener and starts the spare, which adopts.
  const containers = async () =>
    (await engine.podman('ps', '-q', '--no-trunc', '--filter', scope)).split('\n').sort().join(',');
  const before = await containers();
  await standbyReady(p.dir);
  // Beside the plain load, one that retries like browsers and Go's client (bench/http-load.ts).
  const retryLoad = httpLoad(`http://127.0.0.1:${prodPort}/`, { concurrency: 4, retryReused: true });
  await underLoad('kill -9 of the agent (supervised)', prodPort, async () => {
    const pid = agentPid(p.dir);
    process.kill(pid, 'SIGKILL');
    while (agentPid(p.dir) === pid) await sleep(20);
    await p.agent().status('production');
  });
  retrying = tally(await retryLoad.stop());
  adopted = before === (await containers()) ? 'same containers' : 'containers CHANGED';

  // The process peer: the same cutovers on the same agent code, instances as processes.
  await peer.release('1.0.0');
  await peer.release('2.0.0');
  await peer.startAgent(['--supervise']);
  await peer.must(['deploy', '1.0.0', '--env', 'production']);
  await peer.must(['deploy', '2.0.0', '--env', 'production']);
  peerCutovers.push(...(await adminCutovers(peer, peerPort, ...(await productionIds(peer)))));
  peerRouterOnly.push(...(await routerCutovers(peer)));

  // A canary through the CLI, its steps walked by the engine.
  await p.must(['deploy', '1.0.0', '--env', 'canary']);
  await underLoad('canary deploy 2.0.0 (25 → 50 → 100)', canaryPort, () =>
    p.must(['deploy', '2.0.0', '--env', 'canary']),
  );
} finally {
  await p.close();
  await peer.close();
  const left = (await engine.podman('ps', '-aq', '--filter', scope)).split('\n').filter(Boolean);
  if (left.length > 0) await engine.podman('rm', '-f', '-t', '0', ...left).catch(() => undefined);
  await removeRegistryImages(engine, registry.host);
  await engine.stop();
  await registry.stop();
  dir.cleanup();
}

/** ROUNDS of switch, rollback and canary steps through the agent's admin API, under load on `port`. */
async function adminCutovers(project: CliProject, port: number, v1: string, v2: string): Promise<Cutover[]> {
  const out: Cutover[] = [];
  const l = streamLoad(`http://127.0.0.1:${port}/`, {
    concurrency: 4,
    header: 'x-shop-version',
    timeoutMs: 5000,
  });
  await sleep(800);
  const shift = async (name: string, weights: Record<string, number>, version: string) => {
    const at = performance.now();
    await project.agent().setWeights('production', weights);
    const commandMs = performance.now() - at;
    await sleep(600);
    const firstNewMs = firstServedBy(l.samples, (s) => s === version, at);
    const failed = failuresBetween(l.samples, at, performance.now()).length;
    out.push({ name, commandMs, firstNewMs, failed });
  };
  for (let round = 0; round < ROUNDS; round++) {
    await shift('rollback 2.0.0 → 1.0.0', { [v1]: 100, [v2]: 0 }, '1.0.0');
    await shift('canary step 25 %', { [v1]: 75, [v2]: 25 }, '2.0.0');
    await shift('canary step 50 %', { [v1]: 50, [v2]: 50 }, '2.0.0');
    await shift('canary step 100 %', { [v1]: 0, [v2]: 100 }, '2.0.0');
    await shift('rollback 2.0.0 → 1.0.0', { [v1]: 100, [v2]: 0 }, '1.0.0');
    await shift('switch 1.0.0 → 2.0.0', { [v1]: 0, [v2]: 100 }, '2.0.0');
  }
  const samples = await l.stop();
  latencies.push(median(samples.map((x) => x.end - x.start)));
  return out;
}

/**
 * bench/cutover.ts's measure exactly: a builtin router in its own process (bench/builtin-child.ts)
 * in front of production's running instances, timed from its setWeights() to the first answer
 * from the new side, without the agent's admin API in between.
 */
async function routerCutovers(project: CliProject): Promise<Cutover[]> {
  const status = await project.agent().status('production');
  const [v1, v2] = await productionIds(project);
  const backends = (release: string) =>
    (status.releases.find((r) => r.release === release)?.instances ?? []).map((i) => ({
      id: i.id,
      host: i.host,
      port: i.port,
    }));
  const router = builtinChild();
  const port = await freePort();
  await router.apply({
    env: 'production',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: v1, weight: 0, backends: backends(v1) },
      { release: v2, weight: 100, backends: backends(v2) },
    ],
    health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 },
  });
  const out: Cutover[] = [];
  const l = streamLoad(`http://127.0.0.1:${port}/`, {
    concurrency: 4,
    header: 'x-shop-version',
    timeoutMs: 5000,
  });
  await sleep(800);
  const shift = async (name: string, weights: Record<string, number>, version: string) => {
    const at = performance.now();
    await router.setWeights('production', weights);
    const commandMs = performance.now() - at;
    await sleep(600);
    const firstNewMs = firstServedBy(l.samples, (s) => s === version, at);
    out.push({
      name,
      commandMs,
      firstNewMs,
      failed: failuresBetween(l.samples, at, performance.now()).length,
    });
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await shift('rollback 2.0.0 → 1.0.0', { [v1]: 100, [v2]: 0 }, '1.0.0');
      await shift('canary step 25 %', { [v1]: 75, [v2]: 25 }, '2.0.0');
      await shift('switch 1.0.0 → 2.0.0', { [v1]: 0, [v2]: 100 }, '2.0.0');
    }
  } finally {
    await l.stop();
    await router.close();
  }
  return out;
}

/** The ids of production's releases: the live one (2.0.0) and the warm one (1.0.0). */
async function productionIds(project: CliProject): Promise<[string, string]> {
  const status = await project.agent().status('production');
  const live = status.releases.find((x) => x.weight === 100)?.release;
  const warm = status.releases.find((x) => x.weight === 0)?.release;
  if (!live || !warm) throw new Error(`production is not live + warm: ${JSON.stringify(status.releases)}`);
  return [warm, live];
}

function agentPid(project: string): number {
  return JSON.parse(readFileSync(join(project, '.slipway', 'agent', 'agent.json'), 'utf8')).pid as number;
}

async function standbyReady(project: string): Promise<void> {
  const file = join(project, '.slipway', 'agent', 'supervisor.json');
  for (let i = 0; i < 1200; i++) {
    if (JSON.parse(readFileSync(file, 'utf8')).standbyPid) return;
    await sleep(50);
  }
  throw new Error('the supervisor has no spare agent after 60 s');
}

const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const table = (label: string, rows: Cutover[]) => {
  for (const kind of [...new Set(rows.map((c) => c.name))]) {
    const of = rows.filter((c) => c.name === kind);
    console.log(
      `${label.padEnd(10)} ${kind.padEnd(24)} ${String(of.length).padStart(2)} ${f(median(of.map((r) => r.commandMs))).padStart(12)} ${f(median(of.map((r) => r.firstNewMs))).padStart(12)} ${f(Math.max(...of.map((r) => r.firstNewMs))).padStart(8)} ${String(of.reduce((n, r) => n + r.failed, 0)).padStart(7)}`,
    );
  }
};
console.log('builtin router, 2 instances per release, 4 kept-alive clients, no retries, loopback');
console.log('cutovers through the agent admin API (what each engine step calls), all rounds:');
console.log('runtime    cutover                   n  call ms p50  first-new p50  max ms  failed');
table('container', cutovers);
table('process', peerCutovers);
console.log(
  "the same instances behind the bench's own builtin router (bench/cutover.ts's measure, no admin API):",
);
table('container', routerOnly);
table('process', peerRouterOnly);
console.log(
  `request latency p50 during those: container ${f(latencies[0] ?? Number.NaN)} ms, process ${f(latencies[1] ?? Number.NaN)} ms (first-new includes one request's own latency)`,
);
console.log('through the CLI (containers):');
for (const ph of phases)
  console.log(
    `  ${ph.name.padEnd(40)} ${f(ph.ms / 1000).padStart(6)} s  requests ${String(ph.requests).padStart(6)}  failed ${ph.failed.length}${ph.failed.length ? ` (${describeFailures(ph.failed)})` : ''}`,
  );
if (retrying)
  console.log(
    `  kill -9, retrying client (as browsers): requests ${retrying.total}, refused ${retrying.refused}, failed ${retrying.failed}, retried ${retrying.retried}`,
  );
console.log(`after the agent's kill -9: ${adopted}`);
// Only the cutovers to a side that is not serving yet (a step from 25 to 50 % is not a first answer).
const firsts = (rows: Cutover[]) => rows.filter((c) => !/50|100/.test(c.name)).map((c) => c.firstNewMs);
const direct = median(firsts(routerOnly));
const directPeer = median(firsts(peerRouterOnly));
const directWorst = Math.max(...firsts(routerOnly));
console.log(
  `router alone, first answer from the new side, median: container ${f(direct)} ms vs process ${f(directPeer)} ms: ratio ${(direct / directPeer).toFixed(2)}×; goal ≤ 10 ms (containers): median ${f(direct)}, worst ${f(directWorst)} ${directWorst <= 10 ? 'met' : direct <= 10 ? 'met at the median, NOT at the worst' : 'NOT met'}`,
);
const mine = median(firsts(cutovers));
const theirs = median(firsts(peerCutovers));
const worst = Math.max(...firsts(cutovers));
console.log(
  `first answer from the new side, median: container ${f(mine)} ms vs process ${f(theirs)} ms in the same run: ratio ${(mine / theirs).toFixed(2)}×`,
);
console.log(
  `goal first answer from the new side ≤ 10 ms (containers): median ${f(mine)} ms, worst ${f(worst)} ms ${worst <= 10 ? 'met' : mine <= 10 ? 'met at the median, NOT at the worst' : 'NOT met'}`,
);
const failed =
  cutovers.reduce((n, c) => n + c.failed, 0) +
  phases.filter((ph) => !ph.name.startsWith('kill')).reduce((n, ph) => n + ph.failed.length, 0);
console.log(
  `goal 0 failed requests (cutovers, deploys, rollback): ${failed} ${failed === 0 ? 'met' : 'NOT met'}`,
);
const killed =
  (phases.find((ph) => ph.name.startsWith('kill'))?.failed.length ?? 0) + (retrying?.failed ?? 0);
console.log(
  `goal 0 failed requests on an agent kill -9: plain client ${phases.find((ph) => ph.name.startsWith('kill'))?.failed.length}, retrying client ${retrying?.failed} ${killed === 0 ? 'met' : 'NOT met for the plain client (requests in flight on the killed agent)'}`,
);
