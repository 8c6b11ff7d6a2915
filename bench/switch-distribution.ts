/**
 * Switch distribution under load (issue 21 · c): many blue-green switches, each timed from the
 * command to the first answer from the new side, reported as a distribution (min, median, p95,
 * max) with the failed requests, instead of one switch per run as bench/cutover.ts does.
 *
 * Modes, one after the other in the same run on the same kind of instances:
 * - `agent`: a real `slipway agent` (its own process, process runtime, builtin router), switched
 *   through its admin API (`POST /v1/envs/:env/weights`, what every engine step calls); the time
 *   includes the HTTP call, the agent's work and the router's.
 * - `haproxy`: the same through the same agent with `driver: haproxy` (its runtime API), the peer.
 * - `base` (with BENCH_BASE=/other/checkout): `agent` with that checkout's `slipway agent`, for a
 *   before/after in the same run.
 * - `router`: the builtin router alone in its own process (bench/builtin-child.ts) in front of the
 *   agent's builtin instances, switched over a pipe: bench/cutover.ts's measure.
 * Each environment runs blue and green (2 instances each, the tiny app below answering with an
 * `x-backend` header) with the active health checks `slipway agent` uses by default (GET /health
 * every 2 s). Load: 4 kept-alive clients of bench/raw-load.ts, no retries, back to back. Every
 * instance is warmed with direct requests first. Loopback only; bounded (about 30 s per mode).
 *
 *   node bench/switch-distribution.ts
 *   BENCH_SWITCHES=20 BENCH_ONLY=agent,router node bench/switch-distribution.ts
 *   BENCH_BASE=/other/checkout BENCH_ONLY=base,agent node bench/switch-distribution.ts
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { EnvStatus } from '../src/domain/data-plane.ts';
import { load as directLoad, freePort } from '../src/traffic/testing.ts';
import { builtinChild } from './builtin-child-router.ts';
import { cliProject } from './cli-project.ts';
import { rawLoad } from './raw-load.ts';
import { describeFailures, failuresBetween, firstServedBy, type Sample, sleep } from './stream-load.ts';

const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 50);
const ONLY = (
  process.env.BENCH_ONLY ?? (process.env.BENCH_BASE ? 'base,agent,router,haproxy' : 'agent,router,haproxy')
).split(',');
const GOAL_MS = 5;
/** Time left after each switch before the next (the load runs throughout). */
const SETTLE_MS = 300;

const APP = `
import { createServer } from 'node:http';
const name = process.env.RELEASE;
const body = Buffer.from('hello from ' + name + '\\n');
createServer((req, res) => {
  if (req.url === '/health') return res.writeHead(200, { 'content-length': 2 }).end('ok');
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'x-backend': name });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

interface Switch {
  readonly to: string;
  readonly commandMs: number;
  readonly firstNewMs: number;
  /**
   * The longest time of a request to the old side that was in flight at the command: how long the
   * machine stalled the path the switch does not touch (a measure of the noise at that moment).
   */
  readonly oldStallMs: number;
  readonly failed: Sample[];
}

interface Result {
  readonly mode: string;
  readonly switches: Switch[];
  readonly requests: number;
  readonly p50Ms: number;
  readonly load: [number, number];
}

const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
};

/** SWITCHES alternate switches (blue → green, green → blue) under load on `port`. */
async function switches(
  mode: string,
  port: number,
  setWeights: (w: Record<string, number>) => Promise<unknown>,
): Promise<Result> {
  const load0 = loadavg()[0]!;
  const l = rawLoad(port, { concurrency: 4 });
  await sleep(800);
  const out: Switch[] = [];
  for (let i = 0; i < SWITCHES; i++) {
    const to = i % 2 === 0 ? 'green' : 'blue';
    // Only the requests that end from here on concern this switch: scanning the whole run's
    // records (hundreds of thousands) between switches stalled this process's load for ~7 ms
    // right before each command, and that stall was read as the router's.
    const mark = l.samples.length;
    const at = performance.now();
    await setWeights(to === 'green' ? { blue: 0, green: 100 } : { blue: 100, green: 0 });
    const commandMs = performance.now() - at;

    await sleep(SETTLE_MS);
    const recent = l.samples.slice(mark);
    const firstNewMs = firstServedBy(recent, (s) => s === to, at);
    if (process.env.BENCH_TRACE && firstNewMs > GOAL_MS) {
      const near = recent.filter((s) => s.end >= at - 2 && s.start <= at + firstNewMs + 1);
      console.log(
        `${mode} #${i + 1} → ${to}: cmd ${commandMs.toFixed(1)} ms, first-new ${firstNewMs.toFixed(1)} ms; requests around it (start/end ms from the command, side):`,
      );
      for (const s of near)
        console.log(`  ${(s.start - at).toFixed(2)} → ${(s.end - at).toFixed(2)} ${s.side || s.error}`);
    }
    out.push({
      to,
      commandMs,
      firstNewMs,
      oldStallMs: Math.max(
        0,
        ...recent.filter((s) => s.start <= at && s.end >= at && s.side !== to).map((s) => s.end - s.start),
      ),
      failed: failuresBetween(recent, at, performance.now()),
    });
  }
  const samples = await l.stop();
  return {
    mode,
    switches: out,
    requests: samples.length,
    p50Ms: quantile(
      samples.map((s) => s.end - s.start),
      0.5,
    ),
    load: [load0, loadavg()[0]!],
  };
}

