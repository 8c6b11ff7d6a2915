/**
 * Cutover under continuous load (issue 3, 7b): for each driver (builtin, haproxy, nginx) driven
 * through the TrafficRouter contract, a blue-green switch (blue → green), a rollback (green →
 * blue) and a series of weight changes, while 4 kept-alive clients send requests back to back.
 * Prints failed requests per phase (goal 0; a connection closed under a request counts) and the
 * time from the setWeights() call to the first answer from the new side (goal ≤ 10 ms for
 * builtin and haproxy), plus how long the call itself took (for nginx: its graceful reload).
 * The builtin router runs in its own process (bench/builtin-child.ts, commands over a pipe), as
 * it does in `slipway agent`; HAProxy and nginx are their own processes. Backends: two node:http
 * processes per side (src/traffic/testing.ts). Every driver gets active health checks with the
 * defaults `slipway agent` uses (GET /health every 2 s). Loopback only; about 4 s per driver, at
 * most 200,000 requests each.
 *
 *   node bench/cutover.ts            # all three
 *   BENCH_ONLY=builtin node bench/cutover.ts
 *   BENCH_HEALTH=0 ...               # without active health checks
 */
import type { RouteState, TrafficRouter } from '../src/traffic/contract.ts';
import { HaproxyRouter } from '../src/traffic/haproxy/router.ts';
import { NginxRouter } from '../src/traffic/nginx/router.ts';
import { type ChildBackend, freePort, spawnBackend } from '../src/traffic/testing.ts';
import { builtinChild } from './builtin-child-router.ts';
import {
  describeFailures,
  failuresBetween,
  firstServedBy,
  type Sample,
  sleep,
  streamLoad,
} from './stream-load.ts';

const ONLY = (process.env.BENCH_ONLY ?? 'builtin,haproxy,nginx').split(',');
// Few clients: the time to the first new-side answer includes one request's own latency.
const CONCURRENCY = 4;
const WEIGHT_CHANGES = 10;
const HEALTH = process.env.BENCH_HEALTH !== '0';

interface Phase {
  readonly name: string;
  readonly at: number;
  readonly commandMs: number;
  readonly firstNewMs: number;
  readonly reloadMs?: number;
}

interface Row {
  readonly driver: string;
  readonly phases: Phase[];
  readonly failed: { switch: Sample[]; rollback: Sample[]; weights: Sample[] };
  readonly total: number;
  readonly p50Ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function runDriver(router: TrafficRouter, blue: ChildBackend[], green: ChildBackend[]): Promise<Row> {
  const state: RouteState = {
    env: 'cutover',
    listen: { host: '127.0.0.1', port: await freePort() },
    releases: [
      { release: 'blue', weight: 100, backends: blue.map((b) => b.backend) },
      { release: 'green', weight: 0, backends: green.map((b) => b.backend) },
    ],
    // Active checks as `slipway agent` always configures them (the defaults of run.health).
    ...(HEALTH && { health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 } }),
  };
  await router.apply(state);
  const isBlue = (s: string) => s.startsWith('blue');
  const isGreen = (s: string) => s.startsWith('green');
  const load = streamLoad(`http://127.0.0.1:${state.listen.port}/`, { concurrency: CONCURRENCY });
  const phases: Phase[] = [];
  const reloadMs = () => (router instanceof NginxRouter ? router.lastReloadMs : undefined);
  const shift = async (name: string, weights: Record<string, number>, isNew: (s: string) => boolean) => {
    const at = performance.now();
    await router.setWeights('cutover', weights);
    const commandMs = performance.now() - at;
    await sleep(600);
    const r = reloadMs();
    phases.push({
      name,
      at,
      commandMs,
      firstNewMs: firstServedBy(load.samples, isNew, at),
      ...(r !== undefined && { reloadMs: r }),
    });
    return at;
  };
  await sleep(800); // warm: connections open, JIT
  const t0 = await shift('switch', { blue: 0, green: 100 }, isGreen);
  const t1 = await shift('rollback', { blue: 100, green: 0 }, isBlue);
  const t2 = performance.now();
  for (let i = 1; i <= WEIGHT_CHANGES; i++) {
    const g = i * 10;
    await router.setWeights('cutover', { blue: 100 - g, green: g });
    await sleep(150);
  }
  await sleep(400);
  const t3 = performance.now();
  const samples = await load.stop();
  await router.remove('cutover');
  return {
    driver: router.name,
    phases,
    failed: {
      switch: failuresBetween(samples, t0, t1),
      rollback: failuresBetween(samples, t1, t2),
      weights: failuresBetween(samples, t2, t3 + 10_000),
    },
    total: samples.length,
    p50Ms: median(samples.map((x) => x.end - x.start)),
  };
}

