/**
 * Cutover under continuous load (issue 3, 7b): for each driver (builtin, haproxy, nginx) driven
 * through the TrafficRouter contract, a blue-green switch (blue → green), a rollback (green →
 * blue) and a series of weight changes, while 4 kept-alive clients send requests back to back.
 * Prints failed requests per phase (goal 0; a connection closed under a request counts) and the
 * time from the setWeights() call to the first answer from the new side (goal ≤ 10 ms), plus how
 * long the call itself took, and for nginx how many graceful reloads the cutover caused (none
 * expected: its weights live in a routes file that njs reads) and how long the last one took.
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
import { type ChildBackend, load as directLoad, freePort, spawnBackend } from '../src/traffic/testing.ts';
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
}

interface Row {
  readonly driver: string;
  readonly phases: Phase[];
  readonly failed: { switch: Sample[]; rollback: Sample[]; weights: Sample[]; structure: Sample[] };
  /** ms of the apply() that removes one blue instance (not a cutover: a change of structure). */
  readonly structureMs: number;
  /** nginx: how long the graceful reload of that apply took. */
  readonly structureReloadMs?: number | undefined;
  readonly total: number;
  readonly p50Ms: number;
  /** nginx only: graceful reloads during the switch, rollback and weight changes, and the last one's ms. */
  readonly reloads?: { readonly count: number; readonly lastMs: number | undefined };
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
  const reloadsBefore = router instanceof NginxRouter ? router.reloads : 0;
  const shift = async (name: string, weights: Record<string, number>, isNew: (s: string) => boolean) => {
    const at = performance.now();
    await router.setWeights('cutover', weights);
    const commandMs = performance.now() - at;
    await sleep(600);
    phases.push({ name, at, commandMs, firstNewMs: firstServedBy(load.samples, isNew, at) });
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
  const reloads =
    router instanceof NginxRouter
      ? { count: router.reloads - reloadsBefore, lastMs: router.lastReloadMs }
      : undefined;
  // Not part of the cutover goal: a change of structure (one blue instance removed while green
  // takes all traffic). nginx applies it by a routes-file write too (a reload shows in the row).
  const removed = {
    ...state,
    releases: [
      { release: 'blue', weight: 0, backends: blue.slice(1).map((b) => b.backend) },
      { release: 'green', weight: 100, backends: green.map((b) => b.backend) },
    ],
  };
  await router.apply(removed);
  const structureMs = performance.now() - t3;
  const structureReloadMs = router instanceof NginxRouter ? router.lastReloadMs : undefined;
  await sleep(600);
  const samples = await load.stop();
  await router.remove('cutover');
  return {
    driver: router.name,
    phases,
    failed: {
      switch: failuresBetween(samples, t0, t1),
      rollback: failuresBetween(samples, t1, t2),
      weights: failuresBetween(samples, t2, t3),
      structure: failuresBetween(samples, t3, t3 + 60_000),
    },
    structureMs,
    structureReloadMs,
    total: samples.length,
    p50Ms: median(samples.map((x) => x.end - x.start)),
    ...(reloads && { reloads }),
  };
}

const blue = await Promise.all([spawnBackend('blue-0'), spawnBackend('blue-1')]);
const green = await Promise.all([spawnBackend('green-0'), spawnBackend('green-1')]);
// Warm every backend directly (JIT, first connections) so the first driver measured does not
// pay for a cold green side in its first-new figure and the later ones do not skip that cost.
for (const b of [...blue, ...green]) await directLoad(`http://127.0.0.1:${b.port}/`, 500, { concurrency: 4 });
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
      (!r.reloads ? '-' : r.reloads.count === 0 ? 'no reload' : f(r.reloads.lastMs)).padStart(16),
    ].join(' '),
  );
  const all = [...r.failed.switch, ...r.failed.rollback, ...r.failed.weights];
  if (all.length > 0) console.log(`  ${r.driver} failures: ${describeFailures(all)}`);
}
console.log('not a cutover: apply() removing one blue instance (nginx: a routes-file write, no reload)');
for (const r of rows) {
  const reload = r.structureReloadMs === undefined ? '' : `, nginx reload ${f(r.structureReloadMs)} ms`;
  const failures = r.failed.structure.length ? ` (${describeFailures(r.failed.structure)})` : '';
  console.log(
    `  ${r.driver.padEnd(8)} apply ${f(r.structureMs)} ms${reload}, failed ${r.failed.structure.length}${failures}`,
  );
}
for (const r of rows) {
  const worst = Math.max(...r.phases.map((p) => p.firstNewMs));
  console.log(
    `goal ${r.driver} first request on the new side ≤ 10 ms: ${f(worst)} ms ${worst <= 10 ? 'met' : 'NOT met'}`,
  );
}
for (const r of rows) {
  const n = r.failed.switch.length + r.failed.rollback.length + r.failed.weights.length;
  console.log(`goal ${r.driver} 0 failed requests: ${n} ${n === 0 ? 'met' : 'NOT met'}`);
}
