/**
 * An instance killed with SIGKILL while it holds a share of traffic (issue 3, 7b2): one release
 * with two instances (node:http processes), 8 kept-alive clients sending requests back to back,
 * then one instance is SIGKILLed; 3 s more of load (8 s for the default peer). Prints failed requests (goal 0) and the longest
 * stretch with no answered request (a stall), per driver through the TrafficRouter contract
 * (builtin in its own process, haproxy, nginx), plus HAProxy with its default settings (no
 * retries, no redispatch, default check inter 2 s fall 3) as the peer. Loopback only; ~5 s each.
 *
 *   node bench/instance-kill.ts
 *   BENCH_ONLY=builtin,haproxy-default node bench/instance-kill.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect } from '../src/testing.ts';
import type { RouteState, TrafficRouter } from '../src/traffic/contract.ts';
import { HaproxyRouter } from '../src/traffic/haproxy/router.ts';
import { NginxRouter } from '../src/traffic/nginx/router.ts';
import { type ChildBackend, freePort, spawnBackend } from '../src/traffic/testing.ts';
import { builtinChild } from './builtin-child-router.ts';
import { describeFailures, failuresBetween, longestGap, sleep, streamLoad } from './stream-load.ts';

const ONLY = (process.env.BENCH_ONLY ?? 'builtin,haproxy,nginx,haproxy-default').split(',');
/** Load after the kill; longer for the default peer so its whole stall fits in the window. */
const afterKillMs = (name: string) => (name === 'haproxy-default' ? 8000 : 3000);

/** HAProxy as a user would run it from the manual: round robin, `check`, nothing else. */
async function haproxyDefaults(port: number, backends: ChildBackend[]): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-haproxy-default-'));
  const cfg = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...backends.map((b, i) => `  server s${i} 127.0.0.1:${b.port} check`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100 && !(await canConnect(port)); i++) await sleep(50);
  if (!(await canConnect(port))) {
    await stop();
    throw new Error(`haproxy with default settings did not listen on ${port} within 5 s`);
  }
  return stop;
}

interface Row {
  readonly name: string;
  readonly total: number;
  readonly failed: number;
  readonly why: string;
  readonly stallMs: number;
}

async function run(name: string): Promise<Row> {
  const backends = await Promise.all([spawnBackend('a'), spawnBackend('b')]);
  const port = await freePort();
  const state: RouteState = {
    env: 'kill',
    listen: { host: '127.0.0.1', port },
    releases: [{ release: 'v1', weight: 100, backends: backends.map((b) => b.backend) }],
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500 },
  };
  let router: TrafficRouter | undefined;
  let stopDefault: (() => Promise<void>) | undefined;
  try {
    if (name === 'haproxy-default') stopDefault = await haproxyDefaults(port, backends);
    else {
      router =
        name === 'builtin'
          ? builtinChild()
          : name === 'haproxy'
            ? new HaproxyRouter({ threads: 1 })
            : new NginxRouter({ workers: 1 });
      await router.apply(state);
    }
    const load = streamLoad(`http://127.0.0.1:${port}/`, { concurrency: 8 });
    await sleep(1000);
    const killedAt = performance.now();
    await backends[1]!.kill();
    await sleep(afterKillMs(name));
    const end = performance.now();
    const samples = await load.stop();
    const failed = failuresBetween(samples, 0, Number.POSITIVE_INFINITY);
    return {
      name,
      total: samples.length,
      failed: failed.length,
      why: describeFailures(failed),
      stallMs: longestGap(samples, killedAt, end),
    };
  } finally {
    await router?.close();
    await stopDefault?.();
    for (const b of backends) await b.kill();
  }
}

const rows: Row[] = [];
for (const name of ONLY) rows.push(await run(name));
console.log('one of two instances SIGKILLed under load: 8 kept-alive clients, no client retries, loopback');
console.log('driver            requests  failed  longest stall ms  failures');
for (const r of rows)
  console.log(
    `${r.name.padEnd(16)} ${String(r.total).padStart(9)} ${String(r.failed).padStart(7)} ${r.stallMs.toFixed(0).padStart(17)}  ${r.why}`,
  );
for (const r of rows.filter((x) => x.name !== 'haproxy-default'))
  console.log(`goal ${r.name} 0 failed requests: ${r.failed} ${r.failed === 0 ? 'met' : 'NOT met'}`);
