/**
 * Router overhead: requests/s, p50/p99 latency and proxy CPU time per request for a direct
 * connection and for the builtin, HAProxy and nginx routers in front of the same node:http
 * backend, in one run, each proxy with one worker. Load: wrk, 1 thread, BENCH_CONNECTIONS
 * connections for BENCH_SECONDS seconds each after a 1 s warm-up, on 127.0.0.1.
 *
 *   node bench/router-overhead.ts                 # all four
 *   BENCH_ONLY=direct,builtin,plain node bench/router-overhead.ts   # plain: a bare undici proxy
 *   BENCH_ONLY=builtin,haproxy,pipe ...           # pipe: bytes copied between sockets, Node's floor
 *   BENCH_PROFILE=1 ...                           # builtin under --cpu-prof, summary printed
 *   BENCH_ROUNDS=5 ...                            # 5 rounds, targets interleaved; medians and per-round ratios
 *   BENCH_BASE=/other/checkout ...                # that checkout's builtin router as the row "base" (before/after)
 *   BENCH_WARMUP=15 ...                           # 15 s of load before measuring (default 1 s)
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
/** Another checkout's builtin router measured as the row `base` in the same run (before/after). */
const BASE = process.env.BENCH_BASE;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly runs: Row[];
}

/** One wrk run against a target, with the proxy's CPU time over it. */
function measureOnce(t: Target): void {
  const before = treeCpu(t.pid);
  const r = wrk(t.url, SECONDS, CONNECTIONS);
  const after = treeCpu(t.pid);
  const user = after.user - before.user;
  const cpu = user + after.sys - before.sys;
  t.runs.push({
    name: t.name,
    ...r,
    cpuUsPerReq: (cpu / r.requests) * 1e6,
    userUsPerReq: (user / r.requests) * 1e6,
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The median of each figure over the rounds: on a shared machine one run can be unlucky. */
function summary(t: Target): Row {
  const m = (f: (r: Row) => number) => median(t.runs.map(f));
  return {
    name: t.name,
    rps: m((r) => r.rps),
    requests: m((r) => r.requests),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    errors: t.runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerReq: m((r) => r.cpuUsPerReq),
    userUsPerReq: m((r) => r.userUsPerReq),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  await gone;
}

const targets: Target[] = [];
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
const backend = await spawnReady([join(here, 'serve-backend.ts')]);
const backendPort = Number(backend.line);
const profileDir = mkdtempSync(join(tmpdir(), 'slipway-prof-'));
const add = (name: string, url: string, pid: number) => targets.push({ name, url, pid, runs: [] });
try {
  if (ONLY.includes('direct')) add('direct', `http://127.0.0.1:${backendPort}/`, backend.child.pid!);
  const builtins: [string, string][] = [];
  if (ONLY.includes('builtin')) builtins.push(['builtin', join(here, 'serve-builtin.ts')]);
  if (BASE) builtins.push(['base', join(BASE, 'bench', 'serve-builtin.ts')]);
  for (const [name, file] of builtins) {
    const port = await freePort();
    const prof =
      process.env.BENCH_PROFILE && name === 'builtin' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const proc = await spawnReady([...prof, file, String(port), String(backendPort)]);
    children.push(proc.child);
    add(name, `http://127.0.0.1:${port}/`, proc.child.pid!);
  }
  if (ONLY.includes('pipe')) {
    const port = await freePort();
    const proc = await spawnReady([join(here, 'serve-pipe.ts'), String(port), String(backendPort)]);
    children.push(proc.child);
    add('pipe', `http://127.0.0.1:${port}/`, proc.child.pid!);
  }
  if (ONLY.includes('plain')) {
    const port = await freePort();
    const proc = await spawnReady([join(here, 'serve-undici-plain.ts'), String(port), String(backendPort)]);
    children.push(proc.child);
    add('plain', `http://127.0.0.1:${port}/`, proc.child.pid!);
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
    closers.push(() => router.close());
    add('haproxy', `http://127.0.0.1:${s.listen.port}/`, router.pidOf('bench')!);
  }
  if (ONLY.includes('nginx')) {
    const router = new NginxRouter({ workers: 1 });
    const s = await state();
    await router.apply(s);
    closers.push(() => router.close());
    add('nginx', `http://127.0.0.1:${s.listen.port}/`, router.pidOf('bench')!);
  }
  for (const t of targets) wrk(t.url, WARMUP, CONNECTIONS); // warm-up: JIT, pools, connections
  // Rounds interleave the targets, so a busy minute on the shared machine falls on all of them.
  for (let i = 0; i < ROUNDS; i++) for (const t of targets) measureOnce(t);
} finally {
  for (const child of children) await stop(child);
  for (const close of closers) await close();
  await stop(backend.child);
}
const rows = targets.map(summary);
/** Per round, builtin against HAProxy: the ratios of one round share its load. */
const roundRatios = (f: (r: Row) => number) => {
  const b = targets.find((t) => t.name === 'builtin');
  const h = targets.find((t) => t.name === 'haproxy');
  if (!b || !h) return [];
  return b.runs.map((r, i) => f(r) / f(h.runs[i]!));
};

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
  const list = (xs: number[]) => xs.map((x) => fmt(x)).join(' ');
  const rps = roundRatios((r) => r.rps);
  const cpu = roundRatios((r) => r.cpuUsPerReq);
  const p99 = roundRatios((r) => r.p99Ms);
  console.log(`builtin ÷ haproxy per round: req/s ${list(rps)}; cpu/req ${list(cpu)}; p99 ${list(p99)}`);
  const [mr, mc, mp] = [median(rps), median(cpu), median(p99)];
  console.log(`goal builtin ≥ 1.0× haproxy req/s (median of the rounds): ${fmt(mr)} ${ok(mr >= 1)}`);
  console.log(`goal builtin ≤ 1.2× haproxy cpu/req (median of the rounds): ${fmt(mc)} ${ok(mc <= 1.2)}`);
  console.log(`goal builtin ≤ 1.0× haproxy p99 (median of the rounds): ${fmt(mp)} ${ok(mp <= 1)}`);
}
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (const file of readdirSync(profileDir)) console.log(summarizeProfile(join(profileDir, file)));
rmSync(profileDir, { recursive: true, force: true });