const BASE = process.env.BENCH_BASE;
const p = cliProject('# bench/switch-distribution.ts: only the agent is used\n');
const base = BASE && ONLY.includes('base') ? cliProject("# the base checkout's agent\n", BASE) : undefined;
const results: Result[] = [];
try {
  writeFileSync(join(p.dir, 'app.mjs'), APP);
  await p.startAgent();
  const agent = p.agent();
  const release = (name: string, weight: number) => ({
    release: name,
    weight,
    app: 'bench',
    cwd: p.dir,
    command: `"${process.execPath}" app.mjs`,
    vars: { RELEASE: name },
    count: 2,
    health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 },
    startTimeoutMs: 20_000,
    stopTimeoutMs: 2_000,
  });
  const envs = new Map<string, { port: number; status: EnvStatus }>();
  for (const driver of ['builtin', 'haproxy'] as const) {
    if (driver === 'haproxy' && !ONLY.includes('haproxy')) continue;
    const port = await freePort();
    const status = await agent.putEnv(`sw-${driver}`, {
      driver,
      listen: { host: '127.0.0.1', port },
      releases: [release('blue', 100), release('green', 0)],
    });
    envs.set(driver, { port, status });
    // Warm every instance directly (JIT, first connections), as bench/cutover.ts does.
    for (const r of status.releases)
      for (const i of r.instances) await directLoad(`http://127.0.0.1:${i.port}/`, 300, { concurrency: 4 });
  }
  let basePort = 0;
  if (base) {
    await base.startAgent();
    basePort = await freePort();
    const status = await base.agent().putEnv('sw-base', {
      listen: { host: '127.0.0.1', port: basePort },
      releases: [release('blue', 100), release('green', 0)],
    });
    for (const r of status.releases)
      for (const i of r.instances) await directLoad(`http://127.0.0.1:${i.port}/`, 300, { concurrency: 4 });
  }
  for (const mode of ONLY) {
    if (mode === 'base') {
      if (!base) throw new Error('mode base needs BENCH_BASE=/path/to/another/checkout');
      const client = base.agent();
      results.push(await switches(mode, basePort, (w) => client.setWeights('sw-base', w)));
    } else if (mode === 'agent' || mode === 'haproxy') {
      const driver = mode === 'agent' ? 'builtin' : 'haproxy';
      const env = `sw-${driver}`;
      results.push(await switches(mode, envs.get(driver)!.port, (w) => agent.setWeights(env, w)));
    } else if (mode === 'router') {
      const { status } = envs.get('builtin')!;
      const router = builtinChild();
      const port = await freePort();
      await router.apply({
        env: 'sw-router',
        listen: { host: '127.0.0.1', port },
        releases: status.releases.map((r) => ({
          release: r.release,
          weight: r.release === 'blue' ? 100 : 0,
          backends: r.instances.map((i) => ({ id: i.id, host: i.host, port: i.port })),
        })),
        health: { path: '/health', intervalMs: 2000, timeoutMs: 1000 },
      });
      try {
        results.push(await switches(mode, port, (w) => router.setWeights('sw-router', w)));
      } finally {
        await router.close();
      }
    } else throw new Error(`unknown mode ${mode}; expected agent, base, router or haproxy`);
  }
} finally {
  await base?.close();
  await p.close();
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log(
  "old-side stall: per switch, the longest request to the old side in flight at the command (the machine's noise then)",
);
console.log(
  `${SWITCHES} switches per mode under load (4 kept-alive clients, no retries), ${SETTLE_MS} ms apart; first-new = command → first answer from the new side`,
);
console.log(
  'mode      requests  p50 ms  cmd p50  cmd max   first-new: min  median   p95    max   ≤ 5 ms  failed  load avg    old-side stall p50/max',
);
for (const r of results) {
  const first = r.switches.map((s) => s.firstNewMs);
  const cmd = r.switches.map((s) => s.commandMs);
  const stalls = r.switches.map((s) => s.oldStallMs);
  const failed = r.switches.flatMap((s) => s.failed);
  console.log(
    [
      r.mode.padEnd(8),
      String(r.requests).padStart(9),
      f(r.p50Ms, 2).padStart(7),
      f(quantile(cmd, 0.5)).padStart(8),
      f(Math.max(...cmd)).padStart(8),
      f(Math.min(...first)).padStart(16),
      f(quantile(first, 0.5)).padStart(7),
      f(quantile(first, 0.95)).padStart(6),
      f(Math.max(...first)).padStart(6),
      `${first.filter((x) => x <= GOAL_MS).length}/${first.length}`.padStart(8),
      String(failed.length).padStart(7),
      `${f(r.load[0], 2)}–${f(r.load[1], 2)}`.padStart(10),
      `${f(quantile(stalls, 0.5))}/${f(Math.max(...stalls))}`.padStart(14),
    ].join(' '),
  );
  if (failed.length) console.log(`  ${r.mode} failures: ${describeFailures(failed)}`);
  const slow = r.switches.map((s, i) => [i, s] as const).filter(([, s]) => s.firstNewMs > GOAL_MS);
  if (slow.length)
    console.log(
      `  ${r.mode} over ${GOAL_MS} ms: ${slow.map(([i, s]) => `#${i + 1} ${f(s.firstNewMs)} (cmd ${f(s.commandMs)}, old side ${f(s.oldStallMs)})`).join(', ')}`,
    );
}
for (const r of results.filter((x) => x.mode === 'agent' || x.mode === 'router')) {
  const worst = Math.max(...r.switches.map((s) => s.firstNewMs));
  const failed = r.switches.reduce((n, s) => n + s.failed.length, 0);
  console.log(
    `goal ${r.mode}: first new-side answer ≤ ${GOAL_MS} ms in every switch: worst ${f(worst)} ms ${worst <= GOAL_MS ? 'met' : 'NOT met'}; 0 failed: ${failed} ${failed === 0 ? 'met' : 'NOT met'}`,
  );
}
