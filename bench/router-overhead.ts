/**
 * Router overhead: requests/s, p50/p99 latency and proxy CPU time per request for a direct
 * connection and for the builtin, HAProxy and nginx routers in front of the same node:http
 * backend, in one run, each proxy with one worker. Load: wrk, 1 thread, BENCH_CONNECTIONS
 * connections for BENCH_SECONDS seconds each after a 1 s warm-up, on 127.0.0.1.
 *
 *   node bench/router-overhead.ts                 # all four
 *   BENCH_ONLY=direct,builtin,plain node bench/router-overhead.ts   # plain: a bare undici proxy
 *   BENCH_PROFILE=1 ...                           # builtin under --cpu-prof, summary printed
 *   BENCH_ROUNDS=3 ...                            # median of 3 runs per target
 *   BENCH_WARMUP=15 ...                           # 15 s of load before measuring (default 1 s)
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HaproxyRouter } from '../src/traffic/haproxy/router.ts';
import { NginxRouter } from '../src/traffic/nginx/router.ts';
import { freePort } from '../src/traffic/testing.ts';
import { spawnReady, treeCpu, type WrkResult, wrk } from './load.ts';
import { summarizeProfile } from './profile-summary.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ONLY = (process.env.BENCH_ONLY ?? 'direct,builtin,haproxy,nginx').split(',');
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const here = new URL('.', import.meta.url).pathname;

interface Row extends WrkResult {
  readonly name: string;
  readonly cpuUsPerReq: number;
  /** The part of cpuUsPerReq spent in user space (the rest is the kernel's). */
  readonly userUsPerReq: number;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);

/** The median of each figure over BENCH_ROUNDS runs: on a shared machine one run can be unlucky. */
function measure(name: string, url: string, pid: number): Row {
  wrk(url, WARMUP, CONNECTIONS); // warm-up: JIT, pools, connections
  const runs: Row[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = treeCpu(pid);
    const r = wrk(url, SECONDS, CONNECTIONS);
    const after = treeCpu(pid);
    const user = after.user - before.user;
    const cpu = user + after.sys - before.sys;
    runs.push({ name, ...r, cpuUsPerReq: (cpu / r.requests) * 1e6, userUsPerReq: (user / r.requests) * 1e6 });
  }
  const median = (f: (r: Row) => number) => runs.map(f).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  return {
    name,
    rps: median((r) => r.rps),
    requests: median((r) => r.requests),
    p50Ms: median((r) => r.p50Ms),
    p99Ms: median((r) => r.p99Ms),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerReq: median((r) => r.cpuUsPerReq),
    userUsPerReq: median((r) => r.userUsPerReq),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  await gone;
}

const rows: Row[] = [];
const backend = await spawnReady([join(here, 'serve-backend.ts')]);
const backendPort = Number(backend.line);
const profileDir = mkdtempSync(join(tmpdir(), 'slipway-prof-'));
try {
  if (ONLY.includes('direct'))
    rows.push(measure('direct', `http://127.0.0.1:${backendPort}/`, backend.child.pid!));
  if (ONLY.includes('builtin')) {
    const port = await freePort();
    const prof = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const proc = await spawnReady([
      ...prof,
      join(here, 'serve-builtin.ts'),
      String(port),
      String(backendPort),
    ]);
    rows.push(measure('builtin', `http://127.0.0.1:${port}/`, proc.child.pid!));
    await stop(proc.child);
  }
  if (ONLY.includes('plain')) {
    const port = await freePort();
    const proc = await spawnReady([join(here, 'serve-undici-plain.ts'), String(port), String(backendPort)]);
    rows.push(measure('plain', `http://127.0.0.1:${port}/`, proc.child.pid!));
    await stop(proc.child);
  }
  const state = async () => ({
    env: 'bench',
    listen: { host: '127.0.0.1', port: await freePort() },
    releases: [
      { release: 'v1', weight: 100, backends: [{ id: 'b0', host: '127.0.0.1', port: backendPort }] },
    ],
  });
  if (ONLY.includes('haproxy')) {
    const router = new HaproxyRouter({ threads: 1 });
    const s = await state();
    await router.apply(s);
    const pid = router.pidOf('bench');
    rows.push(measure('haproxy', `http://127.0.0.1:${s.listen.port}/`, pid!));
    await router.close();
  }
  if (ONLY.includes('nginx')) {
    const router = new NginxRouter({ workers: 1 });
    const s = await state();
    await router.apply(s);
    rows.push(measure('nginx', `http://127.0.0.1:${s.listen.port}/`, router.pidOf('bench')!));
    await router.close();
  }
} finally {
  await stop(backend.child);
}

const direct = rows.find((r) => r.name === 'direct');
const haproxy = rows.find((r) => r.name === 'haproxy');
const fmt = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
console.log(
  `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s × ${ROUNDS} (median) after ${WARMUP} s of warm-up, one worker per proxy, loopback`,
);
console.log(
  'name      req/s     ×direct  ×haproxy  p50 ms  p99 ms  cpu µs/req  (user  sys)  cpu ×haproxy  errors',
);
for (const r of rows) {
  console.log(
    [
      r.name.padEnd(8),
      fmt(r.rps, 0).padStart(8),
      fmt(direct ? r.rps / direct.rps : Number.NaN).padStart(8),
      fmt(haproxy ? r.rps / haproxy.rps : Number.NaN).padStart(9),
      fmt(r.p50Ms).padStart(7),
      fmt(r.p99Ms).padStart(7),
      fmt(r.cpuUsPerReq, 1).padStart(11),
      `(${fmt(r.userUsPerReq, 0).padStart(4)} ${fmt(r.cpuUsPerReq - r.userUsPerReq, 0).padStart(4)})`,
      fmt(haproxy ? r.cpuUsPerReq / haproxy.cpuUsPerReq : Number.NaN).padStart(13),
      String(r.errors).padStart(7),
    ].join(' '),
  );
}
const builtin = rows.find((r) => r.name === 'builtin');
if (builtin && haproxy) {
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  console.log(
    `goal builtin ≥ 0.5× haproxy req/s: ${fmt(builtin.rps / haproxy.rps)} ${ok(builtin.rps >= 0.5 * haproxy.rps)}`,
  );
  console.log(
    `goal builtin ≤ 3× haproxy cpu/req: ${fmt(builtin.cpuUsPerReq / haproxy.cpuUsPerReq)} ${ok(builtin.cpuUsPerReq <= 3 * haproxy.cpuUsPerReq)}`,
  );
  console.log(
    `goal builtin ≤ 2× haproxy p99: ${fmt(builtin.p99Ms / haproxy.p99Ms)} ${ok(builtin.p99Ms <= 2 * haproxy.p99Ms)}`,
  );
}
for (const file of readdirSync(profileDir)) console.log(summarizeProfile(join(profileDir, file)));
rmSync(profileDir, { recursive: true, force: true });
