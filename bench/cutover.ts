/**
 * Cutover under continuous load, for each traffic driver: a 0→100 switch to the new release, a
 * switch back, then a series of weight steps (10, 25, 50, 75, 100). Reports failed requests
 * (client errors and 5xx; the client does NOT resend on a closed keep-alive connection), the time
 * from calling setWeights() to the first answer from the new side, and the setWeights() call
 * time (for nginx, its reload time). Load: fetch, BENCH_CONCURRENCY requests in flight.
 *
 *   node bench/cutover.ts            BENCH_ONLY=builtin,haproxy node bench/cutover.ts
 */
import type { RouteState, TrafficRouter } from '../src/traffic/contract.ts';
import { HaproxyRouter } from '../src/traffic/haproxy/router.ts';
import { NginxRouter } from '../src/traffic/nginx/router.ts';
import { freePort, spawnBackend } from '../src/traffic/testing.ts';
import { RemoteBuiltinRouter } from './remote-builtin.ts';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ONLY = (process.env.BENCH_ONLY ?? 'builtin,haproxy,nginx').split(',');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Load {
  requests: number;
  failed: number;
  /** performance.now() of the first answer from each backend after `watch(name)` was set. */
  firstFrom: Map<string, number>;
  stop: boolean;
}

async function run(url: string, load: Load): Promise<void> {
  const worker = async () => {
    while (!load.stop) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        load.requests++;
        if (res.status >= 500) load.failed++;
        const b = res.headers.get('x-backend') ?? '';
        if (!load.firstFrom.has(b)) load.firstFrom.set(b, performance.now());
      } catch {
        load.requests++;
        load.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function scenario(router: TrafficRouter) {
  const [a, b] = [await spawnBackend('a'), await spawnBackend('b')];
  const port = await freePort();
  const state: RouteState = {
    env: 'cutover',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: 'v1', weight: 100, backends: [a.backend] },
      { release: 'v2', weight: 0, backends: [b.backend] },
    ],
  };
  await router.apply(state);
  // Warm both backends (a fresh node process answers its first request slowly).
  for (const x of [a, b]) await (await fetch(`http://127.0.0.1:${x.port}/`)).arrayBuffer();
  const load: Load = { requests: 0, failed: 0, firstFrom: new Map(), stop: false };
  const running = run(`http://127.0.0.1:${port}/`, load);
  const switchTo = async (weights: Record<string, number>, side: string) => {
    load.firstFrom.delete(side);
    const t0 = performance.now();
    await router.setWeights('cutover', weights);
    const call = performance.now() - t0;
    while (!load.firstFrom.has(side) && performance.now() - t0 < 10_000) await sleep(1);
    return { call, firstMs: (load.firstFrom.get(side) ?? Number.NaN) - t0 };
  };
  try {
    await sleep(1_000);
    const forward = await switchTo({ v1: 0, v2: 100 }, 'b');
    await sleep(1_000);
    const back = await switchTo({ v1: 100, v2: 0 }, 'a');
    await sleep(500);
    const steps: number[] = [];
    for (const w of [10, 25, 50, 75, 100]) {
      const t0 = performance.now();
      await router.setWeights('cutover', { v1: 100 - w, v2: w });
      steps.push(performance.now() - t0);
      await sleep(200);
    }
    await sleep(300);
    const reloadMs = (router as { lastReloadMs?: number }).lastReloadMs;
    return { forward, back, steps, load, reloadMs };
  } finally {
    load.stop = true;
    await running;
    await router.close();
    await Promise.all([a.close(), b.close()]);
  }
}

const drivers: [string, () => TrafficRouter][] = [
  // In its own process like HAProxy and nginx, driven over a pipe (adds well under 1 ms per call).
  ['builtin', () => new RemoteBuiltinRouter()],
  ['haproxy', () => new HaproxyRouter()],
  ['nginx', () => new NginxRouter()],
];
console.log(`cutover under load: fetch, ${CONCURRENCY} in flight, no client resend`);
console.log(
  'driver    requests  failed  switch: setWeights ms / first new answer ms  back: ms / ms  steps: setWeights ms',
);
for (const [name, make] of drivers) {
  if (!ONLY.includes(name)) continue;
  const r = await scenario(make());
  const f = (n: number) => n.toFixed(1);
  console.log(
    [
      name.padEnd(8),
      String(r.load.requests).padStart(9),
      String(r.load.failed).padStart(7),
      `  ${f(r.forward.call)} / ${f(r.forward.firstMs)}`.padEnd(45),
      `${f(r.back.call)} / ${f(r.back.firstMs)}`.padEnd(14),
      r.steps.map(f).join(' '),
      r.reloadMs === undefined ? '' : `  (last reload ${f(r.reloadMs)} ms)`,
    ].join(' '),
  );
}