const blue = await Promise.all([spawnBackend('blue-0'), spawnBackend('blue-1')]);
const green = await Promise.all([spawnBackend('green-0'), spawnBackend('green-1')]);
// Every backend answers its main route a few hundred times before any driver runs: the drivers
// share these backends, and a backend's first requests on a route it has never served (a cold
// path in its own process, several ms here) would otherwise land on the first driver measured.
for (const b of [...blue, ...green]) {
  for (let i = 0; i < 300; i++) await (await fetch(`http://127.0.0.1:${b.port}/`)).arrayBuffer();
}
const rows: Row[] = [];
try {
  const make: Record<string, () => TrafficRouter> = {
    builtin: builtinChild,
    haproxy: () => new HaproxyRouter({ threads: 1 }),
    nginx: () => new NginxRouter({ workers: 1 }),
  };
  for (const name of ONLY) {
    const factory = make[name];
    if (!factory) throw new Error(`unknown driver ${name}; expected builtin, haproxy or nginx`);
    const router = factory();
    try {
      rows.push(await runDriver(router, blue, green));
    } finally {
      await router.close();
    }
  }
} finally {
  for (const b of [...blue, ...green]) await b.kill();
}

const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
console.log(`cutover under load: ${CONCURRENCY} kept-alive clients, no retries, loopback`);
console.log("first-new ms includes one request's own latency (p50 ms column)");
console.log(
  'driver   requests  p50 ms  switch: failed  cmd ms  first-new ms  rollback: failed  cmd ms  first-new ms  ' +
    `${WEIGHT_CHANGES} weight changes: failed  nginx reload ms`,
);
for (const r of rows) {
  const [s, b] = r.phases as [Phase, Phase];
  console.log(
    [
      r.driver.padEnd(8),
      String(r.total).padStart(8),
      f(r.p50Ms, 2).padStart(7),
      String(r.failed.switch.length).padStart(15),
      f(s.commandMs).padStart(7),
      f(s.firstNewMs).padStart(13),
      String(r.failed.rollback.length).padStart(17),
      f(b.commandMs).padStart(7),
      f(b.firstNewMs).padStart(13),
      String(r.failed.weights.length).padStart(24),
      f(s.reloadMs ?? b.reloadMs).padStart(16),
    ].join(' '),
  );
  const all = [...r.failed.switch, ...r.failed.rollback, ...r.failed.weights];
  if (all.length > 0) console.log(`  ${r.driver} failures: ${describeFailures(all)}`);
}
for (const r of rows) {
  if (r.driver === 'nginx') continue;
  const worst = Math.max(...r.phases.map((p) => p.firstNewMs));
  console.log(
    `goal ${r.driver} first request on the new side ≤ 10 ms: ${f(worst)} ms ${worst <= 10 ? 'met' : 'NOT met'}`,
  );
}
for (const r of rows) {
  const n = r.failed.switch.length + r.failed.rollback.length + r.failed.weights.length;
  console.log(`goal ${r.driver} 0 failed requests: ${n} ${n === 0 ? 'met' : 'NOT met'}`);
}
